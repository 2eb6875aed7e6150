package dev.graft.io.safetensors;

import dev.graft.GraftException;

/** A safetensors file that is corrupt, truncated or hostile; the message names the file and the problem. */
public class SafetensorsFormatException extends GraftException {
    private static final long serialVersionUID = 1L;

    public SafetensorsFormatException(String message) {
        super(message);
    }
}

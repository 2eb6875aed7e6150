package dev.graft.io.onnx;

import dev.graft.GraftException;

/** An ONNX file that cannot be read: the message names the file and what is wrong. */
public class OnnxFormatException extends GraftException {
    private static final long serialVersionUID = 1L;

    public OnnxFormatException(String message) {
        super(message);
    }
}

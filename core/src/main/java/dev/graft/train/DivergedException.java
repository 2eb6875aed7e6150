package dev.graft.train;

import dev.graft.GraftException;

/**
 * Training stopped because the loss or the gradient norm became NaN or infinite: the settings (usually the learning
 * rate), not the data, are at fault, so a search over settings can count the run as diverged and go on.
 */
public final class DivergedException extends GraftException {
    private static final long serialVersionUID = 1L;

    public DivergedException(String message) {
        super(message);
    }
}

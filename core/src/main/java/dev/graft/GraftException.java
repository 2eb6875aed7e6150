package dev.graft;

/**
 * An error the user can fix: bad input, a missing file, an unknown model id. Its message is one line that names
 * the file, line or field and says what was expected; the CLI prints only that line unless {@code --verbose}.
 */
public class GraftException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public GraftException(String message) {
        super(message);
    }

    public GraftException(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.graft.server;

/**
 * An error answered as TEI does: an HTTP status and {@code {"error": message, "error_type": type}}. The message is
 * written for the client (no stack trace, no server paths beyond the adapter's name).
 */
final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;
    final String type;

    ApiException(int status, String type, String message) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
    }

    static ApiException validation(String message) {
        return new ApiException(422, "validation", message);
    }

    static ApiException malformed(String message) {
        return new ApiException(400, "malformed", message);
    }

    static ApiException tooLarge(String message) {
        return new ApiException(413, "payload_too_large", message);
    }

    static ApiException overloaded(String message) {
        return new ApiException(429, "overloaded", message);
    }

    static ApiException unauthorized(String message) {
        return new ApiException(401, "unauthorized", message);
    }

    static ApiException unhealthy(String message) {
        return new ApiException(503, "unhealthy", message);
    }
}

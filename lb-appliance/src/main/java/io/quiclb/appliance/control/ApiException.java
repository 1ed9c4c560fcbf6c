package io.quiclb.appliance.control;

import java.util.List;

/**
 * A change the control plane refused: an HTTP status and every reason, each naming the field and the rule. Messages
 * never contain key material.
 *
 * <p><b>Thread safety:</b> immutable.
 */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Malformed request: not JSON, a repeated field. */
    public static final int BAD_REQUEST = 400;
    /** Unknown config or server. */
    public static final int NOT_FOUND = 404;
    /** A server ID already used within the config, or a change that would break live connections. */
    public static final int CONFLICT = 409;
    /** A request body over {@code api.maxRequestBytes}. */
    public static final int TOO_LARGE = 413;
    /** Invalid input. */
    public static final int UNPROCESSABLE = 422;
    /** The state file could not be written; nothing changed. */
    public static final int UNAVAILABLE = 503;

    private final int status;
    private final transient List<String> errors;

    /**
     * @param status the HTTP status
     * @param errors every reason
     */
    public ApiException(int status, List<String> errors) {
        super(String.join("; ", errors));
        this.status = status;
        this.errors = List.copyOf(errors);
    }

    /** @return the HTTP status */
    public int status() {
        return status;
    }

    /** @return every reason */
    public List<String> errors() {
        return errors;
    }
}

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

    /** Unknown config or server. */
    public static final int NOT_FOUND = 404;
    /** A server ID already used within the config. */
    public static final int CONFLICT = 409;
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

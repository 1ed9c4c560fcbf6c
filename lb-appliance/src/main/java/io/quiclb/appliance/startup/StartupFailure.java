package io.quiclb.appliance.startup;

/**
 * A reason the appliance cannot start that the operator can fix: printed as one line, without a stack trace, and the
 * process exits 1.
 *
 * <p><b>Thread safety:</b> immutable.
 */
public final class StartupFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong and what to do, naming the key and the value
     * @param cause   the underlying error, or null
     */
    public StartupFailure(String message, Throwable cause) {
        super(message, cause);
    }
}

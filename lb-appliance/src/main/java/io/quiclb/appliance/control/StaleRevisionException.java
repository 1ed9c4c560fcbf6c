package io.quiclb.appliance.control;

/**
 * A write to a shared {@link StateBackend} lost a race: the stored state changed after the control plane read it.
 *
 * <p><b>Thread safety:</b> immutable.
 */
public final class StaleRevisionException extends Exception {
    private static final long serialVersionUID = 1L;

    private final long expected;
    private final long current;

    /**
     * @param expected the revision the write was based on
     * @param current  the revision stored now
     */
    public StaleRevisionException(long expected, long current) {
        super("the stored state is at revision " + current + ", not " + expected);
        this.expected = expected;
        this.current = current;
    }

    /** @return the revision the write was based on */
    public long expected() {
        return expected;
    }

    /** @return the revision stored now */
    public long current() {
        return current;
    }
}

package io.quiclb.appliance.control;

import java.io.IOException;

/**
 * Where the control plane keeps every accepted change: this appliance's state file ({@link StateStore}), or a store
 * the appliances of a fleet share (etcd, {@code store.EtcdStateStore}). A write names the revision of the state the
 * control plane read; a shared store refuses it when another write came first, so no change is lost and none is
 * half-applied.
 *
 * <p><b>Thread safety:</b> the {@link ControlPlane} calls it under its lock, one write at a time.
 */
public interface StateBackend {
    /**
     * Writes the state if the stored one is still at {@code expected}.
     *
     * @param expected the revision of the state the control plane holds (0: none stored yet)
     * @param next     the state to write
     * @return the revision of the state written
     * @throws StaleRevisionException when another write came first; nothing was written
     * @throws IOException            when the store could not be reached or written; nothing was written
     */
    long write(long expected, RoutingState next) throws StaleRevisionException, IOException;

    /** @return what it is, for log lines and error messages (never a secret) */
    String describe();
}

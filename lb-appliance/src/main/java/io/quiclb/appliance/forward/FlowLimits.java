package io.quiclb.appliance.forward;

import io.quiclb.appliance.guard.HandshakeBudget;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bounds every worker's flows share: the flow limit (the effective {@code forwarder.maxFlows}, which the
 * capacity may lower), the handshake budget, and the upstream socket budget.
 *
 * <p><b>Thread safety:</b> thread-safe: atomic counts; the flow limit is volatile and read only when a flow opens.
 */
final class FlowLimits {
    private final AtomicLong flows = new AtomicLong();
    private volatile long maxFlows;
    final HandshakeBudget handshakes;
    final SocketBudget sockets;

    FlowLimits(long maxFlows, HandshakeBudget handshakes, SocketBudget sockets) {
        this.maxFlows = maxFlows;
        this.handshakes = handshakes;
        this.sockets = sockets;
    }

    /** @return false, taking nothing, when the flow limit is reached */
    boolean tryReserveFlow() {
        if (flows.incrementAndGet() > maxFlows) {
            flows.decrementAndGet();
            return false;
        }
        return true;
    }

    void releaseFlow() {
        flows.decrementAndGet();
    }

    /** @return flows open now, over all workers */
    long flows() {
        return flows.get();
    }

    /** @return the flow limit */
    long maxFlows() {
        return maxFlows;
    }

    void setMaxFlows(long maxFlows) {
        this.maxFlows = maxFlows;
    }
}

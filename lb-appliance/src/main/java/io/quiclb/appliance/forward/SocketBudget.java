package io.quiclb.appliance.forward;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The upstream sockets the workers may hold together: the descriptors the process may open, less a reserve for the
 * admin and API connectors, health probes and listeners ({@link io.quiclb.appliance.capacity.Capacity}). Keeping to
 * it means the data plane never takes the descriptor that {@code /admin/healthcheck} needs during a flood.
 *
 * <p><b>Thread safety:</b> thread-safe (one atomic count shared by all workers).
 */
final class SocketBudget {
    private volatile int max;
    private final AtomicInteger open = new AtomicInteger();

    SocketBudget(int max) {
        this.max = max;
    }

    /** @return false, taking nothing, when every socket is spoken for */
    boolean tryAcquire() {
        if (open.incrementAndGet() > max) {
            open.decrementAndGet();
            return false;
        }
        return true;
    }

    void release() {
        open.decrementAndGet();
    }

    /** @return sockets held now */
    int open() {
        return open.get();
    }

    /** @param max sockets at most from now on (sockets held above it are kept until released) */
    void setMax(int max) {
        this.max = max;
    }
}

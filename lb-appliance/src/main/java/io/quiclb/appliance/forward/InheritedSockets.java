package io.quiclb.appliance.forward;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Listener sockets received from the appliance this one takes over, by the address each is bound to and the worker
 * that read it there: the forwarder adopts them ({@link Transport#adopt}) instead of binding new ones, so no listener
 * socket ever closes and no datagram queued in one is lost. Worker {@code i} takes, for each address, the socket
 * worker {@code i} read in the old appliance, so with as many workers a client's datagrams reach the worker of the
 * same index as before, the one its NAT flow is handed to ({@link ForwarderHandover}). With other counts a worker takes
 * any socket left; sockets left over (the old appliance had more workers) are adopted too, spread over the workers,
 * so every socket of the {@code SO_REUSEPORT} group keeps being read.
 *
 * <p><b>Thread safety:</b> thread-safe; every method synchronizes on this object (workers take sockets on their own
 * event loops).
 */
public final class InheritedSockets {
    /** Nothing inherited: every listener is bound anew. */
    public static final InheritedSockets NONE = new InheritedSockets(List.of());

    /**
     * One inherited socket.
     *
     * @param address the address it is bound to
     * @param worker  the index of the old appliance's worker that read it, or -1 for one it had adopted beyond
     * @param fd      its descriptor, this process's
     */
    public record Inherited(InetSocketAddress address, int worker, int fd) {
    }

    private final Map<InetSocketAddress, List<Inherited>> byAddress = new LinkedHashMap<>();

    /**
     * @param sockets the sockets, in the order the old appliance listed them
     */
    public InheritedSockets(List<Inherited> sockets) {
        sockets.forEach(socket -> byAddress.computeIfAbsent(socket.address(), a -> new ArrayList<>()).add(socket));
    }

    /**
     * @param address a listener address as bound
     * @param worker  the index of the worker that asks
     * @return the descriptor that worker read it through in the old appliance, else the first one left; now the
     *         caller's; or null when none is left
     */
    synchronized Integer take(InetSocketAddress address, int worker) {
        List<Inherited> sockets = byAddress.get(address);
        if (sockets == null || sockets.isEmpty()) {
            return null;
        }
        for (Iterator<Inherited> it = sockets.iterator(); it.hasNext();) {
            Inherited socket = it.next();
            if (socket.worker() == worker) {
                it.remove();
                return socket.fd();
            }
        }
        return sockets.remove(0).fd();
    }

    /** @return the sockets no worker took, now the caller's, by address */
    synchronized Map<InetSocketAddress, List<Integer>> takeRemaining() {
        Map<InetSocketAddress, List<Integer>> remaining = new LinkedHashMap<>();
        byAddress.forEach((address, sockets) -> {
            if (!sockets.isEmpty()) {
                remaining.put(address, new ArrayList<>(sockets.stream().map(Inherited::fd).toList()));
                sockets.clear();
            }
        });
        return remaining;
    }

    /** @return how many sockets were inherited and not yet taken */
    public synchronized int remaining() {
        return byAddress.values().stream().mapToInt(List::size).sum();
    }
}

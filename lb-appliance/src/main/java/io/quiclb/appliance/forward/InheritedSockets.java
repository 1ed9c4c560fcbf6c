package io.quiclb.appliance.forward;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Listener sockets received from the appliance this one takes over, by the address each is bound to: the forwarder
 * adopts them ({@link Transport#adopt}) instead of binding new ones, so no listener socket ever closes and no
 * datagram queued in one is lost. A worker takes one socket per address; sockets left over (the old appliance had
 * more workers) are adopted too, spread over the workers, so every socket of the {@code SO_REUSEPORT} group keeps
 * being read.
 *
 * <p><b>Thread safety:</b> thread-safe; every method synchronizes on this object (workers take sockets on their own
 * event loops).
 */
public final class InheritedSockets {
    /** Nothing inherited: every listener is bound anew. */
    public static final InheritedSockets NONE = new InheritedSockets(Map.of());

    private final Map<InetSocketAddress, Deque<Integer>> byAddress = new LinkedHashMap<>();

    /**
     * @param sockets descriptors by the address they are bound to, in the order the old appliance listed them
     */
    public InheritedSockets(Map<InetSocketAddress, List<Integer>> sockets) {
        sockets.forEach((address, fds) -> byAddress.put(address, new ArrayDeque<>(fds)));
    }

    /**
     * @param address a listener address as bound
     * @return a descriptor bound to it, now the caller's, or null when none is left
     */
    synchronized Integer take(InetSocketAddress address) {
        Deque<Integer> fds = byAddress.get(address);
        return fds == null ? null : fds.pollFirst();
    }

    /** @return the sockets no worker took, now the caller's, by address */
    synchronized Map<InetSocketAddress, List<Integer>> takeRemaining() {
        Map<InetSocketAddress, List<Integer>> remaining = new LinkedHashMap<>();
        byAddress.forEach((address, fds) -> {
            if (!fds.isEmpty()) {
                remaining.put(address, new ArrayList<>(fds));
                fds.clear();
            }
        });
        return remaining;
    }

    /** @return how many sockets were inherited and not yet taken */
    public synchronized int remaining() {
        return byAddress.values().stream().mapToInt(Deque::size).sum();
    }
}

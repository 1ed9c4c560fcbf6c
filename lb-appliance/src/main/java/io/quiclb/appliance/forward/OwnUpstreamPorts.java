package io.quiclb.appliance.forward;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The local ports of the forwarder's own upstream sockets, so a listener can tell a datagram that the appliance sent
 * to itself: a server address that is one of its own listeners (refused by validation, but reachable through NAT,
 * a DNS change or another host's forwarding) would otherwise bounce every datagram round the appliance, each lap
 * opening a new flow. Such a datagram is dropped and counted as {@link ForwarderCounter#DROPPED_LOOP}.
 *
 * <p>The data path reads one word of a 8 KiB bitmap per datagram (an opaque load, no allocation); only when the
 * sender's port has a bit does it look at the address: for a socket bound to the wildcard, any loopback or local
 * address of this host with that port; for one bound to a source address ({@code forwarder.upstreamSources}), that
 * address and port exactly.
 *
 * <p><b>Thread safety:</b> built for sharing by every worker: opens and closes update a per-port count atomically
 * and keep the bitmap in step with compare-and-set; reads are opaque loads. A bit may lag a close by one update,
 * which only makes one check look at the address.
 */
final class OwnUpstreamPorts {
    private static final int PORTS = 65536;

    private final AtomicIntegerArray counts = new AtomicIntegerArray(PORTS);
    private final AtomicIntegerArray wildcard = new AtomicIntegerArray(PORTS);
    private final ConcurrentHashMap<InetSocketAddress, Integer> specific = new ConcurrentHashMap<>();
    private final AtomicLongArray bits = new AtomicLongArray(PORTS / 64);
    private final Set<InetAddress> localAddresses;

    /**
     * @param localAddresses this host's interface addresses (loopback is recognised without them)
     */
    OwnUpstreamPorts(Set<InetAddress> localAddresses) {
        this.localAddresses = Set.copyOf(localAddresses);
    }

    /** An upstream socket was bound to {@code local}. */
    void opened(InetSocketAddress local) {
        int port = local.getPort();
        if (local.getAddress().isAnyLocalAddress()) {
            wildcard.incrementAndGet(port);
        } else {
            specific.merge(local, 1, Integer::sum);
        }
        if (counts.incrementAndGet(port) == 1) {
            setBit(port, true);
        }
    }

    /** The upstream socket bound to {@code local} closed. */
    void closed(InetSocketAddress local) {
        int port = local.getPort();
        if (local.getAddress().isAnyLocalAddress()) {
            wildcard.decrementAndGet(port);
        } else {
            specific.computeIfPresent(local, (address, n) -> n == 1 ? null : n - 1);
        }
        if (counts.decrementAndGet(port) == 0) {
            setBit(port, false);
            if (counts.get(port) > 0) {
                setBit(port, true); // reopened meanwhile
            }
        }
    }

    /**
     * @param sender a datagram's source
     * @return whether one of the forwarder's own upstream sockets sent it
     */
    boolean isOwn(InetSocketAddress sender) {
        int port = sender.getPort();
        if ((bits.getOpaque(port >>> 6) & (1L << port)) == 0) {
            return false;
        }
        if (specific.containsKey(sender)) {
            return true;
        }
        InetAddress address = sender.getAddress();
        return wildcard.getOpaque(port) > 0 && (address.isLoopbackAddress() || localAddresses.contains(address));
    }

    private void setBit(int port, boolean set) {
        int word = port >>> 6;
        long bit = 1L << port;
        long old;
        do {
            old = bits.get(word);
        } while (!bits.compareAndSet(word, old, set ? old | bit : old & ~bit));
    }
}

package io.quiclb.appliance.forward;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The local addresses clients send to, numbered once for the whole appliance: every specific listener address in
 * the order of {@code forwarder.listeners}, then each destination address found behind a wildcard listener, in the
 * order they were found. The number of an address is part of each 4-tuple key of the draft-21 §4.2 tables and of
 * each NAT flow, and the same on every worker; replies to a client leave from the worker's socket bound to the
 * flow's local address.
 *
 * <p><b>Thread safety:</b> thread-safe. {@link #address} and {@link #indexOf} allocate nothing; {@link #register}
 * (rare: a new destination address) is synchronized and publishes a new array with one volatile write.
 */
public final class LocalAddresses {
    private final ConcurrentHashMap<InetSocketAddress, Integer> indexes = new ConcurrentHashMap<>();
    private volatile InetSocketAddress[] byIndex = new InetSocketAddress[0];

    /**
     * @param addresses the first addresses, numbered 0, 1, ...
     * @return a registry holding them
     */
    public static LocalAddresses of(List<InetSocketAddress> addresses) {
        LocalAddresses locals = new LocalAddresses();
        for (InetSocketAddress address : addresses) {
            locals.register(address);
        }
        return locals;
    }

    /**
     * @param address a local address
     * @return its number, the existing one when it has one already
     */
    public synchronized int register(InetSocketAddress address) {
        Integer existing = indexes.get(address);
        if (existing != null) {
            return existing;
        }
        InetSocketAddress[] next = Arrays.copyOf(byIndex, byIndex.length + 1);
        next[next.length - 1] = address;
        byIndex = next;
        indexes.put(address, next.length - 1);
        return next.length - 1;
    }

    /**
     * @param address a local address
     * @return its number, or -1 when it has none yet
     */
    public int indexOf(InetSocketAddress address) {
        Integer index = indexes.get(address);
        return index == null ? -1 : index;
    }

    /**
     * @param index a number from {@link #register}
     * @return its address
     */
    public InetSocketAddress address(int index) {
        return byIndex[index];
    }

    /** @return how many addresses are numbered */
    public int size() {
        return byIndex.length;
    }
}

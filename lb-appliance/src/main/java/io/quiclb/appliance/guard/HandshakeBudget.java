package io.quiclb.appliance.guard;

import io.quiclb.appliance.table.AddressKeyTable;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bound on first flights in progress, after HAProxy's QUIC listener (seed 001): a NAT flow opened by a datagram
 * whose DCID the load balancer cannot route (a client's Initial, or anything that looks unroutable) holds one unit
 * of the budget until it is confirmed (the client sent again after the server answered) or closed. Past
 * {@code forwarder.maxHandshakes} units, such datagrams open no flow and are dropped, so CPU, descriptors and
 * ports go to connections that exist, unless the worker can free a unit by closing a first flight that the server
 * answered and the client never confirmed (what a spoofed source leaves behind); datagrams routed by CID and
 * confirmed flows never touch the budget.
 *
 * <p>Optionally each source prefix (an IPv4 /24, an IPv6 /64) holds at most {@code forwarder.maxHandshakesPerPrefix}
 * units, so one network cannot take the whole budget.
 *
 * <p><b>Thread safety:</b> thread-safe: one atomic count, and per-prefix counts in stripes of
 * {@link AddressKeyTable}s, each stripe guarded by its own monitor; a prefix's count is created with its first unit
 * and removed with its last, so the table holds only prefixes with handshakes in progress. {@link #tryAcquire} and
 * {@link #release} allocate nothing for IPv4 clients whose prefix already holds a unit; the first unit of a prefix
 * allocates its counter, and an IPv6 client's address octets are copied.
 */
public final class HandshakeBudget {
    private static final int IPV4_PREFIX_OCTETS = 3;
    private static final int IPV6_PREFIX_OCTETS = 8;

    private volatile long max;
    private final int maxPerPrefix;
    private final AtomicLong inProgress = new AtomicLong();
    private static final int STRIPES = 256;
    private final AddressKeyTable<int[]>[] perPrefix;

    /**
     * @param max          units in all at most
     * @param maxPerPrefix units per source prefix at most; 0 for no per-prefix bound
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public HandshakeBudget(long max, int maxPerPrefix) {
        this.max = max;
        this.maxPerPrefix = maxPerPrefix;
        if (maxPerPrefix > 0) {
            // A prefix's count exists only while it holds units, so the tables never hold more than the budget; the
            // bound per stripe is generous (tables grow as needed), as the budget may be raised later (setMax).
            int perStripe = 1 << 22;
            this.perPrefix = new AddressKeyTable[STRIPES];
            for (int i = 0; i < STRIPES; i++) {
                perPrefix[i] = new AddressKeyTable<>(perStripe);
            }
        } else {
            this.perPrefix = null;
        }
    }

    /** {@link #tryAcquire}: a unit was taken. */
    public static final int ACQUIRED = 0;
    /** {@link #tryAcquire}: the budget is spent; a unit given back by another flow would do. */
    public static final int BUDGET_SPENT = 1;
    /** {@link #tryAcquire}: the client's prefix has its share; only a unit of the same prefix would do. */
    public static final int PREFIX_SPENT = 2;

    /**
     * Takes a unit for a new first-flight flow from {@code client}.
     *
     * @param client  the client's address
     * @param scratch at least 9 octets the caller owns (its worker's), for the prefix key
     * @return {@link #ACQUIRED}; or, taking nothing, {@link #BUDGET_SPENT} or {@link #PREFIX_SPENT}
     */
    public int tryAcquire(InetSocketAddress client, byte[] scratch) {
        // The prefix first: a prefix at its share is told so even when the budget is spent too, so the caller does
        // not evict another network's first flight for a unit this prefix could not take anyway.
        if (perPrefix != null && !acquirePrefix(client.getAddress(), scratch)) {
            return PREFIX_SPENT;
        }
        if (inProgress.incrementAndGet() > max) {
            inProgress.decrementAndGet();
            if (perPrefix != null) {
                releasePrefix(client.getAddress(), scratch);
            }
            return BUDGET_SPENT;
        }
        return ACQUIRED;
    }

    /**
     * Gives back the unit taken for {@code client}'s flow (it was confirmed, or closed).
     *
     * @param client  the client's address
     * @param scratch at least 9 octets the caller owns
     */
    public void release(InetSocketAddress client, byte[] scratch) {
        inProgress.decrementAndGet();
        if (perPrefix != null) {
            releasePrefix(client.getAddress(), scratch);
        }
    }

    private void releasePrefix(InetAddress address, byte[] scratch) {
        int length = prefix(address, scratch);
        int hash = AddressKeyTable.hash(null, -1, null, scratch, 0, length);
        AddressKeyTable<int[]> stripe = perPrefix[hash >>> 24];
        synchronized (stripe) {
            int[] count = stripe.get(hash, null, -1, null, scratch, 0, length, 0);
            if (count != null && --count[0] <= 0) {
                stripe.removeValue(null, -1, null, scratch, 0, length, count);
            }
        }
    }

    /** @return source prefixes with handshakes in progress now (0 without a per-prefix bound) */
    public int prefixes() {
        int prefixes = 0;
        if (perPrefix != null) {
            for (AddressKeyTable<int[]> stripe : perPrefix) {
                synchronized (stripe) {
                    prefixes += stripe.size();
                }
            }
        }
        return prefixes;
    }

    /** @return units held now */
    public long inProgress() {
        return inProgress.get();
    }

    /** @return units in all at most */
    public long max() {
        return max;
    }

    /**
     * @param max units in all at most from now on (units held above it are kept until released)
     */
    public void setMax(long max) {
        this.max = max;
    }

    /** @return units per source prefix at most; 0 when unbounded */
    public int maxPerPrefix() {
        return maxPerPrefix;
    }

    private boolean acquirePrefix(InetAddress address, byte[] scratch) {
        int length = prefix(address, scratch);
        int hash = AddressKeyTable.hash(null, -1, null, scratch, 0, length);
        AddressKeyTable<int[]> stripe = perPrefix[hash >>> 24];
        synchronized (stripe) {
            int[] count = stripe.get(hash, null, -1, null, scratch, 0, length, 0);
            if (count == null) {
                count = new int[1];
                if (!stripe.put(hash, null, -1, null, scratch, 0, length, count, 0)) {
                    return false;
                }
            }
            if (count[0] >= maxPerPrefix) {
                return false;
            }
            count[0]++;
            return true;
        }
    }

    /** Writes the family and the prefix octets; returns the key length. */
    private static int prefix(InetAddress address, byte[] scratch) {
        if (address instanceof Inet4Address) {
            int v4 = address.hashCode(); // Inet4Address's hash code is its address
            scratch[0] = 4;
            scratch[1] = (byte) (v4 >>> 24);
            scratch[2] = (byte) (v4 >>> 16);
            scratch[3] = (byte) (v4 >>> 8);
            return 1 + IPV4_PREFIX_OCTETS;
        }
        byte[] octets = address.getAddress();
        scratch[0] = 6;
        System.arraycopy(octets, 0, scratch, 1, IPV6_PREFIX_OCTETS);
        return 1 + IPV6_PREFIX_OCTETS;
    }
}

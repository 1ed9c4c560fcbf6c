package io.quiclb.appliance.table;

import java.net.InetSocketAddress;

/**
 * An {@link AddressKeyTable} that every worker uses at once. The key space is split by hash into stripes, each an
 * {@code AddressKeyTable} guarded by its own monitor: the top bits of a key's hash pick the stripe, the low bits the
 * slot in it, so one hash serves both. Workers contend only when two of them touch the same stripe at the same
 * moment; a monitor allocates nothing on the Java heap, so lookups allocate nothing either.
 *
 * <p>The bound is per stripe ({@code ceil(maxEntries / stripes)}), so a put may be refused a little before the
 * whole table holds {@code maxEntries}; with a uniform hash the difference is a few per cent at most.
 *
 * @param <V> the value type; values must be safe to share between threads (immutable, or built for sharing)
 *
 * <p><b>Thread safety:</b> thread-safe.
 */
public final class SharedAddressKeyTable<V> {
    private final AddressKeyTable<V>[] stripes;
    private final int shift;

    /**
     * @param maxEntries entries held at most, over all stripes
     * @param stripes    number of stripes, a power of two
     * @throws IllegalArgumentException when {@code stripes} is not a power of two
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public SharedAddressKeyTable(int maxEntries, int stripes) {
        if (stripes < 1 || Integer.bitCount(stripes) != 1) {
            throw new IllegalArgumentException("must be a power of two: stripes=" + stripes);
        }
        this.stripes = new AddressKeyTable[stripes];
        int perStripe = Math.max(1, (int) Math.min(Integer.MAX_VALUE / 2, ((long) maxEntries + stripes - 1) / stripes));
        for (int i = 0; i < stripes; i++) {
            this.stripes[i] = new AddressKeyTable<>(perStripe);
        }
        this.shift = 32 - Integer.numberOfTrailingZeros(stripes);
    }

    /** @see AddressKeyTable#get */
    public V get(InetSocketAddress client, int local, InetSocketAddress target, byte[] id, int idOffset, int idLength,
                 long now) {
        int hash = AddressKeyTable.hash(client, local, target, id, idOffset, idLength);
        AddressKeyTable<V> stripe = stripe(hash);
        synchronized (stripe) {
            return stripe.get(hash, client, local, target, id, idOffset, idLength, now);
        }
    }

    /** @see AddressKeyTable#put */
    public boolean put(InetSocketAddress client, int local, InetSocketAddress target, byte[] id, int idOffset,
                       int idLength, V value, long now) {
        int hash = AddressKeyTable.hash(client, local, target, id, idOffset, idLength);
        AddressKeyTable<V> stripe = stripe(hash);
        synchronized (stripe) {
            return stripe.put(hash, client, local, target, id, idOffset, idLength, value, now);
        }
    }

    /** @see AddressKeyTable#removeValueIfUnseenSince */
    public boolean removeValueIfUnseenSince(InetSocketAddress client, int local, InetSocketAddress target, byte[] id,
                                            int idOffset, int idLength, V value, long seenAtMost) {
        int hash = AddressKeyTable.hash(client, local, target, id, idOffset, idLength);
        AddressKeyTable<V> stripe = stripe(hash);
        synchronized (stripe) {
            return stripe.removeValueIfUnseenSince(client, local, target, id, idOffset, idLength, value, seenAtMost);
        }
    }

    /**
     * Removes every entry not seen since {@code idleBefore}, one stripe at a time (each locked only while it is
     * swept).
     *
     * @return how many were removed
     */
    public int expire(long idleBefore) {
        int removed = 0;
        for (AddressKeyTable<V> stripe : stripes) {
            synchronized (stripe) {
                removed += stripe.expire(idleBefore, value -> { });
            }
        }
        return removed;
    }

    /** @return entries held now (each stripe read under its lock; the sum may be a moment old) */
    public int size() {
        int size = 0;
        for (AddressKeyTable<V> stripe : stripes) {
            synchronized (stripe) {
                size += stripe.size();
            }
        }
        return size;
    }

    /** Removes everything. */
    public void clear() {
        for (AddressKeyTable<V> stripe : stripes) {
            synchronized (stripe) {
                stripe.clear();
            }
        }
    }

    private AddressKeyTable<V> stripe(int hash) {
        return stripes[shift == 32 ? 0 : hash >>> shift];
    }
}

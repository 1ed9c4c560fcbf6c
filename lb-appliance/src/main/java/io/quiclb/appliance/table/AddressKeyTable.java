package io.quiclb.appliance.table;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A hash table keyed by any combination of a client address, a local index (a listener address, or an upstream
 * port), a target address and up to {@value #MAX_ID_LENGTH} octets of connection ID, with an idle timestamp per
 * entry. It backs each worker's NAT flow and reply tables, and, striped, the shared tables of draft-21 §4.2
 * ({@link SharedAddressKeyTable}).
 *
 * <p>Lookups allocate nothing: keys are compared in place, and the table uses open addressing with linear probing.
 * It grows by doubling up to {@code maxEntries}; past that, {@link #put} refuses. Removal shifts later entries back,
 * so there are no tombstones. Every method has a form that takes the key's {@link #hash} computed by the caller, so
 * a striped table hashes once.
 *
 * <p>Layout, for a table of a million flows where every lookup is a cache miss: a slot's numbers are three
 * neighbouring longs (hash and local index; an IPv4 client's address and port with the ID's length; the idle
 * timestamp) and its references three neighbouring slots of one array (client, target, value), so a hit costs about
 * two cache lines rather than one per field. An IPv4 client is compared by its numbers, without following the stored
 * {@link InetSocketAddress}; other clients with {@link InetSocketAddress#equals}. ID octets live in their own array
 * and are read only for keys that have them.
 *
 * @param <V> the value type
 *
 * <p><b>Thread safety:</b> not thread-safe; owned by one worker, or guarded by a {@link SharedAddressKeyTable}'s
 * stripe lock.
 */
public final class AddressKeyTable<V> {
    /** The longest connection ID a key holds: QUIC v1's and v2's limit (RFC 9000 §17.2, RFC 9369). */
    public static final int MAX_ID_LENGTH = 20;
    private static final int INITIAL_CAPACITY = 64;
    private static final int LONGS = 3;
    private static final int REFS = 3;
    private static final int CLIENT = 0;
    private static final int TARGET = 1;
    private static final int VALUE = 2;

    private final int maxEntries;
    /** Per slot: [hash << 32 | local], [IPv4 client << 32 | id length << 24 | IPv4 port + 1], [last seen]. */
    private long[] numbers;
    /** Per slot: client, target, value; a null value marks an empty slot. */
    private Object[] refs;
    /** ID octets per slot; null until a key with an ID is put (flow tables never need it). */
    private byte[] ids;
    private int size;
    private int mask;

    /**
     * @param maxEntries entries held at most
     */
    public AddressKeyTable(int maxEntries) {
        this.maxEntries = maxEntries;
        allocate(Math.min(INITIAL_CAPACITY, Integer.highestOneBit(Math.max(2, maxEntries)) << 1));
    }

    /** @return entries held now */
    public int size() {
        return size;
    }

    /** @return entries held at most */
    public int maxEntries() {
        return maxEntries;
    }

    /**
     * @param idLength at most {@value #MAX_ID_LENGTH}
     * @return the value for the key, or null; a hit refreshes the entry's idle timestamp
     */
    public V get(InetSocketAddress client, int local, InetSocketAddress target, byte[] id, int idOffset, int idLength,
                 long now) {
        return get(hash(client, local, target, id, idOffset, idLength), client, local, target, id, idOffset, idLength,
                now);
    }

    /** {@link #get} with the key's {@link #hash} given. */
    @SuppressWarnings("unchecked")
    public V get(int hash, InetSocketAddress client, int local, InetSocketAddress target, byte[] id, int idOffset,
                 int idLength, long now) {
        final long first = first(hash, local);
        final long second = second(client, idLength);
        int i = hash & mask;
        Object value;
        while ((value = refs[i * REFS + VALUE]) != null) {
            if (matches(i, first, second, client, target, id, idOffset, idLength)) {
                numbers[i * LONGS + 2] = now;
                return (V) value;
            }
            i = (i + 1) & mask;
        }
        return null;
    }

    /**
     * Inserts or replaces.
     *
     * @param idLength at most {@value #MAX_ID_LENGTH}
     * @return false, changing nothing, when the table is full
     */
    public boolean put(InetSocketAddress client, int local, InetSocketAddress target, byte[] id, int idOffset,
                       int idLength, V value, long now) {
        return put(hash(client, local, target, id, idOffset, idLength), client, local, target, id, idOffset, idLength,
                value, now);
    }

    /** {@link #put} with the key's {@link #hash} given. */
    public boolean put(int hash, InetSocketAddress client, int local, InetSocketAddress target, byte[] id,
                       int idOffset, int idLength, V value, long now) {
        final long first = first(hash, local);
        final long second = second(client, idLength);
        int i = hash & mask;
        while (refs[i * REFS + VALUE] != null) {
            if (matches(i, first, second, client, target, id, idOffset, idLength)) {
                refs[i * REFS + VALUE] = value;
                numbers[i * LONGS + 2] = now;
                return true;
            }
            i = (i + 1) & mask;
        }
        if (size >= maxEntries) {
            return false;
        }
        if ((size + 1) * 4 > capacity() * 3) {
            grow();
            return put(hash, client, local, target, id, idOffset, idLength, value, now);
        }
        numbers[i * LONGS] = first;
        numbers[i * LONGS + 1] = second;
        numbers[i * LONGS + 2] = now;
        refs[i * REFS + CLIENT] = client;
        refs[i * REFS + TARGET] = target;
        refs[i * REFS + VALUE] = value;
        if (idLength > 0) {
            if (ids == null) {
                ids = new byte[capacity() * MAX_ID_LENGTH];
            }
            System.arraycopy(id, idOffset, ids, i * MAX_ID_LENGTH, idLength);
        }
        size++;
        return true;
    }

    /**
     * Removes the entry of this key if it holds exactly this value.
     *
     * @return whether it did
     */
    public boolean removeValue(InetSocketAddress client, int local, InetSocketAddress target, byte[] id, int idOffset,
                               int idLength, V value) {
        return removeValue(client, local, target, id, idOffset, idLength, value, false, 0);
    }

    /**
     * Removes the entry of this key if it holds exactly this value and was not put or looked up after
     * {@code seenAtMost} (the same monotonic clock as {@link #get}'s {@code now}): nobody else has relied on it since.
     *
     * @return whether it did
     */
    public boolean removeValueIfUnseenSince(InetSocketAddress client, int local, InetSocketAddress target, byte[] id,
                                            int idOffset, int idLength, V value, long seenAtMost) {
        return removeValue(client, local, target, id, idOffset, idLength, value, true, seenAtMost);
    }

    private boolean removeValue(InetSocketAddress client, int local, InetSocketAddress target, byte[] id, int idOffset,
                                int idLength, V value, boolean checkSeen, long seenAtMost) {
        final int hash = hash(client, local, target, id, idOffset, idLength);
        final long first = first(hash, local);
        final long second = second(client, idLength);
        int i = hash & mask;
        Object held;
        while ((held = refs[i * REFS + VALUE]) != null) {
            if (matches(i, first, second, client, target, id, idOffset, idLength)) {
                if (held != value || (checkSeen && numbers[i * LONGS + 2] - seenAtMost > 0)) {
                    return false;
                }
                removeAt(i);
                return true;
            }
            i = (i + 1) & mask;
        }
        return false;
    }

    /**
     * Removes every entry not seen since {@code idleBefore}, handing each removed value to {@code removed}.
     *
     * @return how many were removed
     */
    public int expire(long idleBefore, Consumer<V> removed) {
        int count = 0;
        int i = 0;
        while (i < capacity()) {
            if (refs[i * REFS + VALUE] != null && numbers[i * LONGS + 2] - idleBefore < 0) {
                count += remove(i, removed);
                continue; // an entry may have shifted into slot i
            }
            i++;
        }
        return count;
    }

    /**
     * Removes every entry whose value passes {@code test}, handing each removed value to {@code removed}.
     *
     * @return how many were removed
     */
    @SuppressWarnings("unchecked")
    public int removeIf(Predicate<V> test, Consumer<V> removed) {
        int count = 0;
        int i = 0;
        while (i < capacity()) {
            Object value = refs[i * REFS + VALUE];
            if (value != null && test.test((V) value)) {
                count += remove(i, removed);
                continue; // an entry may have shifted into slot i
            }
            i++;
        }
        return count;
    }

    @SuppressWarnings("unchecked")
    private int remove(int i, Consumer<V> removed) {
        Object value = refs[i * REFS + VALUE];
        removeAt(i);
        removed.accept((V) value);
        return 1;
    }

    /** Hands every value to {@code visitor}. */
    @SuppressWarnings("unchecked")
    public void forEach(Consumer<V> visitor) {
        for (int i = 0; i < capacity(); i++) {
            Object value = refs[i * REFS + VALUE];
            if (value != null) {
                visitor.accept((V) value);
            }
        }
    }

    /** Removes everything. */
    public void clear() {
        allocate(Math.min(INITIAL_CAPACITY, capacity()));
        size = 0;
    }

    private int capacity() {
        return mask + 1;
    }

    private static long first(int hash, int local) {
        return (long) hash << 32 | (local & 0xffffffffL);
    }

    /** The IPv4 client's address and port (port + 1; 0 for no IPv4 client) with the ID's length. */
    private static long second(InetSocketAddress client, int idLength) {
        long v4 = 0;
        if (client != null && client.getAddress() instanceof Inet4Address address) {
            v4 = (long) address.hashCode() << 32 | (client.getPort() + 1L);
        }
        return v4 | (long) idLength << 24;
    }

    private boolean matches(int i, long first, long second, InetSocketAddress client, InetSocketAddress target,
                            byte[] id, int idOffset, int idLength) {
        if (numbers[i * LONGS] != first || numbers[i * LONGS + 1] != second) {
            return false;
        }
        if ((second & 0xffffff) == 0) { // no IPv4 client: compare the client itself
            Object stored = refs[i * REFS + CLIENT];
            if (stored != client && (stored == null || !stored.equals(client))) {
                return false;
            }
        }
        Object storedTarget = refs[i * REFS + TARGET];
        if (storedTarget != target && (storedTarget == null || !storedTarget.equals(target))) {
            return false;
        }
        return idLength == 0 || Arrays.equals(ids, i * MAX_ID_LENGTH, i * MAX_ID_LENGTH + idLength, id, idOffset,
                idOffset + idLength);
    }

    /** Backward-shift deletion for linear probing. */
    private void removeAt(int slot) {
        int hole = slot;
        int i = (slot + 1) & mask;
        while (refs[i * REFS + VALUE] != null) {
            int home = (int) (numbers[i * LONGS] >>> 32) & mask;
            // Move i into the hole when its home position is not cyclically within (hole, i].
            if (((i - home) & mask) >= ((i - hole) & mask)) {
                move(i, hole);
                hole = i;
            }
            i = (i + 1) & mask;
        }
        refs[hole * REFS + CLIENT] = null;
        refs[hole * REFS + TARGET] = null;
        refs[hole * REFS + VALUE] = null;
        size--;
    }

    private void move(int from, int to) {
        System.arraycopy(numbers, from * LONGS, numbers, to * LONGS, LONGS);
        System.arraycopy(refs, from * REFS, refs, to * REFS, REFS);
        if (ids != null) {
            System.arraycopy(ids, from * MAX_ID_LENGTH, ids, to * MAX_ID_LENGTH, MAX_ID_LENGTH);
        }
    }

    private void grow() {
        long[] oldNumbers = numbers;
        Object[] oldRefs = refs;
        byte[] oldIds = ids;
        int oldCapacity = capacity();
        allocate(oldCapacity * 2);
        if (oldIds != null) {
            ids = new byte[capacity() * MAX_ID_LENGTH];
        }
        for (int j = 0; j < oldCapacity; j++) {
            if (oldRefs[j * REFS + VALUE] == null) {
                continue;
            }
            int i = (int) (oldNumbers[j * LONGS] >>> 32) & mask;
            while (refs[i * REFS + VALUE] != null) {
                i = (i + 1) & mask;
            }
            System.arraycopy(oldNumbers, j * LONGS, numbers, i * LONGS, LONGS);
            System.arraycopy(oldRefs, j * REFS, refs, i * REFS, REFS);
            if (oldIds != null) {
                System.arraycopy(oldIds, j * MAX_ID_LENGTH, ids, i * MAX_ID_LENGTH, MAX_ID_LENGTH);
            }
        }
    }

    private void allocate(int capacity) {
        numbers = new long[capacity * LONGS];
        refs = new Object[capacity * REFS];
        ids = null;
        mask = capacity - 1;
    }

    /**
     * The hash of a key; it never allocates. Addresses hash by their octets and port, so the value is the same in
     * every process.
     */
    public static int hash(InetSocketAddress client, int local, InetSocketAddress target, byte[] id, int idOffset,
                           int idLength) {
        int h = 0x9747b28c ^ local;
        if (client != null) {
            h = mix(h, client.getAddress().hashCode());
            h = mix(h, client.getPort());
        }
        if (target != null) {
            h = mix(h, target.getAddress().hashCode());
            h = mix(h, target.getPort());
        }
        for (int i = 0; i < idLength; i++) {
            h = mix(h, id[idOffset + i]);
        }
        return fmix(h);
    }

    /**
     * One step of MurmurHash3's 32-bit body.
     *
     * @param h the hash so far
     * @param k the next 32 bits of key
     * @return the hash with them mixed in
     */
    public static int mix(int h, int k) {
        k *= 0xcc9e2d51;
        k = Integer.rotateLeft(k, 15);
        k *= 0x1b873593;
        h ^= k;
        return Integer.rotateLeft(h, 13) * 5 + 0xe6546b64;
    }

    /**
     * MurmurHash3's 32-bit finalizer: every input bit affects every output bit.
     *
     * @param h the hash so far
     * @return the final hash
     */
    public static int fmix(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        return h ^ (h >>> 16);
    }
}

package io.quiclb.appliance.table;

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
 * <p>Lookups allocate nothing: keys are compared in place ({@link InetSocketAddress#equals} and the ID octets), and
 * the table uses open addressing with linear probing. It grows by doubling up to {@code maxEntries}; past that,
 * {@link #put} refuses. Removal shifts later entries back, so there are no tombstones. Every method has a form that
 * takes the key's {@link #hash} computed by the caller, so a striped table hashes once.
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

    private final int maxEntries;
    private InetSocketAddress[] clients;
    private int[] locals;
    private InetSocketAddress[] targets;
    private byte[] ids;
    private byte[] idLengths;
    private int[] hashes;
    private long[] lastSeen;
    private Object[] values;
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
        int i = hash & mask;
        Object value;
        while ((value = values[i]) != null) {
            if (hashes[i] == hash && matches(i, client, local, target, id, idOffset, idLength)) {
                lastSeen[i] = now;
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
        int i = hash & mask;
        while (values[i] != null) {
            if (hashes[i] == hash && matches(i, client, local, target, id, idOffset, idLength)) {
                values[i] = value;
                lastSeen[i] = now;
                return true;
            }
            i = (i + 1) & mask;
        }
        if (size >= maxEntries) {
            return false;
        }
        if ((size + 1) * 4 > values.length * 3) {
            grow();
            return put(hash, client, local, target, id, idOffset, idLength, value, now);
        }
        clients[i] = client;
        locals[i] = local;
        targets[i] = target;
        System.arraycopy(id, idOffset, ids, i * MAX_ID_LENGTH, idLength);
        idLengths[i] = (byte) idLength;
        hashes[i] = hash;
        lastSeen[i] = now;
        values[i] = value;
        size++;
        return true;
    }

    /**
     * Removes the entry holding exactly this value, if any.
     *
     * @return whether it was there
     */
    public boolean removeValue(InetSocketAddress client, int local, InetSocketAddress target, byte[] id, int idOffset,
                               int idLength, V value) {
        final int hash = hash(client, local, target, id, idOffset, idLength);
        int i = hash & mask;
        while (values[i] != null) {
            if (values[i] == value) {
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
        while (i < values.length) {
            Object value = values[i];
            if (value != null && lastSeen[i] - idleBefore < 0) {
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
        while (i < values.length) {
            Object value = values[i];
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
        Object value = values[i];
        removeAt(i);
        removed.accept((V) value);
        return 1;
    }

    /** Hands every value to {@code visitor}. */
    @SuppressWarnings("unchecked")
    public void forEach(Consumer<V> visitor) {
        for (Object value : values) {
            if (value != null) {
                visitor.accept((V) value);
            }
        }
    }

    /** Removes everything. */
    public void clear() {
        allocate(Math.min(INITIAL_CAPACITY, values.length));
        size = 0;
    }

    private boolean matches(int i, InetSocketAddress client, int local, InetSocketAddress target, byte[] id,
                            int idOffset, int idLength) {
        return locals[i] == local && idLengths[i] == idLength
                && (clients[i] == client || clients[i] != null && clients[i].equals(client))
                && (targets[i] == target || targets[i] != null && targets[i].equals(target))
                && Arrays.equals(ids, i * MAX_ID_LENGTH, i * MAX_ID_LENGTH + idLength, id, idOffset,
                idOffset + idLength);
    }

    /** Backward-shift deletion for linear probing. */
    private void removeAt(int slot) {
        int hole = slot;
        int i = (slot + 1) & mask;
        while (values[i] != null) {
            int home = hashes[i] & mask;
            // Move i into the hole when its home position is not cyclically within (hole, i].
            if (((i - home) & mask) >= ((i - hole) & mask)) {
                move(i, hole);
                hole = i;
            }
            i = (i + 1) & mask;
        }
        clients[hole] = null;
        targets[hole] = null;
        values[hole] = null;
        size--;
    }

    private void move(int from, int to) {
        clients[to] = clients[from];
        locals[to] = locals[from];
        targets[to] = targets[from];
        System.arraycopy(ids, from * MAX_ID_LENGTH, ids, to * MAX_ID_LENGTH, MAX_ID_LENGTH);
        idLengths[to] = idLengths[from];
        hashes[to] = hashes[from];
        lastSeen[to] = lastSeen[from];
        values[to] = values[from];
    }

    private void grow() {
        InetSocketAddress[] oldClients = clients;
        int[] oldLocals = locals;
        InetSocketAddress[] oldTargets = targets;
        byte[] oldIds = ids;
        byte[] oldIdLengths = idLengths;
        int[] oldHashes = hashes;
        long[] oldLastSeen = lastSeen;
        Object[] oldValues = values;
        allocate(values.length * 2);
        for (int j = 0; j < oldValues.length; j++) {
            if (oldValues[j] == null) {
                continue;
            }
            int i = oldHashes[j] & mask;
            while (values[i] != null) {
                i = (i + 1) & mask;
            }
            clients[i] = oldClients[j];
            locals[i] = oldLocals[j];
            targets[i] = oldTargets[j];
            System.arraycopy(oldIds, j * MAX_ID_LENGTH, ids, i * MAX_ID_LENGTH, MAX_ID_LENGTH);
            idLengths[i] = oldIdLengths[j];
            hashes[i] = oldHashes[j];
            lastSeen[i] = oldLastSeen[j];
            values[i] = oldValues[j];
        }
    }

    private void allocate(int capacity) {
        clients = new InetSocketAddress[capacity];
        locals = new int[capacity];
        targets = new InetSocketAddress[capacity];
        ids = new byte[capacity * MAX_ID_LENGTH];
        idLengths = new byte[capacity];
        hashes = new int[capacity];
        lastSeen = new long[capacity];
        values = new Object[capacity];
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

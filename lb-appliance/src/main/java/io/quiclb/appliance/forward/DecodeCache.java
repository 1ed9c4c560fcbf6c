package io.quiclb.appliance.forward;

import io.quiclb.appliance.route.RouteTable;
import io.quiclb.appliance.route.ServerHandle;
import io.quiclb.codec.QuicLbConfig;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The routing decisions of encrypted short-header DCIDs, so a worker extracts the server ID of each CID once
 * (draft-21 §6 "Per-connection state": a load balancer MAY associate the connection ID with its decision; "when the
 * CID is encrypted, this might reduce computational load"). A DCID that a keyed configuration decoded to a server is
 * remembered with that server and the thread ID; the next datagram with the same DCID skips the AES rounds.
 *
 * <p>Direct-mapped: {@value #SLOTS} slots, a DCID's hash picks one, a newer DCID overwrites it. All memory is
 * preallocated: a lookup and a store allocate nothing. Entries hold only what the route table in force decoded, and
 * {@link #useTable} forgets them all when the table changes (a config rotation, a re-key, a server change), so a
 * remembered decision never outlives the configuration that made it. A forged DCID costs one miss (a hash and a
 * compare) on top of the decode it needed anyway, and cannot displace a decision it did not make: entries are keyed by
 * every octet of the CID. Plaintext configurations are not cached: reading their server ID is cheaper than a lookup.
 *
 * <p><b>Hot path.</b> <b>Thread safety:</b> not thread-safe; one per worker, owned by its {@link Router}.
 */
final class DecodeCache {
    /** Slots; a power of two. */
    static final int SLOTS = 4096;
    private static final int MAX_CID_LENGTH = 20;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** Octets per slot in {@link #slab}: the CID's length (0: empty), its thread ID, its octets; half a cache line. */
    private static final int SLOT_SIZE = 32;
    private static final int THREAD_ID_AT = 4;
    private static final int CID_AT = 8;
    private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /** Every slot's length, thread ID and CID side by side, so a lookup reads one cache line before it hits. */
    private final byte[] slab = new byte[SLOTS * SLOT_SIZE];
    private final ServerHandle[] owners = new ServerHandle[SLOTS];
    /**
     * Per value of the first octet's three config bits: the CID length to cache, or 0 (no configuration, a plaintext
     * one, or 0b111, the unroutable codepoint of draft-21 §3.2).
     */
    private final int[] cachedLength = new int[8];
    private int threadId;

    /** Forgets every entry and learns which configurations to cache from {@code table}. */
    void useTable(RouteTable table) {
        Arrays.fill(slab, (byte) 0);
        Arrays.fill(owners, null);
        for (int configId = 0; configId <= QuicLbConfig.MAX_CONFIG_ID; configId++) {
            QuicLbConfig config = table.config(configId);
            cachedLength[configId] = config != null && config.hasKey()
                    && config.cidLength() <= MAX_CID_LENGTH ? config.cidLength() : 0;
        }
    }

    /**
     * @param configId the config ID of the DCID's first octet
     * @return the length of the DCIDs cached for that config ID, or 0 when its DCIDs are not cached
     */
    int cidLength(int configId) {
        return cachedLength[configId];
    }

    /**
     * @return the server the DCID at {@code offset} was decoded to, with {@link #threadId()} set, or null (a miss)
     */
    ServerHandle find(byte[] header, int offset, int length) {
        int slot = slot(header, offset, length);
        int at = slot * SLOT_SIZE;
        if (slab[at] != length || !Arrays.equals(slab, at + CID_AT, at + CID_AT + length,
                header, offset, offset + length)) {
            return null;
        }
        threadId = (int) INTS.get(slab, at + THREAD_ID_AT);
        return owners[slot];
    }

    /** @return the thread ID of the last {@link #find} hit */
    int threadId() {
        return threadId;
    }

    /** Remembers that the DCID at {@code offset} decodes to {@code owner} and {@code threadId}. */
    void store(byte[] header, int offset, int length, ServerHandle owner, int threadId) {
        int slot = slot(header, offset, length);
        int at = slot * SLOT_SIZE;
        slab[at] = (byte) length;
        INTS.set(slab, at + THREAD_ID_AT, threadId);
        System.arraycopy(header, offset, slab, at + CID_AT, length);
        owners[slot] = owner;
    }

    private static int slot(byte[] header, int offset, int length) {
        // A keyed configuration's CID past its first octet is ciphertext, so its first and last eight octets
        // (overlapping when shorter than 16) spread well enough; shorter CIDs are hashed octet by octet.
        long h;
        if (length >= Long.BYTES) {
            h = (long) LONGS.get(header, offset) * 0x9e3779b97f4a7c15L
                    ^ (long) LONGS.get(header, offset + length - Long.BYTES) * 0xc2b2ae3d27d4eb4fL;
        } else {
            h = 0;
            for (int i = offset; i < offset + length; i++) {
                h = (h ^ (header[i] & 0xff)) * 0x100000001b3L;
            }
        }
        return (int) (h ^ (h >>> 32) ^ (h >>> 20)) & (SLOTS - 1);
    }
}

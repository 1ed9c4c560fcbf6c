package io.quiclb.appliance.route;

import io.quiclb.codec.Hex;
import io.quiclb.codec.QuicLbConfig;
import java.util.Map;

/**
 * Server ID → server, for one configuration, looked up without allocating: each server ID (at most 15 octets) is
 * packed into two longs and found by open addressing. Built once per route table.
 *
 * <p><b>Thread safety:</b> immutable after construction.
 */
final class ServerIdIndex {
    private final long[] high;
    private final long[] low;
    private final ServerHandle[] servers;
    private final int mask;

    /**
     * @param serverIds server ID octets → server; every key has the same length (1..15)
     */
    ServerIdIndex(Map<byte[], ServerHandle> serverIds) {
        int capacity = Integer.highestOneBit(Math.max(4, serverIds.size() * 4 - 1)) << 1;
        this.high = new long[capacity];
        this.low = new long[capacity];
        this.servers = new ServerHandle[capacity];
        this.mask = capacity - 1;
        for (Map.Entry<byte[], ServerHandle> entry : serverIds.entrySet()) {
            byte[] sid = entry.getKey();
            long h = packHigh(sid, 0, sid.length);
            long l = packLow(sid, 0, sid.length);
            int i = slot(h, l);
            while (servers[i] != null) {
                if (high[i] == h && low[i] == l) {
                    throw new IllegalArgumentException("must be unique: serverId=" + Hex.encode(sid));
                }
                i = (i + 1) & mask;
            }
            high[i] = h;
            low[i] = l;
            servers[i] = entry.getValue();
        }
    }

    /**
     * @param sid    array holding a server ID
     * @param offset its first octet
     * @param length its length, 1..15
     * @return the server, or null
     */
    ServerHandle find(byte[] sid, int offset, int length) {
        final long h = packHigh(sid, offset, length);
        final long l = packLow(sid, offset, length);
        int i = slot(h, l);
        ServerHandle server;
        while ((server = servers[i]) != null) {
            if (high[i] == h && low[i] == l) {
                return server;
            }
            i = (i + 1) & mask;
        }
        return null;
    }

    private int slot(long h, long l) {
        long x = h * 0x9e3779b97f4a7c15L ^ l * 0xc2b2ae3d27d4eb4fL;
        return (int) (x ^ (x >>> 32)) & mask;
    }

    /** Octets 0..7 with the length in the top byte, so IDs of different lengths never collide. */
    private static long packHigh(byte[] sid, int offset, int length) {
        long v = (long) length << 56;
        int n = Math.min(length, 7);
        for (int i = 0; i < n; i++) {
            v |= (sid[offset + i] & 0xffL) << (8 * (6 - i));
        }
        return v;
    }

    /** Octets 7..14. */
    private static long packLow(byte[] sid, int offset, int length) {
        long v = 0;
        for (int i = 7; i < length && i < QuicLbConfig.MAX_SERVER_ID_LENGTH; i++) {
            v |= (sid[offset + i] & 0xffL) << (8 * (14 - i));
        }
        return v;
    }
}

package io.quiclb.appliance.route;

import io.quiclb.codec.Hex;
import io.quiclb.codec.QuicLbConfig;
import java.util.Map;

/**
 * Server ID → server, for one configuration, looked up without allocating. Server IDs of one or two octets, the
 * common case, index an array directly (at most 65,536 references); longer ones (up to 15 octets) are packed into
 * two longs and found by open addressing. Built once per route table.
 *
 * <p><b>Thread safety:</b> immutable after construction.
 */
final class ServerIdIndex {
    /** Server IDs up to this many octets use the directly indexed array. */
    private static final int DIRECT_MAX_LENGTH = 2;

    private final int serverIdLength;
    private final ServerHandle[] direct;
    private final long[] high;
    private final long[] low;
    private final ServerHandle[] servers;
    private final int mask;

    /**
     * @param serverIdLength the configuration's server ID length
     * @param serverIds      server ID octets → server; every key has that length
     */
    ServerIdIndex(int serverIdLength, Map<byte[], ServerHandle> serverIds) {
        this.serverIdLength = serverIdLength;
        if (serverIdLength <= DIRECT_MAX_LENGTH) {
            this.direct = new ServerHandle[1 << (8 * serverIdLength)];
            for (Map.Entry<byte[], ServerHandle> entry : serverIds.entrySet()) {
                direct[directKey(entry.getKey(), 0, serverIdLength)] = entry.getValue();
            }
            this.high = null;
            this.low = null;
            this.servers = null;
            this.mask = 0;
            return;
        }
        this.direct = null;
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
        if (length != serverIdLength) {
            return null;
        }
        final ServerHandle[] direct = this.direct;
        if (direct != null) {
            return direct[directKey(sid, offset, length)];
        }
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

    private static int directKey(byte[] sid, int offset, int length) {
        return length == 1 ? sid[offset] & 0xff : (sid[offset] & 0xff) << 8 | (sid[offset + 1] & 0xff);
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

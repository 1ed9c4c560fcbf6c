package io.quiclb.appliance.route;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016) over the servers eligible for new first flights: each
 * server fills the lookup table in its own permutation order, so adding or removing one server moves only about
 * 1/n of the table. The draft's baseline fallback (draft-21 §4.3.1) hashes only the 4-tuple.
 *
 * <p><b>Thread safety:</b> immutable after construction.
 */
final class MaglevTable {
    /** A prime comfortably larger than 100 × any server count we expect. */
    static final int SIZE = 65_537;

    private final ServerHandle[] entries;

    /**
     * @param servers the eligible servers; may be empty
     */
    MaglevTable(List<ServerHandle> servers) {
        this.entries = new ServerHandle[servers.isEmpty() ? 0 : SIZE];
        int n = servers.size();
        if (n == 0) {
            return;
        }
        long[] offset = new long[n];
        long[] skip = new long[n];
        long[] next = new long[n];
        for (int i = 0; i < n; i++) {
            long h = hash(servers.get(i).name());
            offset[i] = Long.remainderUnsigned(h, SIZE);
            skip[i] = Long.remainderUnsigned(Long.rotateLeft(h, 29) * 0x9e3779b97f4a7c15L, SIZE - 1) + 1;
        }
        int filled = 0;
        while (true) {
            for (int i = 0; i < n; i++) {
                int c = (int) ((offset[i] + next[i] * skip[i]) % SIZE);
                while (entries[c] != null) {
                    next[i]++;
                    c = (int) ((offset[i] + next[i] * skip[i]) % SIZE);
                }
                entries[c] = servers.get(i);
                next[i]++;
                if (++filled == SIZE) {
                    return;
                }
            }
        }
    }

    /**
     * @param flowHash a hash of the flow
     * @return the server, or null when no server is eligible
     */
    ServerHandle pick(int flowHash) {
        if (entries.length == 0) {
            return null;
        }
        return entries[(flowHash & 0x7fffffff) % SIZE];
    }

    /** FNV-1a 64 of the name: stable across restarts and JVMs. */
    private static long hash(String name) {
        long h = 0xcbf29ce484222325L;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }
}

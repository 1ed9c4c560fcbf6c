package io.quiclb.appliance.route;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ServerIdIndexTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 8, 15})
    void shouldFindEveryServerIdAndNothingElse(int length) {
        SplittableRandom random = new SplittableRandom(length);
        Map<byte[], ServerHandle> ids = new IdentityHashMap<>();
        List<byte[]> keys = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < Math.min(200, 1 << (8 * Math.min(length, 3)) / 2); i++) {
            byte[] sid = new byte[length];
            random.nextBytes(sid);
            if (!seen.add(java.util.Arrays.toString(sid))) {
                continue;
            }
            ServerHandle server = new ServerHandle("s" + i, new InetSocketAddress("127.0.0.1", 5000 + i), List.of(), i, 1);
            ids.put(sid, server);
            keys.add(sid);
        }
        ServerIdIndex index = new ServerIdIndex(length, ids);
        for (byte[] sid : keys) {
            byte[] atOffset = new byte[length + 3];
            System.arraycopy(sid, 0, atOffset, 3, length);
            assertSame(ids.get(sid), index.find(atOffset, 3, length));
        }
        for (int i = 0; i < 1000; i++) {
            byte[] probe = new byte[length];
            random.nextBytes(probe);
            if (!seen.contains(java.util.Arrays.toString(probe))) {
                assertNull(index.find(probe, 0, length));
            }
        }
        // A decoded ID of another length never matches.
        assertNull(index.find(new byte[16], 0, length == 15 ? 14 : length + 1));
    }
}

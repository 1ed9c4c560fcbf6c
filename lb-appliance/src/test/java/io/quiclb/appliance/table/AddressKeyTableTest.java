package io.quiclb.appliance.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AddressKeyTableTest {
    private static final byte[] NONE = new byte[0];

    @Test
    void shouldAgreeWithAHashMapUnderRandomInsertsRemovesAndExpiry() throws Exception {
        // Small key space so probe chains collide, wrap around and shift back on removal.
        AddressKeyTable<String> table = new AddressKeyTable<>(10_000);
        Map<String, String> model = new HashMap<>();
        Map<String, Long> seen = new HashMap<>();
        SplittableRandom random = new SplittableRandom(5);
        long now = 0;
        for (int step = 0; step < 200_000; step++) {
            now++;
            int port = random.nextInt(300);
            int listener = random.nextInt(2);
            byte[] id = new byte[random.nextInt(3)];
            random.nextBytes(id);
            InetSocketAddress client = new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), port);
            String key = port + "/" + listener + "/" + java.util.Arrays.toString(id);
            int action = random.nextInt(10);
            if (action < 5) {
                String value = "v" + step;
                assertTrue(table.put(client, listener, null, id, 0, id.length, value, now));
                model.put(key, value);
                seen.put(key, now);
            } else if (action < 8) {
                String got = table.get(client, listener, null, id, 0, id.length, now);
                assertEquals(model.get(key), got, key);
                if (got != null) {
                    seen.put(key, now);
                }
            } else if (action < 9) {
                String value = model.remove(key);
                if (value != null) {
                    table.removeValue(client, listener, null, id, 0, id.length, value);
                    seen.remove(key);
                }
            } else {
                long idleBefore = now - 5_000;
                List<String> removed = new ArrayList<>();
                table.expire(idleBefore, removed::add);
                List<String> expected = new ArrayList<>();
                seen.entrySet().removeIf(e -> {
                    if (e.getValue() < idleBefore) {
                        expected.add(model.remove(e.getKey()));
                        return true;
                    }
                    return false;
                });
                assertEquals(new java.util.HashSet<>(expected), new java.util.HashSet<>(removed));
            }
            assertEquals(model.size(), table.size());
        }
        for (Map.Entry<String, String> entry : model.entrySet()) {
            String[] parts = entry.getKey().split("/");
            String idText = parts[2].substring(1, parts[2].length() - 1);
            byte[] id = idText.isEmpty() ? NONE : toBytes(idText);
            InetSocketAddress client = new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}),
                    Integer.parseInt(parts[0]));
            assertEquals(entry.getValue(), table.get(client, Integer.parseInt(parts[1]), null, id, 0, id.length, now));
        }
    }

    @Test
    void shouldRefuseInsertsPastItsBoundButReplaceExistingKeys() throws Exception {
        AddressKeyTable<String> table = new AddressKeyTable<>(2);
        InetSocketAddress a = new InetSocketAddress(InetAddress.getLoopbackAddress(), 1);
        InetSocketAddress b = new InetSocketAddress(InetAddress.getLoopbackAddress(), 2);
        InetSocketAddress c = new InetSocketAddress(InetAddress.getLoopbackAddress(), 3);
        assertTrue(table.put(a, 0, null, NONE, 0, 0, "a", 0));
        assertTrue(table.put(b, 0, null, NONE, 0, 0, "b", 0));
        assertFalse(table.put(c, 0, null, NONE, 0, 0, "c", 0));
        assertTrue(table.put(a, 0, null, NONE, 0, 0, "a2", 0));
        assertEquals("a2", table.get(a, 0, null, NONE, 0, 0, 1));
        assertNull(table.get(c, 0, null, NONE, 0, 0, 1));
    }

    @Test
    void shouldTellKeysApartByEveryPart() throws Exception {
        AddressKeyTable<String> table = new AddressKeyTable<>(100);
        InetSocketAddress client = new InetSocketAddress(InetAddress.getLoopbackAddress(), 9);
        InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), 10);
        byte[] id = {1, 2, 3};
        table.put(client, 0, target, id, 0, 3, "full", 0);
        table.put(client, 1, target, id, 0, 3, "listener", 0);
        table.put(client, 0, null, id, 0, 3, "no-target", 0);
        table.put(client, 0, target, id, 0, 2, "shorter-id", 0);
        table.put(null, -1, null, id, 0, 3, "id-only", 0);
        assertEquals(5, table.size());
        InetSocketAddress sameClient = new InetSocketAddress(InetAddress.getLoopbackAddress(), 9);
        assertSame("full", table.get(sameClient, 0, target, new byte[] {9, 1, 2, 3}, 1, 3, 0));
        assertSame("id-only", table.get(null, -1, null, id, 0, 3, 0));
        assertSame("shorter-id", table.get(client, 0, target, id, 0, 2, 0));
    }

    private static byte[] toBytes(String text) {
        String[] parts = text.split(", ");
        byte[] bytes = new byte[parts.length];
        for (int i = 0; i < parts.length; i++) {
            bytes[i] = Byte.parseByte(parts[i]);
        }
        return bytes;
    }
}

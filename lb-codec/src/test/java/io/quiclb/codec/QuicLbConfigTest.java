package io.quiclb.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class QuicLbConfigTest {
    private static final byte[] KEY = Hex.decode("key", "8f95f09245765f80256934e50c66207f");

    @Test
    void shouldRejectConfigIdSevenAndOutOfRange() {
        assertRejected("must be 0..6: configId=7", () -> QuicLbConfig.builder(7, 3, 4).build());
        assertRejected("must be 0..6: configId=-1", () -> QuicLbConfig.builder(-1, 3, 4).build());
    }

    @Test
    void shouldRejectServerIdLengthOutsideOneToFifteen() {
        assertRejected("must be 1..15: serverIdLength=0", () -> QuicLbConfig.builder(0, 0, 4).build());
        assertRejected("must be 1..15: serverIdLength=16", () -> QuicLbConfig.builder(0, 16, 4).build());
    }

    @Test
    void shouldRejectNonceLengthOutsideFourToEighteen() {
        assertRejected("must be 4..18: nonceLength=2", () -> QuicLbConfig.builder(0, 3, 2).build());
        assertRejected("must be 4..18: nonceLength=19", () -> QuicLbConfig.builder(0, 1, 19).build());
    }

    @Test
    void shouldRejectPlaintextLongerThanNineteen() {
        assertRejected("serverIdLength + nonceLength must be <= 19: serverIdLength=15, nonceLength=5",
                () -> QuicLbConfig.builder(0, 15, 5).build());
        assertEquals(20, QuicLbConfig.builder(0, 15, 4).build().cidLength());
    }

    @Test
    void shouldRejectThreadIdThatLeavesFewerThanFourCounterOctets() {
        assertRejected("must be 0..2: threadIdLength=3", () -> QuicLbConfig.builder(0, 3, 8).threadIdLength(3).build());
        assertRejected("nonceLength - threadIdLength must be >= 4: nonceLength=5, threadIdLength=2",
                () -> QuicLbConfig.builder(0, 3, 5).threadIdLength(2).build());
        assertEquals(4, QuicLbConfig.builder(0, 3, 6).threadIdLength(2).build().counterLength());
    }

    @Test
    void shouldRejectKeyOfWrongLengthWithoutPrintingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QuicLbConfig.builder(0, 3, 4).key(Hex.decode("key", "00112233445566778899aabbccddee")).build());
        assertEquals("key must be 16 octets: key.length=15", e.getMessage());
    }

    @Test
    void shouldSelectTheAlgorithmTheDraftRequires() {
        assertEquals(CidAlgorithm.PLAINTEXT, QuicLbConfig.builder(0, 8, 8).build().algorithm());
        assertEquals(CidAlgorithm.SINGLE_PASS, QuicLbConfig.builder(0, 8, 8).key(KEY).build().algorithm());
        assertEquals(CidAlgorithm.FOUR_PASS, QuicLbConfig.builder(0, 8, 9).key(KEY).build().algorithm());
        assertEquals(CidAlgorithm.FOUR_PASS, QuicLbConfig.builder(0, 3, 4).key(KEY).build().algorithm());
    }

    @Test
    void shouldNeverShowTheKey() {
        QuicLbConfig config = QuicLbConfig.builder(2, 3, 4).key(KEY).build();
        String text = config.toString();
        assertFalse(text.contains(Hex.encode(KEY)), text);
        assertTrue(text.contains("key=" + config.keyFingerprint()), text);
        assertEquals(16, config.keyFingerprint().length());
        assertFalse(Hex.encode(KEY).contains(config.keyFingerprint()));
        assertEquals("none", QuicLbConfig.builder(2, 3, 4).build().keyFingerprint());
    }

    @Test
    void shouldCopyTheKeyIn() {
        byte[] key = KEY.clone();
        QuicLbConfig.Builder builder = QuicLbConfig.builder(0, 3, 4).key(key);
        key[0] ^= 1;
        QuicLbConfig config = builder.build();
        assertTrue(config.sameKey(QuicLbConfig.builder(1, 3, 4).key(KEY).build()));
    }

    @Test
    void shouldCompareEveryParameterIncludingTheKey() {
        QuicLbConfig a = QuicLbConfig.builder(0, 3, 4).key(KEY).build();
        assertEquals(a, QuicLbConfig.builder(0, 3, 4).key(KEY).build());
        assertEquals(a.hashCode(), QuicLbConfig.builder(0, 3, 4).key(KEY).build().hashCode());
        byte[] other = KEY.clone();
        other[15] ^= 1;
        assertNotEquals(a, QuicLbConfig.builder(0, 3, 4).key(other).build());
        assertNotEquals(a, QuicLbConfig.builder(0, 3, 4).build());
        assertNotEquals(a, QuicLbConfig.builder(0, 3, 4).key(KEY).lengthSelfEncoded(false).build());
        assertNotEquals(a, QuicLbConfig.builder(0, 3, 5).key(KEY).threadIdLength(1).build());
    }

    @Test
    void shouldDeriveLengths() {
        QuicLbConfig config = QuicLbConfig.builder(5, 2, 6).threadIdLength(1).build();
        assertEquals(8, config.plaintextLength());
        assertEquals(9, config.cidLength());
        assertEquals(5, config.counterLength());
        assertEquals(5, config.configId());
    }

    @Test
    void shouldRejectBadServerIdsAndHex() {
        assertRejected("must be 1..15: serverId.length=0", () -> ServerId.of(new byte[0]));
        assertRejected("must be 1..15: serverId.length=16", () -> ServerId.of(new byte[16]));
        assertRejected("must be an even number of hex digits: serverId has 3", () -> ServerId.fromHex("0a1"));
        assertRejected("must be hex digits: serverId has a non-hex character at 1", () -> ServerId.fromHex("0g"));
        assertEquals("0a01", ServerId.fromHex("0A01").toString());
    }

    private static void assertRejected(String message, Supplier<Object> construction) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, construction::get);
        assertEquals(message, e.getMessage());
    }
}

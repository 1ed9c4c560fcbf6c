package io.quiclb.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CidDecoderTest {
    private static final byte[] KEY = Hex.decode("key", "8f95f09245765f80256934e50c66207f");
    private final byte[] serverId = new byte[QuicLbConfig.MAX_SERVER_ID_LENGTH];

    @Test
    void shouldReturnUnroutableForConfigIdSeven() {
        CidDecoder decoder = new CidDecoder(QuicLbConfig.builder(0, 3, 4).build());
        // QUICHE decoder_test: e0... and a lone ff are both the 0b111 codepoint.
        assertEquals(CidDecoder.UNROUTABLE_CODEPOINT, decode(decoder, "e0010203040506070809"));
        assertEquals(CidDecoder.UNROUTABLE_CODEPOINT, decode(decoder, "ff"));
    }

    @Test
    void shouldReturnUnknownConfigForAnEmptySlot() {
        // QUICHE decoder_test: only config 1 loaded, CID of config 0.
        CidDecoder decoder = new CidDecoder(QuicLbConfig.builder(1, 3, 4).key(KEY).build());
        assertEquals(CidDecoder.UNKNOWN_CONFIG, decode(decoder, "0001020304050607"));
    }

    @Test
    void shouldRejectCidShorterThanConfigured() {
        CidDecoder decoder = new CidDecoder(QuicLbConfig.builder(0, 3, 4).key(KEY).build());
        assertEquals(CidDecoder.CID_TOO_SHORT, decode(decoder, "00010203040506"));
        assertEquals(CidDecoder.CID_TOO_SHORT, decode(decoder, ""));
    }

    @Test
    void shouldAcceptCidLongerThanConfigured() {
        // draft-21 Appendix B encrypted vector 1 with two octets a server appended (§5.4).
        CidDecoder decoder = new CidDecoder(QuicLbConfig.builder(0, 3, 4).key(KEY).build());
        assertEquals(3, decode(decoder, "0720b1d07b359d3c" + "abcd"));
        assertEquals("ed793a", Hex.encode(serverId, 0, 3));
    }

    @Test
    void shouldDecodeAtAnOffsetIntoAnOffset() {
        CidDecoder decoder = new CidDecoder(QuicLbConfig.builder(0, 3, 4).key(KEY).build());
        byte[] datagram = Hex.decode("d", "40" + "0720b1d07b359d3c" + "ffff");
        assertEquals(3, decoder.decode(datagram, 1, 8, serverId, 5));
        assertEquals("ed793a", Hex.encode(serverId, 5, 3));
    }

    @Test
    void shouldReturnInvalidRangeInsteadOfThrowing() {
        CidDecoder decoder = new CidDecoder(QuicLbConfig.builder(0, 3, 4).build());
        byte[] cid = Hex.decode("cid", "07c4605e4504cc4f");
        assertEquals(CidDecoder.INVALID_RANGE, decoder.decode(cid, 1, 8, serverId, 0));
        assertEquals(CidDecoder.INVALID_RANGE, decoder.decode(cid, -1, 2, serverId, 0));
        assertEquals(CidDecoder.INVALID_RANGE, decoder.decode(cid, 0, -1, serverId, 0));
        assertEquals(CidDecoder.INVALID_RANGE, decoder.decode(cid, 0, 8, new byte[2], 0));
        assertEquals(CidDecoder.INVALID_RANGE, decoder.decode(cid, 0, 8, serverId, 13));
        assertEquals(3, decoder.decode(cid, 0, 8, serverId, 12));
    }

    @Test
    void shouldRoutePerSlotAndForgetRemovedConfigs() {
        QuicLbConfig zero = QuicLbConfig.builder(0, 3, 4).build();
        QuicLbConfig two = QuicLbConfig.builder(2, 8, 8).key(KEY).build();
        CidDecoder decoder = new CidDecoder(zero, two);
        assertEquals(3, decode(decoder, "07c4605e4504cc4f"));
        assertEquals(8, decode(decoder, "504dd2d05a7b0de9b2b9907afb5ecf8cc3"));
        assertEquals("ed793a51d49b8f5f", Hex.encode(serverId, 0, 8));
        decoder.removeConfig(2);
        assertNull(decoder.config(2));
        assertEquals(CidDecoder.UNKNOWN_CONFIG, decode(decoder, "504dd2d05a7b0de9b2b9907afb5ecf8cc3"));
        assertEquals(zero, decoder.config(0));
        assertNull(decoder.config(7));
    }

    @Test
    void shouldRejectTwoConfigsInOneSlot() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CidDecoder(
                QuicLbConfig.builder(0, 3, 4).build(), QuicLbConfig.builder(0, 4, 4).build()));
        assertEquals("must be unique: configId=0", e.getMessage());
        assertEquals("must be 0..6: configId=7",
                assertThrows(IllegalArgumentException.class, () -> new CidDecoder().removeConfig(7)).getMessage());
    }

    @Test
    void shouldNameEveryResult() {
        assertEquals("ok", CidDecoder.resultName(3));
        assertEquals("config-id-7", CidDecoder.resultName(CidDecoder.UNROUTABLE_CODEPOINT));
        assertEquals("unknown-config", CidDecoder.resultName(CidDecoder.UNKNOWN_CONFIG));
        assertEquals("cid-too-short", CidDecoder.resultName(CidDecoder.CID_TOO_SHORT));
        assertEquals("invalid-range", CidDecoder.resultName(CidDecoder.INVALID_RANGE));
    }

    @Test
    void shouldNeverThrowForAnyInputOctets() {
        // Every algorithm and a thread ID layout, all 8 codepoints, every length 0..24, random content.
        CidDecoder decoder = new CidDecoder(
                QuicLbConfig.builder(0, 3, 4).build(),
                QuicLbConfig.builder(1, 8, 8).key(KEY).build(),
                QuicLbConfig.builder(2, 10, 5).key(KEY).build(),
                QuicLbConfig.builder(3, 4, 15).key(KEY).threadIdLength(2).build(),
                QuicLbConfig.builder(4, 15, 4).key(KEY).build());
        SplittableRandom random = new SplittableRandom(42);
        byte[] buffer = new byte[32];
        int[] outcomes = new int[6];
        for (int i = 0; i < 200_000; i++) {
            random.nextBytes(buffer);
            int offset = random.nextInt(-2, 34);
            int length = random.nextInt(-2, 34);
            int result = decoder.decode(buffer, offset, length, serverId, 0);
            assertTrue(result >= CidDecoder.INVALID_RANGE && result <= QuicLbConfig.MAX_SERVER_ID_LENGTH);
            outcomes[result > 0 ? 0 : -result]++;
        }
        for (int outcome = 0; outcome <= 4; outcome++) {
            assertTrue(outcomes[outcome] > 0, "outcome never seen: " + outcome);
        }
    }

    private int decode(CidDecoder decoder, String hex) {
        byte[] cid = Hex.decode("cid", hex);
        return decoder.decode(cid, 0, cid.length, serverId, 0);
    }
}

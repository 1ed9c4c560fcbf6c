package io.quiclb.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CidEncoderTest {
    private static final byte[] KEY = Hex.decode("key", "8f95f09245765f80256934e50c66207f");
    private static final byte[] OTHER_KEY = Hex.decode("key", "fdf726a9893ec05c0632d3956680baf0");
    private static final ServerId SERVER = ServerId.fromHex("0a01");

    @Test
    void shouldIssueConsecutiveCounterValuesUnderAKey() {
        QuicLbConfig config = QuicLbConfig.builder(0, 2, 6).key(KEY).build();
        CidEncoder encoder = encoder(config, SERVER, 0, 1);
        BigInteger previous = null;
        for (int i = 0; i < 1000; i++) {
            byte[] plaintext = plaintextOf(config, encoder.nextConnectionId());
            assertEquals("0a01", Hex.encode(plaintext, 0, 2));
            BigInteger counter = new BigInteger(1, java.util.Arrays.copyOfRange(plaintext, 2, 8));
            if (previous != null) {
                assertEquals(previous.add(BigInteger.ONE).mod(BigInteger.ONE.shiftLeft(48)), counter);
            }
            previous = counter;
        }
    }

    @Test
    void shouldStartCountersAtRandomValues() {
        QuicLbConfig config = QuicLbConfig.builder(0, 2, 6).key(KEY).build();
        byte[] first = plaintextOf(config, encoder(config, SERVER, 0, 1).nextConnectionId());
        byte[] second = plaintextOf(config, encoder(config, SERVER, 0, 2).nextConnectionId());
        assertNotEquals(Hex.encode(first), Hex.encode(second));
    }

    @Test
    void shouldKeepThreadsApartEvenWhenTheirCountersCollide() {
        // Same random source seed: both threads' counters start at the same value, and only the thread ID in the
        // plaintext keeps their nonces, and so their CIDs, apart.
        QuicLbConfig config = QuicLbConfig.builder(0, 2, 6).key(KEY).threadIdLength(1).build();
        CidEncoder thread0 = encoder(config, SERVER, 0, 5);
        CidEncoder thread1 = encoder(config, SERVER, 1, 5);
        Set<String> cids = new HashSet<>();
        for (int i = 0; i < 5000; i++) {
            byte[] a = plaintextOf(config, thread0.nextConnectionId());
            byte[] b = plaintextOf(config, thread1.nextConnectionId());
            assertEquals(Hex.encode(a, 3, 5), Hex.encode(b, 3, 5), "counters collide by construction");
            assertEquals(0, a[2]);
            assertEquals(1, b[2]);
            assertTrue(cids.add(Hex.encode(a)));
            assertTrue(cids.add(Hex.encode(b)));
        }
    }

    @Test
    void shouldIssueUniqueUnlinkableNoncesWithoutAKey() {
        // draft-21 §5.4: without a key, nonces MUST have no observable relationship to earlier ones.
        QuicLbConfig config = QuicLbConfig.builder(0, 2, 4).build();
        CidEncoder encoder = encoder(config, SERVER, 0, 3);
        int count = 20_000;
        Set<Long> nonces = new HashSet<>();
        Set<Long> differences = new HashSet<>();
        int[] bitCounts = new int[32];
        long previous = -1;
        for (int i = 0; i < count; i++) {
            byte[] cid = encoder.nextConnectionId();
            assertEquals("0a01", Hex.encode(cid, 1, 2));
            long nonce = Long.parseLong(Hex.encode(cid, 3, 4), 16);
            assertTrue(nonces.add(nonce), "nonce repeated after " + i + " CIDs");
            if (previous >= 0) {
                differences.add((nonce - previous) & 0xffffffffL);
            }
            previous = nonce;
            for (int bit = 0; bit < 32; bit++) {
                bitCounts[bit] += (int) (nonce >>> bit) & 1;
            }
        }
        // A visible counter would show one difference; a permuted one shows (almost) all different.
        assertTrue(differences.size() > count * 99 / 100, "differences: " + differences.size());
        for (int bit = 0; bit < 32; bit++) {
            // Binomial(20000, 1/2): the mean is 10000 and sigma 71; 600 is more than 8 sigma.
            assertTrue(Math.abs(bitCounts[bit] - count / 2) < 600, "bit " + bit + " set " + bitCounts[bit]);
        }
    }

    @Test
    void shouldRandomizeTheLowFiveBitsWhenTheLengthIsNotSelfEncoded() {
        // draft-21 §3.3: the bits SHOULD have no observable relationship to other CIDs.
        QuicLbConfig config = QuicLbConfig.builder(4, 2, 6).key(KEY).lengthSelfEncoded(false).build();
        CidEncoder encoder = encoder(config, SERVER, 0, 4);
        int count = 32 * 500;
        int[] histogram = new int[32];
        int repeatsOfPrevious = 0;
        int previous = -1;
        for (int i = 0; i < count; i++) {
            byte[] cid = encoder.nextConnectionId();
            assertEquals(4, FirstOctet.configId(cid[0]));
            int low = cid[0] & FirstOctet.LENGTH_MASK;
            histogram[low]++;
            repeatsOfPrevious += low == previous ? 1 : 0;
            previous = low;
        }
        double chiSquare = 0;
        for (int value = 0; value < 32; value++) {
            chiSquare += Math.pow(histogram[value] - 500, 2) / 500;
        }
        // 31 degrees of freedom: P(chi2 > 70) < 1e-4; a constant or skewed field lands in the thousands.
        assertTrue(chiSquare < 70, "chi-square " + chiSquare);
        assertTrue(repeatsOfPrevious < count / 32 * 2, "repeats " + repeatsOfPrevious);
    }

    @Test
    void shouldSwitchToTheNextConfigThenToUnroutableWhenNoncesRunOut() {
        QuicLbConfig first = QuicLbConfig.builder(1, 2, 4).key(KEY).build();
        QuicLbConfig second = QuicLbConfig.builder(2, 3, 5).key(OTHER_KEY).build();
        CidEncoder encoder = encoder(first, SERVER, 0, 6);
        encoder.setNextConfig(second, ServerId.fromHex("0b0b0b"));
        assertEquals(1L << 32, encoder.remainingNonces());
        encoder.skipNonces((1L << 32) - 2);
        CidDecoder decoder = new CidDecoder(first, second);
        byte[] out = new byte[15];
        for (int i = 0; i < 2; i++) {
            byte[] cid = encoder.nextConnectionId();
            assertEquals(1, FirstOctet.configId(cid[0]));
            assertEquals(2, decoder.decode(cid, 0, cid.length, out, 0));
        }
        // The last nonce of the first config is out: the encoder has already moved to the next one.
        assertEquals(second, encoder.config());
        assertEquals(1L << 40, encoder.remainingNonces());
        byte[] cid = encoder.nextConnectionId();
        assertEquals(2, FirstOctet.configId(cid[0]));
        assertEquals(3, decoder.decode(cid, 0, cid.length, out, 0));
        assertEquals("0b0b0b", Hex.encode(out, 0, 3));

        encoder.skipNonces(encoder.remainingNonces());
        assertUnroutable(encoder, second.cidLength());
    }

    @Test
    void shouldIssueUnroutableCidsWhenNoncesRunOutWithoutANextConfig() {
        QuicLbConfig config = QuicLbConfig.builder(0, 3, 4).key(KEY).build();
        CidEncoder encoder = encoder(config, ServerId.fromHex("ed793a"), 0, 7);
        encoder.skipNonces((1L << 32) - 1);
        assertEquals(0, FirstOctet.configId(encoder.nextConnectionId()[0]));
        assertUnroutable(encoder, config.cidLength());
    }

    @Test
    void shouldIssueUnroutableCidsOfAtLeastEightOctets() {
        // draft-21 §3.2: 0b111 CIDs "SHOULD be of at least length 8"; this config's CIDs are 1 + 1 + 4 = 6 octets.
        QuicLbConfig config = QuicLbConfig.builder(0, 1, 4).key(KEY).build();
        CidEncoder encoder = encoder(config, ServerId.fromHex("07"), 0, 12);
        assertEquals(6, encoder.cidLength());
        encoder.skipNonces(encoder.remainingNonces());
        assertEquals(CidEncoder.MIN_UNROUTABLE_CID_LENGTH, encoder.cidLength());
        assertUnroutable(encoder, 8);
        assertEquals(CidEncoder.DESTINATION_TOO_SMALL, encoder.encode(new byte[7], 0));
    }

    @Test
    void shouldNeverIssueTheOldConfigAfterAnUpdate() {
        QuicLbConfig old = QuicLbConfig.builder(0, 2, 6).key(KEY).build();
        QuicLbConfig fresh = QuicLbConfig.builder(1, 2, 6).key(OTHER_KEY).build();
        CidEncoder encoder = encoder(old, SERVER, 0, 8);
        encoder.setNextConfig(old, SERVER);
        assertEquals(0, FirstOctet.configId(encoder.nextConnectionId()[0]));
        encoder.update(fresh, ServerId.fromHex("0c0c"));
        encoder.skipNonces(encoder.remainingNonces() - 100);
        for (int i = 0; i < 100; i++) {
            assertEquals(1, FirstOctet.configId(encoder.nextConnectionId()[0]));
        }
        // The next config named before the update is forgotten: exhaustion leads to 0b111, not back to config 0.
        assertEquals(QuicLbConfig.UNROUTABLE_CONFIG_ID, FirstOctet.configId(encoder.nextConnectionId()[0]));
    }

    @Test
    void shouldCarryTheCounterOnWhenTheKeyStaysTheSame() {
        // Re-issuing the same key under another codepoint must not restart the counter at a value already used.
        QuicLbConfig zero = QuicLbConfig.builder(0, 2, 6).key(KEY).build();
        QuicLbConfig three = QuicLbConfig.builder(3, 2, 6).key(KEY).build();
        CidEncoder encoder = encoder(zero, SERVER, 0, 9);
        byte[] last = plaintextOf(zero, encoder.nextConnectionId());
        long remaining = encoder.remainingNonces();
        encoder.update(three, SERVER);
        assertEquals(remaining, encoder.remainingNonces());
        byte[] next = plaintextOf(three, encoder.nextConnectionId());
        assertEquals(new BigInteger(1, last).add(BigInteger.ONE), new BigInteger(1, next));
    }

    @Test
    void shouldRejectServerIdsAndThreadIdsThatDoNotFit() {
        QuicLbConfig config = QuicLbConfig.builder(0, 2, 6).key(KEY).threadIdLength(1).build();
        assertEquals("must equal serverIdLength=2: serverId.length=3", assertThrows(IllegalArgumentException.class,
                () -> new CidEncoder(config, ServerId.fromHex("0a0b0c"), 0)).getMessage());
        assertEquals("must be 0..255 for threadIdLength=1: threadId=256", assertThrows(
                IllegalArgumentException.class, () -> new CidEncoder(config, SERVER, 256)).getMessage());
        assertEquals("must be 0..0 for threadIdLength=0: threadId=1", assertThrows(IllegalArgumentException.class,
                () -> new CidEncoder(QuicLbConfig.builder(0, 2, 6).build(), SERVER, 1)).getMessage());
        assertEquals("must be >= 0: threadId=-1", assertThrows(IllegalArgumentException.class,
                () -> new CidEncoder(config, SERVER, -1)).getMessage());
        assertEquals("must equal nonceLength=6: nonce.length=5", assertThrows(IllegalArgumentException.class,
                () -> CidEncoder.encodeWithNonce(config, SERVER, new byte[5], AesEngine.JDK)).getMessage());
    }

    @Test
    void shouldReportNoRoomWithoutIssuing() {
        QuicLbConfig config = QuicLbConfig.builder(0, 2, 6).key(KEY).build();
        CidEncoder encoder = encoder(config, SERVER, 0, 10);
        long remaining = encoder.remainingNonces();
        assertEquals(CidEncoder.DESTINATION_TOO_SMALL, encoder.encode(new byte[8], 0));
        assertEquals(CidEncoder.DESTINATION_TOO_SMALL, encoder.encode(new byte[20], 12));
        assertEquals(CidEncoder.DESTINATION_TOO_SMALL, encoder.encode(new byte[20], -1));
        assertEquals(remaining, encoder.remainingNonces());
        assertEquals(9, encoder.encode(new byte[20], 11));
    }

    private static void assertUnroutable(CidEncoder encoder, int expectedLength) {
        assertNull(encoder.config());
        assertEquals(0, encoder.remainingNonces());
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            byte[] cid = encoder.nextConnectionId();
            assertEquals(expectedLength, cid.length);
            // draft-21 §3.2: 0b111 and a self-encoded length.
            assertEquals(QuicLbConfig.UNROUTABLE_CONFIG_ID, FirstOctet.configId(cid[0]));
            assertEquals(expectedLength, FirstOctet.selfEncodedCidLength(cid[0]));
            assertTrue(seen.add(Hex.encode(cid)));
        }
    }

    private static byte[] plaintextOf(QuicLbConfig config, byte[] cid) {
        byte[] plaintext = new byte[config.plaintextLength()];
        new CidCipher(config, AesEngine.BOUNCY_CASTLE).decryptPrefix(cid, 1, plaintext.length, plaintext, 0);
        return plaintext;
    }

    private static CidEncoder encoder(QuicLbConfig config, ServerId serverId, int threadId, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        return new CidEncoder(config, serverId, threadId, AesEngine.JDK, random::nextBytes);
    }
}

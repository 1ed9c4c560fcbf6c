package io.quiclb.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Encoder to decoder over every (server ID length, nonce length) shape draft-21 allows (sum 5..19), with and
 * without a key, with every thread ID length that leaves four counter octets, on both AES engines crossed (the
 * JDK encodes, BouncyCastle decodes, and the other way round).
 */
class CidRoundTripTest {
    private static final int CIDS_PER_SHAPE = 40;

    @Test
    void shouldRoundTripEveryShape() {
        SplittableRandom random = new SplittableRandom(7);
        int shapes = 0;
        for (QuicLbConfig config : everyShape(random)) {
            for (AesEngine encodeEngine : AesEngine.values()) {
                AesEngine decodeEngine = encodeEngine == AesEngine.JDK ? AesEngine.BOUNCY_CASTLE : AesEngine.JDK;
                roundTrip(config, encodeEngine, decodeEngine, random);
            }
            shapes++;
        }
        // 120 (S, N) pairs with S + N <= 19, N >= 4; x2 keyed; thread ID lengths 1 and 2 where N - T >= 4.
        assertEquals(2 * (120 + 105 + 91), shapes);
    }

    @Test
    void shouldDecodeTheServerIdWithADecoderThatIgnoresThreadIds() {
        // The load balancer's config may leave the thread ID out: it is then part of the nonce (draft-21 §7.2).
        SplittableRandom random = new SplittableRandom(11);
        for (QuicLbConfig config : everyShape(random)) {
            if (config.threadIdLength() == 0) {
                continue;
            }
            QuicLbConfig withoutThreadId = QuicLbConfig.builder(config.configId(), config.serverIdLength(),
                    config.nonceLength()).key(config.keyCopy()).build();
            ServerId serverId = randomServerId(config, random);
            int threadId = random.nextInt(1 << (8 * config.threadIdLength()));
            CidEncoder encoder = new CidEncoder(config, serverId, threadId);
            CidDecoder decoder = new CidDecoder(withoutThreadId);
            byte[] cid = encoder.nextConnectionId();
            byte[] out = new byte[config.serverIdLength()];
            assertEquals(config.serverIdLength(), decoder.decode(cid, 0, cid.length, out, 0), config.toString());
            assertEquals(serverId, ServerId.of(out), config.toString());
            assertEquals(CidDecoder.NO_THREAD_ID, decoder.threadId());
        }
    }

    private static void roundTrip(QuicLbConfig config, AesEngine encodeEngine, AesEngine decodeEngine,
                                  SplittableRandom random) {
        ServerId serverId = randomServerId(config, random);
        int threadId = config.threadIdLength() == 0 ? 0 : random.nextInt(1 << (8 * config.threadIdLength()));
        CidEncoder encoder = new CidEncoder(config, serverId, threadId, encodeEngine);
        CidDecoder decoder = new CidDecoder(decodeEngine, config);
        byte[] cid = new byte[20];
        byte[] out = new byte[QuicLbConfig.MAX_SERVER_ID_LENGTH];
        for (int i = 0; i < CIDS_PER_SHAPE; i++) {
            int length = encoder.encode(cid, 0);
            assertEquals(config.cidLength(), length, config.toString());
            assertEquals(config.configId(), FirstOctet.configId(cid[0]), config.toString());
            assertEquals(config.cidLength(), FirstOctet.selfEncodedCidLength(cid[0]), config.toString());
            assertEquals(config.serverIdLength(), decoder.decode(cid, 0, length, out, 0), config.toString());
            assertEquals(serverId, ServerId.of(java.util.Arrays.copyOf(out, config.serverIdLength())),
                    config.toString());
            assertEquals(config.threadIdLength() == 0 ? CidDecoder.NO_THREAD_ID : threadId, decoder.threadId(),
                    config.toString());
        }
    }

    private static List<QuicLbConfig> everyShape(SplittableRandom random) {
        List<QuicLbConfig> configs = new ArrayList<>();
        for (int keyed = 0; keyed < 2; keyed++) {
            for (int threadIdLength = 0; threadIdLength <= QuicLbConfig.MAX_THREAD_ID_LENGTH; threadIdLength++) {
                for (int s = QuicLbConfig.MIN_SERVER_ID_LENGTH; s <= QuicLbConfig.MAX_SERVER_ID_LENGTH; s++) {
                    for (int n = QuicLbConfig.MIN_NONCE_LENGTH; s + n <= QuicLbConfig.MAX_PLAINTEXT_LENGTH; n++) {
                        if (n - threadIdLength < QuicLbConfig.MIN_COUNTER_LENGTH) {
                            continue;
                        }
                        byte[] key = null;
                        if (keyed == 1) {
                            key = new byte[QuicLbConfig.KEY_LENGTH];
                            random.nextBytes(key);
                        }
                        configs.add(QuicLbConfig.builder(random.nextInt(QuicLbConfig.MAX_CONFIG_ID + 1), s, n)
                                .key(key).threadIdLength(threadIdLength).build());
                    }
                }
            }
        }
        return configs;
    }

    private static ServerId randomServerId(QuicLbConfig config, SplittableRandom random) {
        byte[] octets = new byte[config.serverIdLength()];
        random.nextBytes(octets);
        return ServerId.of(octets);
    }
}

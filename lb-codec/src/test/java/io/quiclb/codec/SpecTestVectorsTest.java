package io.quiclb.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Published QUIC-LB test vectors, encoded and decoded byte for byte on both AES engines.
 *
 * <p>Sources: draft-ietf-quic-load-balancers-21, Appendix B "Test Vectors" and §5.4.2's worked example; Google
 * QUICHE {@code quiche/quic/load_balancer/load_balancer_{encoder,decoder}_test.cc} (vectors conforming to
 * draft-19, unchanged through -21). All configurations self-encode the CID length.
 *
 * <p>Draft errata handled here (see shared/spec/implementation-notes.md §5.2):
 * <ul>
 *   <li>Appendix B's last encrypted vector is labelled cr_bits 3, but its CID's first octet 0x12 encodes config
 *       ID 0, as QUICHE's tests use it. It is tested as printed with config 0, and with config 3 as {@code 0x72...}
 *       (the ciphertext does not depend on the config ID).</li>
 *   <li>Appendix B's second unencrypted vector has a 9-digit nonce and a first octet claiming length 0; it cannot be
 *       used byte for byte. {@link #draftUnencryptedVector2DecodesItsServerIdWithAnyNonce} tests what it can.</li>
 * </ul>
 */
class SpecTestVectorsTest {
    private static final String KEY = "8f95f09245765f80256934e50c66207f";

    static Stream<Arguments> vectors() {
        return Stream.of(
                // draft-21 Appendix B, unencrypted vector 1
                Arguments.of("B.unencrypted.1", 0, null, "c4605e", "4504cc4f", "07c4605e4504cc4f"),
                // draft-21 Appendix B, encrypted vectors (four-pass 3/4, four-pass 10/5, single-pass 8/8, 9/9)
                Arguments.of("B.encrypted.1", 0, KEY, "ed793a", "ee080dbf", "0720b1d07b359d3c"),
                Arguments.of("B.encrypted.2", 1, KEY, "ed793a51d49b8f5fab65", "ee080dbf48",
                        "2fcc381bc74cb4fbad2823a3d1f8fed2"),
                Arguments.of("B.encrypted.3", 2, KEY, "ed793a51d49b8f5f", "ee080dbf48c0d1e5",
                        "504dd2d05a7b0de9b2b9907afb5ecf8cc3"),
                Arguments.of("B.encrypted.4 as printed (config 0)", 0, KEY, "ed793a51d49b8f5fab",
                        "ee080dbf48c0d1e55d", "125779c9cc86beb3a3a4a3ca96fce4bfe0cdbc"),
                Arguments.of("B.encrypted.4 with its labelled cr_bits 3", 3, KEY, "ed793a51d49b8f5fab",
                        "ee080dbf48c0d1e55d", "725779c9cc86beb3a3a4a3ca96fce4bfe0cdbc"),
                // draft-21 §5.4.2 worked example
                Arguments.of("5.4.2 example", 0, "fdf726a9893ec05c0632d3956680baf0", "31441a", "9c69c275",
                        "0767947d29be054a"),
                // QUICHE load_balancer_encoder_test.cc UnencryptedConnectionIdTestVectors
                Arguments.of("QUICHE encoder unencrypted 3/4", 0, null, "ed793a", "8049718a", "07ed793a8049718a"),
                Arguments.of("QUICHE encoder unencrypted 8/5", 1, null, "ed793a51d49b8f5f", "8e9853fe93",
                        "2ded793a51d49b8f5f8e9853fe93"),
                // QUICHE load_balancer_decoder_test.cc UnencryptedConnectionIdTestVectors
                Arguments.of("QUICHE decoder unencrypted 8/5", 1, null, "ed793a51d49b8f5f", "ee15da27c4",
                        "2ded793a51d49b8f5fee15da27c4"));
    }

    static Stream<Arguments> vectorsOnEveryEngine() {
        return vectors().flatMap(v -> Stream.of(AesEngine.values()).map(engine -> {
            Object[] args = v.get();
            Object[] withEngine = java.util.Arrays.copyOf(args, args.length + 1);
            withEngine[args.length] = engine;
            return Arguments.of(withEngine);
        }));
    }

    @ParameterizedTest(name = "{0} on {6}")
    @MethodSource("vectorsOnEveryEngine")
    void shouldEncodeVector(String name, int configId, String key, String serverId, String nonce, String cid,
                            AesEngine engine) {
        QuicLbConfig config = config(configId, key, serverId, nonce);
        byte[] encoded = CidEncoder.encodeWithNonce(config, ServerId.fromHex(serverId), Hex.decode("nonce", nonce),
                engine);
        assertEquals(cid, Hex.encode(encoded));
    }

    @ParameterizedTest(name = "{0} on {6}")
    @MethodSource("vectorsOnEveryEngine")
    void shouldDecodeVector(String name, int configId, String key, String serverId, String nonce, String cid,
                            AesEngine engine) {
        QuicLbConfig config = config(configId, key, serverId, nonce);
        CidDecoder decoder = new CidDecoder(engine, config);
        byte[] bytes = Hex.decode("cid", cid);
        byte[] out = new byte[QuicLbConfig.MAX_SERVER_ID_LENGTH];
        int result = decoder.decode(bytes, 0, bytes.length, out, 0);
        assertEquals(serverId.length() / 2, result);
        assertEquals(serverId, Hex.encode(out, 0, result));
        assertEquals(CidDecoder.NO_THREAD_ID, decoder.threadId());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void shouldDecodeVectorWithTheFullNonceAsPlaintextPrefix(String name, int configId, String key,
                                                              String serverId, String nonce, String cid) {
        // The whole plaintext block comes back: a server ID length of S + N via a config over the same key and
        // plaintext length is not allowed (N >= 4), so decode the block with CidCipher directly.
        QuicLbConfig config = config(configId, key, serverId, nonce);
        byte[] bytes = Hex.decode("cid", cid);
        byte[] plaintext = new byte[config.plaintextLength()];
        new CidCipher(config, AesEngine.JDK).decryptPrefix(bytes, 1, plaintext.length, plaintext, 0);
        assertEquals(serverId + nonce, Hex.encode(plaintext));
    }

    @ParameterizedTest(name = "nonce {0}")
    @MethodSource("draftUnencryptedVector2Nonces")
    void draftUnencryptedVector2DecodesItsServerIdWithAnyNonce(String nonce) {
        // draft-21 Appendix B unencrypted vector 2: cr 1, sid 350d28b420, a 5-octet nonce whose printed form lost a
        // digit. Whatever the nonce, a CID 2a || sid || nonce decodes to the server ID.
        QuicLbConfig config = QuicLbConfig.builder(1, 5, 5).build();
        byte[] cid = Hex.decode("cid", "2a" + "350d28b420" + nonce);
        byte[] out = new byte[5];
        assertEquals(5, new CidDecoder(config).decode(cid, 0, cid.length, out, 0));
        assertEquals("350d28b420", Hex.encode(out));
    }

    static Stream<String> draftUnencryptedVector2Nonces() {
        return Stream.of("03487d970b", "3487d9700b", "0000000000", "ffffffffff");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("aesPassesOfTheWorkedExample")
    void shouldReproduceEachAesPassOfTheWorkedExample(String pass, String aesInput, String aesOutput) {
        // draft-21 §5.4.2 worked example: the expand() output of each pass and AES-128-ECB of it.
        byte[] key = Hex.decode("key", "fdf726a9893ec05c0632d3956680baf0");
        for (AesEngine engine : AesEngine.values()) {
            byte[] out = new byte[16];
            engine.newCipher(key).encrypt(Hex.decode("in", aesInput), 0, out, 0);
            assertEquals(aesOutput, Hex.encode(out), pass + " on " + engine);
        }
    }

    static Stream<Arguments> aesPassesOfTheWorkedExample() {
        return Stream.of(
                Arguments.of("pass 1", "31441a90000000000000000000000701", "a255dd8cdacf01948d3a848c3c7fee23"),
                Arguments.of("pass 2", "0e3c1ff9000000000000000000000702", "e5e452cb9e1bedb0b2bf830506bf4c4e"),
                Arguments.of("pass 3", "d4a04850000000000000000000000703", "b7821ab3024fed0913b6a04d18e3216f"),
                // The draft's step 10 text XORs with 0xb3e4357c; its own aes_output line says 0xb334357c (erratum).
                Arguments.of("pass 4", "09be054a000000000000000000000704", "b334357cfdf81e3fafe180154eaf7378"));
    }

    @org.junit.jupiter.api.Test
    void shouldLeaveTheWorkedExampleHalvesInExpandLayout() {
        // After encryption the halves are left_2 = 0x67947d20 and right_2 = 0x09be054a (draft-21 §5.4.2), each in
        // the -19 expand() layout: half || zeros || length 7 || last pass number.
        QuicLbConfig config = QuicLbConfig.builder(0, 3, 4)
                .key(Hex.decode("key", "fdf726a9893ec05c0632d3956680baf0")).build();
        FourPassCipher cipher = new FourPassCipher(AesEngine.JDK.newCipher(config.keyCopy()), 7);
        byte[] plaintext = Hex.decode("pt", "31441a9c69c275");
        byte[] ciphertext = new byte[7];
        cipher.encrypt(plaintext, 0, ciphertext, 0);
        assertEquals("67947d29be054a", Hex.encode(ciphertext));
        assertEquals("67947d20000000000000000000000703", Hex.encode(cipher.leftBlock()));
        assertEquals("09be054a000000000000000000000704", Hex.encode(cipher.rightBlock()));
    }

    @org.junit.jupiter.api.Test
    void shouldMatchQuicheBlockEncryptionExample() {
        // QUICHE load_balancer_config_test.cc BlockEncryptionExample: raw AES-128-ECB under the test key.
        byte[] out = new byte[16];
        AesEngine.JDK.newCipher(Hex.decode("key", KEY))
                .encrypt(Hex.decode("pt", "ed793a51d49b8f5fee080dbf48c0d1e5"), 0, out, 0);
        assertEquals("4dd2d05a7b0de9b2b9907afb5ecf8cc3", Hex.encode(out));
        byte[] back = new byte[16];
        AesEngine.BOUNCY_CASTLE.newCipher(Hex.decode("key", KEY)).decrypt(out, 0, back, 0);
        assertArrayEquals(Hex.decode("pt", "ed793a51d49b8f5fee080dbf48c0d1e5"), back);
    }

    private static QuicLbConfig config(int configId, String key, String serverId, String nonce) {
        return QuicLbConfig.builder(configId, serverId.length() / 2, nonce.length() / 2)
                .key(key == null ? null : Hex.decode("key", key))
                .build();
    }
}

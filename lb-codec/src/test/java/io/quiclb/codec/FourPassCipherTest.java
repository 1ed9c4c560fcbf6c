package io.quiclb.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link FourPassCipher}, which writes each block with two 8-octet stores, against the draft-21 §5.4.2 encryption
 * pseudocode written out octet by octet here, for every length 2..28 (odd lengths whose half ends in either 8-octet
 * word included; the draft's vectors cover only lengths 7, 15 and 18), on both AES engines; and its §5.5.2
 * decryption of every prefix length as the inverse of that reference's output.
 */
class FourPassCipherTest {
    private static final byte[] KEY = Hex.decode("key", "8f95f09245765f80256934e50c66207f");
    private static final int INPUTS_PER_LENGTH = 64;

    @ParameterizedTest
    @EnumSource(AesEngine.class)
    void shouldMatchTheDraftsPseudocodeForEveryLength(AesEngine engine) throws Exception {
        Cipher reference = Cipher.getInstance("AES/ECB/NoPadding");
        reference.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(KEY, "AES"));
        SplittableRandom random = new SplittableRandom(2026_11_30L);
        for (int length = 2; length <= 2 * FourPassCipher.LENGTH_OCTET; length++) {
            FourPassCipher cipher = new FourPassCipher(engine.newCipher(KEY), length);
            for (int i = 0; i < INPUTS_PER_LENGTH; i++) {
                byte[] plaintext = new byte[length];
                random.nextBytes(plaintext);
                byte[] expected = draftEncrypt(reference, plaintext);
                byte[] ciphertext = new byte[length];
                cipher.encrypt(plaintext, 0, ciphertext, 0);
                assertArrayEquals(expected, ciphertext, "encrypt, length " + length + ": " + Hex.encode(plaintext));
                for (int prefix = 1; prefix <= length; prefix++) {
                    byte[] decrypted = new byte[prefix];
                    cipher.decryptPrefix(ciphertext, 0, prefix, decrypted, 0);
                    assertArrayEquals(Arrays.copyOf(plaintext, prefix), decrypted,
                            "decrypt, length " + length + ", prefix " + prefix);
                }
            }
        }
    }

    /** §5.4.2 steps 1 to 12, octet by octet: expand(), four passes, nibble masks for odd lengths. */
    private static byte[] draftEncrypt(Cipher aes, byte[] plaintext) throws Exception {
        int length = plaintext.length;
        int half = (length + 1) / 2;
        boolean odd = (length & 1) != 0;
        byte[] left = Arrays.copyOfRange(plaintext, 0, half);
        byte[] right = Arrays.copyOfRange(plaintext, length / 2, length);
        if (odd) {
            left[half - 1] &= (byte) 0xf0;
            right[0] &= (byte) 0x0f;
        }
        for (int pass = 1; pass <= 4; pass++) {
            boolean intoRight = (pass & 1) == 1;
            byte[] output = aes.doFinal(expand(length, pass, intoRight ? left : right));
            byte[] target = intoRight ? right : left;
            for (int i = 0; i < half; i++) {
                target[i] ^= output[i];
            }
            if (odd && intoRight) {
                right[0] &= (byte) 0x0f;
            } else if (odd) {
                left[half - 1] &= (byte) 0xf0;
            }
        }
        byte[] ciphertext = new byte[length];
        System.arraycopy(left, 0, ciphertext, 0, half);
        for (int i = 0; i < half; i++) {
            ciphertext[length / 2 + i] |= right[i];
        }
        return ciphertext;
    }

    /** expand(length, pass, half): the half, zeros, the length in octet 14, the pass in octet 15 (draft-19 on). */
    private static byte[] expand(int length, int pass, byte[] half) {
        byte[] block = new byte[16];
        System.arraycopy(half, 0, block, 0, half.length);
        block[14] = (byte) length;
        block[15] = (byte) pass;
        return block;
    }
}

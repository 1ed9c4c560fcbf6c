package io.quiclb.codec;

/**
 * The four-pass Feistel network of draft-21 §5.4.2 (encryption) and §5.5.2 (decryption) for one plaintext length:
 * four rounds whose round function is AES-128-ECB of {@code expand(length, pass, half)}, truncated to the half's
 * length. An odd length splits its middle octet between the halves by nibble.
 *
 * <p>The two halves live in 16-octet blocks already laid out as the draft's {@code expand()} output (-19 and
 * later): octets {@code 0..half-1} hold the half, octets {@code half..13} stay zero, octet 14 holds the length and
 * octet 15 the pass number. A round therefore only sets octet 15, runs AES and XORs {@code half} octets: no
 * copying, no allocation.
 *
 * <p>Decryption follows the draft's pseudocode with its erratum fixed: after computing {@code right_1} it is
 * {@code right_1} whose first 4 bits are cleared (the -21 text says {@code left_1}); {@code right_1} is the AES input
 * of pass 2.
 *
 * <p>The cipher is a permutation for any length from 2 to 28 octets; the encoder also uses it under a local key to
 * permute plaintext-config nonce counters.
 *
 * <p><b>Hot path.</b> Measure changes with lb-bench's CidDecoderBenchmark ({@code -prof gc}) before merging.
 * <b>Thread safety:</b> not thread-safe; one instance per thread.
 */
final class FourPassCipher {
    /** Octet of the expanded block that carries the plaintext length. */
    static final int LENGTH_OCTET = 14;
    /** Octet of the expanded block that carries the pass number. */
    static final int PASS_OCTET = 15;

    private final AesBlockCipher aes;
    private final int length;
    private final int half;
    private final int floorHalf;
    private final boolean odd;
    private final byte[] left = new byte[AesBlockCipher.BLOCK_LENGTH];
    private final byte[] right = new byte[AesBlockCipher.BLOCK_LENGTH];
    private final byte[] aesOutput = new byte[AesBlockCipher.BLOCK_LENGTH];

    /**
     * @param aes    the keyed AES
     * @param length plaintext length in octets, 2..28 (QUIC-LB uses 5..19 except 16)
     */
    FourPassCipher(AesBlockCipher aes, int length) {
        if (length < 2 || length > 2 * LENGTH_OCTET) {
            throw new IllegalArgumentException("must be 2.." + 2 * LENGTH_OCTET + ": length=" + length);
        }
        this.aes = aes;
        this.length = length;
        this.half = (length + 1) / 2;
        this.floorHalf = length / 2;
        this.odd = (length & 1) != 0;
        left[LENGTH_OCTET] = (byte) length;
        right[LENGTH_OCTET] = (byte) length;
    }

    /** @return the plaintext length this cipher was built for */
    int length() {
        return length;
    }

    /**
     * Encrypts {@code length} octets (§5.4.2 steps 1 to 12). {@code src} and {@code dst} may be the same range.
     */
    void encrypt(byte[] src, int srcOffset, byte[] dst, int dstOffset) {
        split(src, srcOffset);
        roundIntoRight(1);
        roundIntoLeft(2);
        roundIntoRight(3);
        roundIntoLeft(4);
        merge(length, dst, dstOffset);
    }

    /**
     * Decrypts the first {@code prefixLength} plaintext octets (§5.5.2). Three AES passes suffice when the prefix
     * lies entirely in the whole octets of the left half; otherwise the fourth pass runs too.
     *
     * @param prefixLength 1..length plaintext octets wanted, e.g. the server ID length
     */
    void decryptPrefix(byte[] src, int srcOffset, int prefixLength, byte[] dst, int dstOffset) {
        split(src, srcOffset);
        roundIntoLeft(4);
        roundIntoRight(3);
        roundIntoLeft(2);
        if (prefixLength <= floorHalf) {
            System.arraycopy(left, 0, dst, dstOffset, prefixLength);
            return;
        }
        roundIntoRight(1);
        merge(prefixLength, dst, dstOffset);
    }

    /** §5.4.2 step 2: left_0 and right_0, overlapping by one masked octet when the length is odd. */
    private void split(byte[] src, int offset) {
        System.arraycopy(src, offset, left, 0, half);
        System.arraycopy(src, offset + floorHalf, right, 0, half);
        if (odd) {
            left[half - 1] &= (byte) 0xf0;
            right[0] &= (byte) 0x0f;
        }
    }

    /** right ^= truncate(AES(expand(length, pass, left)), half), then clear right's first 4 bits if odd. */
    private void roundIntoRight(int pass) {
        final byte[] left = this.left;
        final byte[] right = this.right;
        final byte[] aesOutput = this.aesOutput;
        left[PASS_OCTET] = (byte) pass;
        aes.encrypt(left, 0, aesOutput, 0);
        for (int i = 0; i < half; i++) {
            right[i] ^= aesOutput[i];
        }
        if (odd) {
            right[0] &= (byte) 0x0f;
        }
    }

    /** left ^= truncate(AES(expand(length, pass, right)), half), then clear left's last 4 bits if odd. */
    private void roundIntoLeft(int pass) {
        final byte[] left = this.left;
        final byte[] right = this.right;
        final byte[] aesOutput = this.aesOutput;
        right[PASS_OCTET] = (byte) pass;
        aes.encrypt(right, 0, aesOutput, 0);
        for (int i = 0; i < half; i++) {
            left[i] ^= aesOutput[i];
        }
        if (odd) {
            left[half - 1] &= (byte) 0xf0;
        }
    }

    /** §5.4.2 step 12: left || right, the middle octet merged from both nibbles when odd; the first n octets. */
    private void merge(int n, byte[] dst, int dstOffset) {
        for (int i = 0; i < n; i++) {
            byte octet;
            if (i < floorHalf) {
                octet = left[i];
            } else if (odd && i == floorHalf) {
                octet = (byte) (left[half - 1] | right[0]);
            } else {
                octet = right[i - floorHalf];
            }
            dst[dstOffset + i] = octet;
        }
    }

    // Package-private for testing: the draft's worked example asserts the halves after each pass.
    byte[] leftBlock() {
        return left.clone();
    }

    byte[] rightBlock() {
        return right.clone();
    }
}

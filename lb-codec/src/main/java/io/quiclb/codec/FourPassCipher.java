package io.quiclb.codec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The four-pass Feistel network of draft-21 §5.4.2 (encryption) and §5.5.2 (decryption) for one plaintext length:
 * four rounds whose round function is AES-128-ECB of {@code expand(length, pass, half)}, truncated to the half's
 * length. An odd length splits its middle octet between the halves by nibble.
 *
 * <p>The two halves live in 16-octet blocks already laid out as the draft's {@code expand()} output (-19 and
 * later): octets {@code 0..half-1} hold the half, octets {@code half..13} stay zero, octet 14 holds the length and
 * octet 15 the pass number. A round runs AES on one block and XORs {@code half} octets of the output into the
 * other, which it writes back whole, already carrying the pass number it is the AES input of next: no copying, no
 * allocation.
 *
 * <p>Each block is written with two 8-octet stores (a little-endian {@code long} view), not octet by octet, because
 * the JDK's AES intrinsic then reads the block with one 16-octet load: a load the CPU cannot forward from many
 * narrow stores waits until they retire, once per round. Measured with a probe of three rounds on the 2-vCPU AMD
 * EPYC VM: 80 to 92 ns octet by octet, 55 to 62 ns with the two stores, 39 to 43 ns for three bare AES calls
 * (docs/performance.md, "Why the keyed decoders miss their goals").
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
    /** The block as two little-endian longs: octets 0..7 and 8..15. */
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);
    /** Octets 8..14 of the high long: everything but the pass octet. */
    private static final long ALL_BUT_PASS = 0x00ff_ffff_ffff_ffffL;

    private final AesBlockCipher aes;
    private final int length;
    private final int half;
    private final int floorHalf;
    private final boolean odd;
    /** The half's octets in the low and high long of a block: what a round XORs. */
    private final long halfLow;
    private final long halfHigh;
    /** What survives of the right half's low long after a round: all but the first nibble when odd. */
    private final long rightKeepLow;
    /** What survives of the left half's longs after a round: all but the last nibble of the half when odd. */
    private final long leftKeepLow;
    private final long leftKeepHigh;
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
        this.halfLow = half >= 8 ? -1L : (1L << (8 * half)) - 1;
        this.halfHigh = half <= 8 ? 0 : (1L << (8 * (half - 8))) - 1;
        this.rightKeepLow = odd ? ~0xf0L : -1L;
        long lastNibble = 0x0fL << (8 * ((half - 1) % 8));
        this.leftKeepLow = odd && half <= 8 ? ~lastNibble : -1L;
        this.leftKeepHigh = odd && half > 8 ? ~lastNibble : -1L;
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
        left[PASS_OCTET] = 1;
        roundIntoRight(2);
        roundIntoLeft(3);
        roundIntoRight(4);
        roundIntoLeft(3); // left's last AES input was pass 3: its block keeps saying so
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
        right[PASS_OCTET] = 4;
        roundIntoLeft(3);
        roundIntoRight(2);
        roundIntoLeft(1);
        if (prefixLength <= floorHalf) {
            System.arraycopy(left, 0, dst, dstOffset, prefixLength);
            return;
        }
        roundIntoRight(2);
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

    /**
     * right ^= truncate(AES(expand(length, pass, left)), half), then clear right's first 4 bits if odd. The AES
     * input {@code left} already carries its pass number; right is written whole, carrying {@code nextPass}, the
     * pass it is the AES input of next.
     */
    private void roundIntoRight(int nextPass) {
        aes.encrypt(left, 0, aesOutput, 0);
        xorHalf(right, rightKeepLow, -1L, nextPass);
    }

    /**
     * left ^= truncate(AES(expand(length, pass, right)), half), then clear left's last 4 bits if odd; as
     * {@link #roundIntoRight}, with the halves' roles swapped.
     */
    private void roundIntoLeft(int nextPass) {
        aes.encrypt(right, 0, aesOutput, 0);
        xorHalf(left, leftKeepLow, leftKeepHigh, nextPass);
    }

    /** block ^= the first {@code half} octets of the AES output, masked, with its pass octet set: two stores. */
    private void xorHalf(byte[] block, long keepLow, long keepHigh, int nextPass) {
        long low = ((long) LONGS.get(block, 0) ^ ((long) LONGS.get(aesOutput, 0) & halfLow)) & keepLow;
        long high = ((long) LONGS.get(block, 8) ^ ((long) LONGS.get(aesOutput, 8) & halfHigh)) & keepHigh;
        LONGS.set(block, 0, low);
        LONGS.set(block, 8, (high & ALL_BUT_PASS) | (long) nextPass << 56);
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

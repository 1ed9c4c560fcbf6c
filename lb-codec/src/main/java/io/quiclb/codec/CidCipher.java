package io.quiclb.codec;

/**
 * Turns one configuration's plaintext block (server ID || nonce) into the CID octets after the first octet and
 * back, with the algorithm the configuration selects: plaintext (draft-21 §5.4/§5.5), single-pass AES-128-ECB
 * (§5.4.1/§5.5.1) or four-pass (§5.4.2/§5.5.2).
 *
 * <p>The algorithm is fixed at construction, so the per-call {@code switch} always takes the same branch.
 *
 * <p><b>Hot path.</b> <b>Thread safety:</b> not thread-safe; one instance per thread.
 */
final class CidCipher {
    private final QuicLbConfig config;
    private final CidAlgorithm algorithm;
    private final int plaintextLength;
    private final AesBlockCipher aes;
    private final FourPassCipher fourPass;
    private final byte[] block = new byte[AesBlockCipher.BLOCK_LENGTH];

    CidCipher(QuicLbConfig config, AesEngine engine) {
        this.config = config;
        this.algorithm = config.algorithm();
        this.plaintextLength = config.plaintextLength();
        if (config.hasKey()) {
            byte[] key = config.keyCopy();
            try {
                this.aes = engine.newCipher(key);
            } finally {
                QuicLbConfig.wipe(key);
            }
        } else {
            this.aes = null;
        }
        this.fourPass = algorithm == CidAlgorithm.FOUR_PASS ? new FourPassCipher(aes, plaintextLength) : null;
    }

    QuicLbConfig config() {
        return config;
    }

    /**
     * Encrypts the plaintext block. {@code dst} receives plaintextLength octets; it may be the same array as
     * {@code plaintext} only at the same offset.
     */
    void encrypt(byte[] plaintext, int offset, byte[] dst, int dstOffset) {
        switch (algorithm) {
            case PLAINTEXT:
                System.arraycopy(plaintext, offset, dst, dstOffset, plaintextLength);
                break;
            case SINGLE_PASS:
                aes.encrypt(plaintext, offset, block, 0);
                System.arraycopy(block, 0, dst, dstOffset, AesBlockCipher.BLOCK_LENGTH);
                break;
            default:
                fourPass.encrypt(plaintext, offset, dst, dstOffset);
                break;
        }
    }

    /**
     * Recovers the first {@code prefixLength} octets of the plaintext block from the CID octets after the first.
     * The caller guarantees plaintextLength octets are readable at {@code offset}.
     */
    void decryptPrefix(byte[] ciphertext, int offset, int prefixLength, byte[] dst, int dstOffset) {
        switch (algorithm) {
            case PLAINTEXT:
                System.arraycopy(ciphertext, offset, dst, dstOffset, prefixLength);
                break;
            case SINGLE_PASS:
                aes.decrypt(ciphertext, offset, block, 0);
                System.arraycopy(block, 0, dst, dstOffset, prefixLength);
                break;
            default:
                fourPass.decryptPrefix(ciphertext, offset, prefixLength, dst, dstOffset);
                break;
        }
    }
}

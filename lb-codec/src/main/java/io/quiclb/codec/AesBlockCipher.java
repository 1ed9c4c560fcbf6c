package io.quiclb.codec;

/**
 * One AES-128 key applied to single 16-octet blocks: the only primitive QUIC-LB needs (draft-21 §5.4). Four-pass
 * uses only {@link #encrypt}; single-pass decoding uses {@link #decrypt}.
 *
 * <p>Implementations must not allocate or throw per block; {@code in} and {@code out} are never the same array
 * range when this package calls them. Obtain one from {@link AesEngine#newCipher(byte[])}.
 *
 * <p><b>Thread safety:</b> implementations are not thread-safe; use one instance per thread.
 */
public interface AesBlockCipher {
    /** Octets in one AES block. */
    int BLOCK_LENGTH = 16;

    /**
     * @param in        plaintext block
     * @param inOffset  its first octet
     * @param out       ciphertext destination
     * @param outOffset where the first ciphertext octet goes
     */
    void encrypt(byte[] in, int inOffset, byte[] out, int outOffset);

    /**
     * @param in        ciphertext block
     * @param inOffset  its first octet
     * @param out       plaintext destination
     * @param outOffset where the first plaintext octet goes
     */
    void decrypt(byte[] in, int inOffset, byte[] out, int outOffset);
}

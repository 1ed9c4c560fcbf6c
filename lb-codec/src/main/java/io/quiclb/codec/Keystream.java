package io.quiclb.codec;

/**
 * Pseudo-random octets for the parts of a CID that must have "no observable relationship" to other CIDs but need
 * not be unique: the first octet's low 5 bits when the length is not self-encoded (draft-21 §3.3), and the octets
 * of unroutable 0b111 CIDs (§3.2). AES-128 in counter mode under a key that never leaves the encoder: one AES block
 * per 16 octets, no allocation, unpredictable without the key.
 *
 * <p><b>Thread safety:</b> not thread-safe; owned by one encoder.
 */
final class Keystream {
    private final AesBlockCipher aes;
    private final byte[] counterBlock = new byte[AesBlockCipher.BLOCK_LENGTH];
    private final byte[] octets = new byte[AesBlockCipher.BLOCK_LENGTH];
    private int position = AesBlockCipher.BLOCK_LENGTH;

    Keystream(AesBlockCipher aes) {
        this.aes = aes;
    }

    int nextOctet() {
        if (position == AesBlockCipher.BLOCK_LENGTH) {
            refill();
        }
        return octets[position++] & 0xff;
    }

    void nextOctets(byte[] dst, int offset, int length) {
        for (int i = 0; i < length; i++) {
            dst[offset + i] = (byte) nextOctet();
        }
    }

    private void refill() {
        for (int i = counterBlock.length - 1; i >= 0; i--) {
            if (++counterBlock[i] != 0) {
                break;
            }
        }
        aes.encrypt(counterBlock, 0, octets, 0);
        position = 0;
    }
}

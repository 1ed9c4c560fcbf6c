package io.quiclb.codec;

/**
 * How the plaintext block (server ID || nonce) becomes the octets after the first octet of a CID.
 *
 * <p><b>Thread safety:</b> an enum; immutable.
 */
public enum CidAlgorithm {
    /** No key: the plaintext block is the CID (draft-21 §5.4, "no key" case). */
    PLAINTEXT,
    /** A key and a 16-octet plaintext: one AES-128-ECB block (§5.4.1, MUST). */
    SINGLE_PASS,
    /** A key and any other plaintext length: a four-round Feistel network over AES-128-ECB (§5.4.2, MUST). */
    FOUR_PASS;

    /**
     * The algorithm draft-21 requires for a plaintext length and the presence of a key.
     *
     * @param plaintextLength serverIdLength + nonceLength
     * @param hasKey          whether the configuration has a key
     * @return the algorithm
     */
    public static CidAlgorithm of(int plaintextLength, boolean hasKey) {
        if (!hasKey) {
            return PLAINTEXT;
        }
        return plaintextLength == QuicLbConfig.SINGLE_PASS_PLAINTEXT_LENGTH ? SINGLE_PASS : FOUR_PASS;
    }
}

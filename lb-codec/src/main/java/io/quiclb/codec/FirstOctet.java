package io.quiclb.codec;

/**
 * The first octet of a QUIC-LB CID (draft-21 §3): the config rotation codepoint in the top
 * {@value QuicLbConfig#CONFIG_ID_BITS} bits, and in the low 5 bits either the CID length minus one (§3.3) or
 * bits with no relationship to other CIDs.
 *
 * <p><b>Thread safety:</b> stateless; safe from any thread.
 */
public final class FirstOctet {
    /** The low 5 bits: length or random. */
    public static final int LENGTH_MASK = 0x1f;
    /** The longest CID whose length the low 5 bits can describe (§8): 31 + 1. */
    public static final int MAX_SELF_ENCODED_CID_LENGTH = LENGTH_MASK + 1;

    private FirstOctet() {
    }

    /**
     * @param firstOctet the first octet of a CID
     * @return its config rotation codepoint, 0..7
     */
    public static int configId(int firstOctet) {
        return (firstOctet & 0xff) >>> (8 - QuicLbConfig.CONFIG_ID_BITS);
    }

    /**
     * @param firstOctet the first octet of a CID that self-encodes its length
     * @return the CID length it describes, 1..32
     */
    public static int selfEncodedCidLength(int firstOctet) {
        return (firstOctet & LENGTH_MASK) + 1;
    }

    /**
     * @param configId  0..7
     * @param low5Bits  length minus one, or random bits; only the low 5 bits are used
     * @return the first octet
     */
    public static byte of(int configId, int low5Bits) {
        return (byte) (configId << (8 - QuicLbConfig.CONFIG_ID_BITS) | (low5Bits & LENGTH_MASK));
    }
}

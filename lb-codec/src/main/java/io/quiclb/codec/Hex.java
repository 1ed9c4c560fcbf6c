package io.quiclb.codec;

/**
 * Lowercase hex encoding and strict hex decoding for the CLI, server IDs and messages.
 *
 * <p><b>Thread safety:</b> stateless; safe from any thread.
 */
public final class Hex {
    private static final char[] DIGITS = "0123456789abcdef".toCharArray();

    private Hex() {
    }

    /**
     * @param bytes  source
     * @param offset first octet
     * @param length octets to encode
     * @return lowercase hex, two digits per octet
     */
    public static String encode(byte[] bytes, int offset, int length) {
        char[] out = new char[length * 2];
        for (int i = 0; i < length; i++) {
            int b = bytes[offset + i] & 0xff;
            out[2 * i] = DIGITS[b >>> 4];
            out[2 * i + 1] = DIGITS[b & 0x0f];
        }
        return new String(out);
    }

    /**
     * @param bytes source
     * @return lowercase hex of all octets
     */
    public static String encode(byte[] bytes) {
        return encode(bytes, 0, bytes.length);
    }

    /**
     * Decodes hex digits (either case) with no separators or prefix.
     *
     * @param name what the value is, for the error message (never echoes the value: it may be a key)
     * @param hex  an even number of hex digits
     * @return the octets
     * @throws IllegalArgumentException when the string is null, has an odd length or a non-hex character
     */
    public static byte[] decode(String name, String hex) {
        if (hex == null) {
            throw new IllegalArgumentException("must be hex digits: " + name + " is missing");
        }
        if ((hex.length() & 1) != 0) {
            throw new IllegalArgumentException("must be an even number of hex digits: " + name
                    + " has " + hex.length());
        }
        byte[] out = new byte[hex.length() / 2];
        for (int i = 0; i < out.length; i++) {
            int hi = Character.digit(hex.charAt(2 * i), 16);
            int lo = Character.digit(hex.charAt(2 * i + 1), 16);
            if (hi < 0 || lo < 0) {
                throw new IllegalArgumentException("must be hex digits: " + name + " has a non-hex character at "
                        + (hi < 0 ? 2 * i : 2 * i + 1));
            }
            out[i] = (byte) (hi << 4 | lo);
        }
        return out;
    }
}

package io.quiclb.codec;

import java.util.Arrays;

/**
 * A server ID: the octets that identify one server within one configuration (draft-21 §5.1, §5.2).
 *
 * <p><b>Thread safety:</b> immutable and safe to share between threads.
 */
public final class ServerId {
    private final byte[] octets;

    private ServerId(byte[] octets) {
        QuicLbConfig.checkRange("serverId.length", octets.length,
                QuicLbConfig.MIN_SERVER_ID_LENGTH, QuicLbConfig.MAX_SERVER_ID_LENGTH);
        this.octets = octets;
    }

    /**
     * @param octets 1..15 octets, copied
     * @return the server ID
     * @throws IllegalArgumentException when the length is outside 1..15
     */
    public static ServerId of(byte[] octets) {
        return new ServerId(octets.clone());
    }

    /**
     * @param hex 2..30 hex digits, e.g. {@code "0a01"}
     * @return the server ID
     * @throws IllegalArgumentException when the string is not hex or its length is outside 1..15 octets
     */
    public static ServerId fromHex(String hex) {
        return new ServerId(Hex.decode("serverId", hex));
    }

    /** @return octets of this server ID */
    public int length() {
        return octets.length;
    }

    /**
     * @param index 0..length-1
     * @return the octet at that index
     */
    public byte octet(int index) {
        return octets[index];
    }

    /** @return a copy of the octets */
    public byte[] toByteArray() {
        return octets.clone();
    }

    /**
     * Copies the octets into a buffer.
     *
     * @param dst       destination
     * @param dstOffset where the first octet goes
     */
    public void copyTo(byte[] dst, int dstOffset) {
        System.arraycopy(octets, 0, dst, dstOffset, octets.length);
    }

    /**
     * Whether this server ID equals the octets at a place in a buffer, e.g. a decoder's output.
     *
     * @param src    buffer
     * @param offset first octet
     * @param length octets
     * @return true when the lengths and all octets are equal
     */
    public boolean matches(byte[] src, int offset, int length) {
        return length == octets.length
                && Arrays.equals(octets, 0, octets.length, src, offset, offset + length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ServerId && Arrays.equals(octets, ((ServerId) o).octets);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(octets);
    }

    /** @return the server ID in lowercase hex */
    @Override
    public String toString() {
        return Hex.encode(octets);
    }
}

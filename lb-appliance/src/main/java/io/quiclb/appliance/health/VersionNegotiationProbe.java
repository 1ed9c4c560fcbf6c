package io.quiclb.appliance.health;

import java.nio.ByteBuffer;

/**
 * The packets of a QUIC liveness probe: a long-header packet with a reserved version of the form 0x?a?a?a?a
 * (RFC 9000 §15), which a QUIC server answers with a Version Negotiation packet (RFC 9000 §6, §17.2.1) whose
 * DCID is the probe's SCID. Padded to 1200 octets, the smallest datagram a server must answer (RFC 9000 §14.1).
 *
 * <p><b>Thread safety:</b> stateless.
 */
final class VersionNegotiationProbe {
    /** A reserved version: every low nibble of each octet is 0xa, so no real QUIC version matches it. */
    static final int RESERVED_VERSION = 0x1a2a3a4a;
    static final int PROBE_LENGTH = 1200;
    static final int CID_LENGTH = 8;

    private VersionNegotiationProbe() {
    }

    /**
     * @param dcid 8 octets
     * @param scid 8 octets, which the reply must carry as its DCID
     * @return the probe datagram
     */
    static byte[] probe(byte[] dcid, byte[] scid) {
        ByteBuffer packet = ByteBuffer.allocate(PROBE_LENGTH);
        packet.put((byte) 0xc0).putInt(RESERVED_VERSION);
        packet.put((byte) dcid.length).put(dcid).put((byte) scid.length).put(scid);
        return packet.array();
    }

    /**
     * @param datagram a received datagram
     * @param length   its length
     * @param scid     the SCID of the probe it should answer
     * @return whether it is a Version Negotiation packet answering that probe
     */
    static boolean answers(byte[] datagram, int length, byte[] scid) {
        if (length < 7 || (datagram[0] & 0x80) == 0) {
            return false;
        }
        if (datagram[1] != 0 || datagram[2] != 0 || datagram[3] != 0 || datagram[4] != 0) {
            return false; // not version 0: not Version Negotiation
        }
        int dcidLength = datagram[5] & 0xff;
        if (dcidLength != scid.length || 6 + dcidLength > length) {
            return false;
        }
        return java.util.Arrays.equals(datagram, 6, 6 + dcidLength, scid, 0, scid.length);
    }
}

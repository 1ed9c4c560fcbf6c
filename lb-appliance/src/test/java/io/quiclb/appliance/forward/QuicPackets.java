package io.quiclb.appliance.forward;

import java.nio.charset.StandardCharsets;

/** QUIC datagrams shaped per RFC 8999's invariants, for tests. */
final class QuicPackets {
    private QuicPackets() {
    }

    /** A short header packet: 0x43, the DCID, then the payload text. */
    static byte[] shortHeader(byte[] dcid, String payload) {
        byte[] body = payload.getBytes(StandardCharsets.US_ASCII);
        byte[] datagram = new byte[1 + dcid.length + body.length];
        datagram[0] = 0x43;
        System.arraycopy(dcid, 0, datagram, 1, dcid.length);
        System.arraycopy(body, 0, datagram, 1 + dcid.length, body.length);
        return datagram;
    }

    /** A QUIC v1 Initial-shaped long header: 0xc3, version 1, DCID, SCID, then the payload text. */
    static byte[] longHeader(byte[] dcid, byte[] scid, String payload) {
        byte[] body = payload.getBytes(StandardCharsets.US_ASCII);
        byte[] datagram = new byte[7 + dcid.length + scid.length + body.length];
        datagram[0] = (byte) 0xc3;
        datagram[4] = 1;
        datagram[5] = (byte) dcid.length;
        System.arraycopy(dcid, 0, datagram, 6, dcid.length);
        datagram[6 + dcid.length] = (byte) scid.length;
        System.arraycopy(scid, 0, datagram, 7 + dcid.length, scid.length);
        System.arraycopy(body, 0, datagram, 7 + dcid.length + scid.length, body.length);
        return datagram;
    }

    /** @return the payload text after a short header with a DCID of {@code cidLength} octets */
    static String shortPayload(byte[] datagram, int cidLength) {
        return new String(datagram, 1 + cidLength, datagram.length - 1 - cidLength, StandardCharsets.US_ASCII);
    }
}

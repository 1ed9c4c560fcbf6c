package io.quiclb.appliance;

import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;

/**
 * A client's CID-routed datagram through the appliance to an echoing backend: a QUIC short header whose DCID names a
 * server ID, sent until the echo comes back or the tries run out (each waits for the socket's timeout).
 */
public final class ShortHeaders {
    private ShortHeaders() {
    }

    /**
     * @param client    the client's socket, with its receive timeout set
     * @param appliance where to send
     * @param config    the config the DCID is of
     * @param serverId  the server ID it names, in hex
     * @param tries     sends at most
     * @return whether an answer came
     */
    public static boolean echoed(DatagramSocket client, InetSocketAddress appliance, QuicLbConfig config,
                                 String serverId, int tries) throws IOException {
        byte[] cid = new CidEncoder(config, ServerId.fromHex(serverId), 0).nextConnectionId();
        byte[] datagram = new byte[1 + cid.length + 32];
        datagram[0] = 0x43;
        System.arraycopy(cid, 0, datagram, 1, cid.length);
        for (int attempt = 0; attempt < tries; attempt++) {
            client.send(new DatagramPacket(datagram, datagram.length, appliance));
            try {
                client.receive(new DatagramPacket(new byte[2048], 2048));
                return true;
            } catch (SocketTimeoutException e) {
                // not routable yet, or lost: once more
            }
        }
        return false;
    }

    /** As {@link #echoed(DatagramSocket, InetSocketAddress, QuicLbConfig, String, int)}, from a new socket. */
    public static boolean echoed(InetSocketAddress appliance, QuicLbConfig config, String serverId, int tries,
                                 int timeoutMillis) throws IOException {
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            client.setSoTimeout(timeoutMillis);
            return echoed(client, appliance, config, serverId, tries);
        }
    }
}

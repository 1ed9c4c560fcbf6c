package io.quiclb.codec.netty;

import io.netty.handler.codec.quic.QuicConnectionAddress;
import io.quiclb.codec.Hex;

/**
 * The octets of the connection ID in a Netty {@link QuicConnectionAddress}. Netty 4.2.18 keeps them package-private
 * ({@code QuicConnectionAddress.id()}); the only public view is {@code toString()}, which prints
 * {@code QuicConnectionAddress{connId=<hex>}}. lb-appliance's {@code RotationDrainTest} pins that format. On a server's
 * {@code QuicChannel}, {@code localAddress()} is the CID the client sends to on the active path (quiche's
 * {@code source_id}).
 *
 * <p><b>Thread safety:</b> stateless.
 */
public final class ConnectionAddresses {
    private static final String PREFIX = "connId=";

    private ConnectionAddresses() {
    }

    /**
     * @param address a connection address
     * @return its CID's octets (a new array), or null when it holds none (e.g. {@code EPHEMERAL}) or the format is
     *         not the expected one
     */
    public static byte[] cid(QuicConnectionAddress address) {
        String text = address.toString();
        int at = text.indexOf(PREFIX);
        int end = text.lastIndexOf('}');
        if (at < 0 || end <= at + PREFIX.length()) {
            return null;
        }
        try {
            return Hex.decode("connection ID", text.substring(at + PREFIX.length(), end));
        } catch (IllegalArgumentException e) {
            return null; // not the format this reads: the caller's "unknown"
        }
    }
}

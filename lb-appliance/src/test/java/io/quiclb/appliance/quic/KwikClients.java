package io.quiclb.appliance.quic;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.QuicStream;
import tech.kwik.core.impl.QuicClientConnectionImpl;

/**
 * The kwik client (pure-Java QUIC, <a href="https://github.com/ptrd/kwik">kwik</a>) as the tests drive it: connect
 * to the appliance, make one-stream requests to a {@link TestQuicServer}, migrate actively.
 *
 * <p><b>Thread safety:</b> stateless; a connection is used by one test thread.
 */
final class KwikClients {
    private KwikClients() {
    }

    /** Connects and completes the handshake, failing after 10 s. */
    static QuicClientConnectionImpl connect(InetSocketAddress appliance) throws IOException {
        QuicClientConnection connection = QuicClientConnection.newBuilder()
                .uri(URI.create("https://127.0.0.1:" + appliance.getPort()))
                .applicationProtocol(TestQuicServer.ALPN)
                .noServerCertificateCheck()
                .maxIdleTimeout(Duration.ofSeconds(30))
                .connectTimeout(Duration.ofSeconds(10))
                .socketFactory(server -> new MigratableSocket())
                .build();
        connection.connect();
        return (QuicClientConnectionImpl) connection;
    }

    /** Opens a stream, sends a request, returns the whole answer. */
    static String request(QuicClientConnection connection) throws IOException {
        QuicStream stream = connection.createStream(true);
        stream.getOutputStream().write("GET\r\n".getBytes(StandardCharsets.US_ASCII));
        stream.getOutputStream().close();
        return new String(stream.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    }

    /**
     * Active migration (RFC 9000 §9): the next CID the server issued, sent from a new local port. kwik sends from the
     * new socket and closes the old one, which its sender thread may still be about to send on; a
     * {@link MigratableSocket} loses that datagram instead of failing the connection.
     *
     * @return whether the server had issued a spare CID to move to
     */
    static boolean migrate(QuicClientConnectionImpl connection) throws IOException {
        if (connection.nextDestinationConnectionId() == null) {
            return false;
        }
        connection.changeAddress();
        return true;
    }

    /** @return the value of {@code key=value} in a {@link TestQuicServer} answer */
    static String field(String answer, String key) {
        for (String part : answer.split(" ")) {
            if (part.startsWith(key + "=")) {
                return part.substring(key.length() + 1);
            }
        }
        throw new IllegalArgumentException("no " + key + " in: " + answer);
    }

    /**
     * The client's UDP socket, whose sends after it was closed are lost datagrams rather than errors. kwik 0.10.8's
     * {@code changeAddress()} swaps its sender's socket and closes the old one with no hand-over: a datagram the sender
     * thread was assembling for the old socket at that moment (typically the ACK of the answer just read) hits a
     * closed socket, the {@code SocketException} ends kwik's sender loop, kwik aborts the connection, and the next
     * request fails with "Connection closed". A client that has moved off an address loses what it still sends
     * there, and QUIC recovers from lost datagrams; any other failure is still thrown.
     */
    private static final class MigratableSocket extends DatagramSocket {
        MigratableSocket() throws SocketException {
            super();
        }

        @Override
        public void send(DatagramPacket packet) throws IOException {
            try {
                super.send(packet);
            } catch (SocketException e) {
                if (!isClosed()) {
                    throw e;
                }
            }
        }
    }
}

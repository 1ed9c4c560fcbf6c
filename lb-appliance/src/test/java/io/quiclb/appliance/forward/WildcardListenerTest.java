package io.quiclb.appliance.forward;

import static io.quiclb.appliance.forward.ForwarderFixture.await;
import static io.quiclb.appliance.forward.ForwarderFixture.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dropwizard.util.Duration;
import io.quiclb.appliance.config.ForwarderSettings;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.TransportKind;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.ServerId;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Wildcard listeners (seed 001: HAProxy's QUIC listener reads IP_PKTINFO): one listener on {@code 0.0.0.0} and one
 * on {@code [::]}, clients sending to 127.0.0.1, 127.0.0.2, 127.0.0.3 and ::1, and each reply must come from the
 * address the client sent to, or the client's QUIC stack drops it.
 */
class WildcardListenerTest {
    private static final LbConfigEntry CONFIG = new LbConfigEntry(0, 2, 6, 0, null, true);

    @Test
    void shouldAnswerEachClientFromTheAddressItSentTo() throws Exception {
        assumeTrue(io.netty.channel.epoll.Epoll.isAvailable(), "destinations behind a wildcard need epoll");
        assumeTrue(ipv6Loopback(), "::1 is not configured here");
        ForwarderSettings settings = new ForwarderSettings(TransportKind.EPOLL, 2,
                List.of(HostPort.parse("0.0.0.0:0"), HostPort.parse("[::]:0")), Duration.seconds(60), 1000L, 2048);
        try (UdpBackend backend = new UdpBackend("a").echoing();
             ForwarderFixture fixture = new ForwarderFixture(settings, List.of(CONFIG),
                     List.of(server("a", backend, Map.of(0, "0a01"))))) {
            int v4Port = fixture.forwarder.boundAddresses().get(0).getPort();
            int v6Port = fixture.forwarder.boundAddresses().get(1).getPort();
            CidEncoder encoder = new CidEncoder(CONFIG.toQuicLbConfig(), ServerId.fromHex("0a01"), 0);
            for (String destination : List.of("127.0.0.1", "127.0.0.2", "127.0.0.3", "::1")) {
                InetAddress address = InetAddress.getByName(destination);
                int port = destination.contains(":") ? v6Port : v4Port;
                try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(
                        destination.contains(":") ? "::1" : "127.0.0.1", 0))) {
                    client.setSoTimeout(5_000);
                    for (int i = 0; i < 3; i++) {
                        byte[] datagram = QuicPackets.shortHeader(encoder.nextConnectionId(), destination + "-" + i);
                        client.send(new DatagramPacket(datagram, datagram.length, new InetSocketAddress(address, port)));
                        DatagramPacket reply = new DatagramPacket(new byte[2048], 2048);
                        client.receive(reply);
                        assertEquals(address, reply.getAddress(), "reply " + i + " to a client that sent to "
                                + destination);
                        assertEquals(port, reply.getPort());
                    }
                }
            }
            assertEquals(0, fixture.forwarder.total(ForwarderCounter.DROPPED_UNKNOWN_DESTINATION));
            assertEquals(12, fixture.forwarder.total(ForwarderCounter.REPLIES));
            assertTrue(fixture.forwarder.isBound());
        }
    }

    @Test
    void shouldListenOnTheInterfaceAddressesWhereTheTransportDoesNotReportDestinations() throws Exception {
        assumeTrue(io.netty.channel.uring.IoUring.isAvailable(), "io_uring");
        ForwarderSettings settings = new ForwarderSettings(TransportKind.IO_URING, 2,
                List.of(HostPort.parse("0.0.0.0:0")), Duration.seconds(60), 1000L, 2048);
        try (UdpBackend backend = new UdpBackend("a").echoing();
             ForwarderFixture fixture = new ForwarderFixture(settings, List.of(CONFIG),
                     List.of(server("a", backend, Map.of(0, "0a01"))));
             DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            int port = fixture.forwarder.boundAddresses().get(0).getPort();
            CidEncoder encoder = new CidEncoder(CONFIG.toQuicLbConfig(), ServerId.fromHex("0a01"), 0);
            client.setSoTimeout(5_000);
            // 127.0.0.1 is an address of lo: it has a socket of its own from startup.
            byte[] datagram = QuicPackets.shortHeader(encoder.nextConnectionId(), "to an interface address");
            client.send(new DatagramPacket(datagram, datagram.length, new InetSocketAddress("127.0.0.1", port)));
            DatagramPacket reply = new DatagramPacket(new byte[2048], 2048);
            client.receive(reply);
            assertEquals(InetAddress.getByName("127.0.0.1"), reply.getAddress());
            // 127.0.0.2 is local (lo holds 127.0.0.0/8) but no interface lists it, and io_uring does not say where a
            // datagram was sent: it is dropped and counted rather than answered from the wrong address.
            client.send(new DatagramPacket(datagram, datagram.length, new InetSocketAddress("127.0.0.2", port)));
            assertTrue(await(() -> fixture.forwarder.total(ForwarderCounter.DROPPED_UNKNOWN_DESTINATION) == 1));
            client.setSoTimeout(200);
            DatagramPacket none = new DatagramPacket(new byte[2048], 2048);
            assertNull(receiveOrNull(client, none));
            assertNotNull(fixture.forwarder.capacity());
        }
    }

    private static DatagramPacket receiveOrNull(DatagramSocket socket, DatagramPacket packet) throws Exception {
        try {
            socket.receive(packet);
            return packet;
        } catch (java.net.SocketTimeoutException e) {
            return null;
        }
    }

    private static boolean ipv6Loopback() {
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress("::1", 0))) {
            return probe.getLocalPort() > 0;
        } catch (Exception e) {
            return false;
        }
    }
}

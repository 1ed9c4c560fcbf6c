package io.quiclb.appliance.quic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.dropwizard.util.Duration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.quiclb.appliance.config.AesKeyHex;
import io.quiclb.appliance.config.ForwarderSettings;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.QuicLbSettings;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.config.TransportKind;
import io.quiclb.appliance.forward.Forwarder;
import io.quiclb.appliance.forward.ForwarderCounter;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.codec.ServerId;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * RFC 8999 through the appliance to a real QUIC server (Netty QUIC, quiche): a client's long header of a version the
 * server does not speak is forwarded, and the server's Version Negotiation packet (RFC 9000 §6, §17.2.1) comes back
 * echoing the client's connection IDs. The appliance also forwards such a header with a 21-octet DCID (RFC 8999
 * allows 255), but Netty QUIC 4.2.18's quiche does not answer one (seen here: no reply), so that the appliance
 * forwards DCIDs of 21 and 255 octets is asserted with a UDP backend in {@code NetworkEventsTest}.
 */
class VersionNegotiationThroughTheApplianceTest {
    private static final LbConfigEntry CONFIG = new LbConfigEntry(0, 2, 8, 1,
            AesKeyHex.parse("8f95f09245765f80256934e50c66207f"), true);

    @Test
    void shouldBringTheServersVersionNegotiationBackForAnUnknownVersion() throws Exception {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        Forwarder forwarder = null;
        try (TestQuicServer server = new TestQuicServer("s1", CONFIG.toQuicLbConfig(), ServerId.fromHex("0a01"),
                group); DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            RoutingService routing = new RoutingService(1, new QuicLbSettings(List.of(CONFIG)), List.of(
                    new ServerEntry("s1", HostPort.parse("127.0.0.1:" + server.address().getPort()),
                            Map.of(0, "0a01"), List.of())));
            forwarder = new Forwarder(new ForwarderSettings(TransportKind.AUTO, 1,
                    List.of(HostPort.parse("127.0.0.1:0")), Duration.seconds(60), 1000L, 2048), routing);
            forwarder.start();
            client.setSoTimeout(5_000);
            int answered = 0;
            for (int dcidLength : new int[] {8, 20}) {
                byte[] dcid = new byte[dcidLength];
                byte[] scid = new byte[9];
                new SplittableRandom(dcidLength).nextBytes(dcid);
                new SplittableRandom(-dcidLength).nextBytes(scid);
                ByteBuffer probe = ByteBuffer.allocate(1200);
                probe.put((byte) 0xc0).putInt(0x5a6a7a8a).put((byte) dcidLength).put(dcid).put((byte) scid.length)
                        .put(scid);
                client.send(new DatagramPacket(probe.array(), 1200, forwarder.boundAddresses().get(0)));
                byte[] buffer = new byte[2048];
                DatagramPacket reply = new DatagramPacket(buffer, buffer.length);
                client.receive(reply);
                ByteBuffer negotiation = ByteBuffer.wrap(buffer, 0, reply.getLength());
                assertEquals((byte) 0x80, (byte) (negotiation.get() & 0x80), "a long header");
                assertEquals(0, negotiation.getInt(), "version 0: Version Negotiation");
                byte[] echoedDcid = new byte[negotiation.get() & 0xff];
                negotiation.get(echoedDcid);
                byte[] echoedScid = new byte[negotiation.get() & 0xff];
                negotiation.get(echoedScid);
                assertArrayEquals(scid, echoedDcid, "its DCID is the client's SCID");
                assertArrayEquals(dcid, echoedScid, "its SCID is the client's DCID");
                answered++;
            }
            assertEquals(2, answered);
            assertEquals(2, forwarder.total(ForwarderCounter.UNKNOWN_VERSION));
        } finally {
            if (forwarder != null) {
                forwarder.stop();
            }
            group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}

package io.quiclb.appliance.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dropwizard.util.Duration;
import io.quiclb.appliance.config.ForwarderSettings;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.config.TransportKind;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A server address that leads back to the appliance's own listener (here put straight into the route table, as NAT
 * or a changed DNS name would, past the API's validation): the datagram comes back from one of the forwarder's own
 * upstream sockets and is dropped as {@code dropped.loop} on its first lap, instead of opening a new flow per lap.
 */
class ForwardingLoopTest {
    static Stream<TransportKind> transports() {
        return ForwarderRoutingTest.transports();
    }

    @ParameterizedTest
    @MethodSource("transports")
    void shouldDropADatagramThatTheApplianceSentToItself(TransportKind transport) throws Exception {
        int port;
        try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        LbConfigEntry config = new LbConfigEntry(0, 2, 6, 0, null, true);
        ServerEntry loop = new ServerEntry("loop", HostPort.parse("127.0.0.1:" + port), Map.of(0, "0a01"), List.of());
        // A short warm-up: the port picked above is bound soon after.
        ForwarderSettings settings = new ForwarderSettings(transport, 2, List.of(HostPort.parse("127.0.0.1:" + port)),
                Duration.seconds(60), 1000L, 2048, null, null, null, null, null, null, null, null,
                ForwarderFixture.WARM_UP);
        try (ForwarderFixture fixture = new ForwarderFixture(settings, List.of(config), List.of(loop));
             UdpClient client = fixture.client()) {
            byte[] cid = new CidEncoder(QuicLbConfig.builder(0, 2, 6).build(), ServerId.fromHex("0a01"), 0)
                    .nextConnectionId();
            client.send(QuicPackets.shortHeader(cid, "once round"));
            assertTrue(ForwarderFixture.await(() -> fixture.forwarder.total(ForwarderCounter.DROPPED_LOOP) == 1),
                    fixture.describe());
            // The lap ended there: the looped datagram was received once and opened no flow of its own (had it not
            // been stopped, each lap would open a flow and go round again, and dropped.loop would never move).
            assertEquals(2, fixture.forwarder.total(ForwarderCounter.RECEIVED), fixture.describe());
            assertEquals(1, fixture.forwarder.total(ForwarderCounter.FLOWS_OPENED), fixture.describe());
            assertEquals(1, fixture.forwarder.total(ForwarderCounter.ROUTED_BY_CID), fixture.describe());
            assertEquals(0, fixture.unaccounted(), fixture.describe());
        }
    }
}

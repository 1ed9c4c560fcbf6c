package io.quiclb.appliance.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.QuicLbSettings;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.decision.DecisionTables;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.profile.AwsNlb;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * CIDs of the codec's AWS NLB profile route by server ID through the appliance's own router, configured as the NLB
 * routes (plaintext config 0, 8-octet server IDs): a pod behind an NLB and behind this appliance is reached alike.
 */
class AwsNlbRoutingTest {
    private static final InetSocketAddress LISTENER = new InetSocketAddress(InetAddress.getLoopbackAddress(), 4433);
    private static final InetSocketAddress CLIENT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);

    @Test
    void shouldRouteTheProfilesCidsToTheirPods() {
        RoutingService routing = new RoutingService(1, new QuicLbSettings(List.of(new LbConfigEntry(0, 8, 10, 0,
                null, true))), List.of(
                new ServerEntry("pod-a", HostPort.parse("127.0.0.1:5001"), Map.of(0, "0001020304050607"), List.of()),
                new ServerEntry("pod-b", HostPort.parse("127.0.0.1:5002"), Map.of(0, "0001020304050608"), List.of())));
        Router router = new Router(new DecisionTables(1000), LocalAddresses.of(List.of(LISTENER)));
        for (String[] pod : new String[][] {{"AAECAwQFBgc=", "pod-a"}, {"0x0001020304050608", "pod-b"}}) {
            CidEncoder encoder = AwsNlb.encoder(pod[0].startsWith("0x") ? AwsNlb.serverId("QuicServerId", pod[0])
                    : AwsNlb.serverIdFromEnvironment(Map.of(AwsNlb.SERVER_ID_VARIABLE, pod[0])));
            for (int i = 0; i < 8; i++) {
                byte[] datagram = QuicPackets.shortHeader(encoder.nextConnectionId(), "x");
                assertEquals(ForwarderCounter.ROUTED_BY_CID, router.route(routing.current(), datagram,
                        Math.min(datagram.length, Router.HEADER_PREFIX_LENGTH), CLIENT, 0, i));
                assertEquals(pod[1], router.placement().server().name());
            }
        }
    }
}

package io.quiclb.appliance.forward;

import static io.quiclb.appliance.forward.ForwarderFixture.await;
import static io.quiclb.appliance.forward.ForwarderFixture.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dropwizard.util.Duration;
import io.quiclb.appliance.config.HealthSettings;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.config.TransportKind;
import io.quiclb.appliance.control.ControlPlane;
import io.quiclb.appliance.control.RoutingState;
import io.quiclb.appliance.control.StateStore;
import io.quiclb.appliance.health.HealthProber;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Health that fails open (Envoy's panic threshold): servers that serve QUIC but never answer the Version Negotiation
 * probe (answering is only a SHOULD, RFC 9000 §6.1) all go down, and first flights must still reach them rather than
 * be dropped as no-server-available.
 */
class FailOpenHealthTest {
    private static final LbConfigEntry CONFIG = new LbConfigEntry(0, 2, 6, 0, null, true);

    @TempDir
    Path directory;

    @Test
    void shouldSpreadFirstFlightsOverEveryServerWhenTooFewAnswerProbes() throws Exception {
        try (UdpBackend a = new UdpBackend("a"); UdpBackend b = new UdpBackend("b");
             ForwarderFixture fixture = new ForwarderFixture(TransportKind.AUTO, 1, Duration.seconds(60), 1000,
                     List.of(CONFIG), List.of(server("a", a, Map.of(0, "0a01")), server("b", b, Map.of(0, "0b02"))))) {
            List<ServerEntry> servers = List.of(server("a", a, Map.of(0, "0a01")), server("b", b, Map.of(0, "0b02")));
            RoutingState state = new RoutingState(List.of(CONFIG), servers, Set.of());
            ControlPlane control = ControlPlane.of(fixture.routing, new StateStore(directory.resolve("state.json")),
                    state, () -> { });
            HealthProber prober = new HealthProber(new HealthSettings(true, Duration.milliseconds(100),
                    Duration.milliseconds(50), 2, 2), fixture.routing, control);
            prober.start();
            try {
                assertTrue(await(() -> !control.isHealthy("a") && !control.isHealthy("b")), "probes never failed");
                assertTrue(fixture.routing.current().panic(), "no server answers: panic mode");
                Set<String> reached = new HashSet<>();
                for (int i = 0; i < 40; i++) {
                    fixture.client().send(QuicPackets.longHeader(new byte[] {(byte) 0xe7, 1, 2, 3, 4, 5, 6, (byte) i},
                            new byte[] {1}, "initial-" + i));
                }
                // The backends also receive the probes; count the first flights only.
                int delivered = 0;
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (delivered < 40 && System.nanoTime() < deadline) {
                    for (UdpBackend backend : List.of(a, b)) {
                        UdpBackend.Received received = backend.poll(5);
                        if (received != null && new String(received.payload(),
                                java.nio.charset.StandardCharsets.ISO_8859_1).contains("initial-")) {
                            delivered++;
                            reached.add(backend.name);
                        }
                    }
                }
                assertEquals(40, delivered, "first flights delivered");
                assertEquals(Set.of("a", "b"), reached, "first flights spread over every server");
                assertEquals(0, fixture.forwarder.total(ForwarderCounter.DROPPED_NO_SERVER_AVAILABLE));
            } finally {
                prober.stop();
            }
            // With panic mode off (threshold 0) the same outage drops every first flight.
            fixture.routing.setPanicThreshold(0);
            control.setHealthy("a", true);
            control.setHealthy("a", false);
            assertFalse(fixture.routing.current().panic());
            fixture.client().send(QuicPackets.longHeader(new byte[] {(byte) 0xe7, 9, 9, 9, 9, 9, 9, 9},
                    new byte[] {1}, "no panic"));
            assertTrue(await(() -> fixture.forwarder.total(ForwarderCounter.DROPPED_NO_SERVER_AVAILABLE) == 1));
        }
    }
}

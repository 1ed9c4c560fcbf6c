package io.quiclb.appliance.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dropwizard.util.Duration;
import io.quiclb.appliance.config.HealthSettings;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.control.ControlPlane;
import io.quiclb.appliance.control.RoutingState;
import io.quiclb.appliance.control.StateStore;
import io.quiclb.appliance.route.RoutingService;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Health transitions against a real UDP responder that answers with Version Negotiation, then stops, then returns. */
class HealthProberTest {
    @TempDir
    Path directory;

    /** Answers every QUIC long header with a Version Negotiation packet (RFC 9000 §17.2.1) listing version 1. */
    static final class VersionNegotiator implements AutoCloseable {
        final DatagramSocket socket;
        final Thread thread;

        VersionNegotiator(int port) throws SocketException {
            socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            thread = new Thread(() -> {
                byte[] buffer = new byte[2048];
                while (!socket.isClosed()) {
                    DatagramPacket probe = new DatagramPacket(buffer, buffer.length);
                    try {
                        socket.receive(probe);
                        int dcidLength = buffer[5] & 0xff;
                        int scidLength = buffer[6 + dcidLength] & 0xff;
                        byte[] reply = new byte[7 + dcidLength + scidLength + 4];
                        reply[0] = (byte) 0xc5;
                        reply[5] = (byte) scidLength;
                        System.arraycopy(buffer, 7 + dcidLength, reply, 6, scidLength);
                        reply[6 + scidLength] = (byte) dcidLength;
                        System.arraycopy(buffer, 6, reply, 7 + scidLength, dcidLength);
                        reply[reply.length - 1] = 1;
                        socket.send(new DatagramPacket(reply, reply.length, probe.getSocketAddress()));
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            }, "version-negotiator");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() {
            socket.close();
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void shouldTakeAServerDownAfterUnansweredProbesAndBringItBack() throws Exception {
        VersionNegotiator responder = new VersionNegotiator(0);
        int port = responder.port();
        try (VersionNegotiator other = new VersionNegotiator(0)) {
            RoutingState state = new RoutingState(List.of(new LbConfigEntry(0, 2, 6, 0, null, true)), List.of(
                    new ServerEntry("a", HostPort.parse("127.0.0.1:" + port), Map.of(0, "0a01"), List.of()),
                    new ServerEntry("b", HostPort.parse("127.0.0.1:" + other.port()), Map.of(0, "0b02"), List.of())),
                    Set.of());
            RoutingService routing = new RoutingService(1, state);
            ControlPlane control = ControlPlane.of(routing, new StateStore(directory.resolve("s.json")), state, () -> { });
            HealthProber prober = new HealthProber(new HealthSettings(true, Duration.milliseconds(100),
                    Duration.milliseconds(50), 3, 2), routing, control);
            prober.start();
            try {
                assertTrue(await(() -> prober.isHealthy(new InetSocketAddress("127.0.0.1", port))));
                assertTrue(control.isHealthy("a"));
                responder.close();
                assertTrue(await(() -> !control.isHealthy("a")), "a never went down");
                assertFalse(routing.current().takesNewFlows(routing.current().servers().get(0)));
                assertEquals(1, routing.current().healthyServers());
                assertTrue(control.isHealthy("b"));
                // Still routable by CID while down: the server ID index keeps it.
                assertEquals("a", routing.current().server(0, new byte[] {0x0a, 0x01}, 0, 2).name());
                responder = new VersionNegotiator(port);
                assertTrue(await(() -> control.isHealthy("a")), "a never came back");
                assertTrue(routing.current().takesNewFlows(routing.current().servers().get(0)));
            } finally {
                prober.stop();
            }
        } finally {
            responder.close();
        }
    }

    @Test
    void shouldGiveNoNewFirstFlightsToADownThreadSocketAndTakeItBackWhenItAnswers() throws Exception {
        VersionNegotiator address = new VersionNegotiator(0);
        VersionNegotiator thread0 = new VersionNegotiator(0);
        VersionNegotiator thread1 = new VersionNegotiator(0);
        int thread1Port = thread1.port();
        try {
            RoutingState state = new RoutingState(List.of(new LbConfigEntry(0, 2, 6, 1, null, true)), List.of(
                    new ServerEntry("a", HostPort.parse("127.0.0.1:" + address.port()), Map.of(0, "0a01"),
                            List.of(HostPort.parse("127.0.0.1:" + thread0.port()),
                                    HostPort.parse("127.0.0.1:" + thread1Port)))), Set.of());
            RoutingService routing = new RoutingService(1, state);
            ControlPlane control = ControlPlane.of(routing, new StateStore(directory.resolve("s.json")), state, () -> { });
            HealthProber prober = new HealthProber(new HealthSettings(true, Duration.milliseconds(100),
                    Duration.milliseconds(50), 3, 2), routing, control);
            prober.start();
            try {
                assertEquals(Set.of(thread0.port(), thread1Port), firstFlightPorts(routing));
                thread1.close();
                assertTrue(await(() -> firstFlightPorts(routing).equals(Set.of(thread0.port()))),
                        "thread socket 1 still takes first flights");
                assertTrue(control.isHealthy("a"), "the server stays up: its address answers");
                thread1 = new VersionNegotiator(thread1Port);
                assertTrue(await(() -> firstFlightPorts(routing).size() == 2), "thread socket 1 never came back");
            } finally {
                prober.stop();
            }
        } finally {
            address.close();
            thread0.close();
            thread1.close();
        }
    }

    /** @return the ports that 1000 flow hashes place first flights on, on the only server */
    private static Set<Integer> firstFlightPorts(RoutingService routing) {
        var table = routing.current();
        Set<Integer> ports = new java.util.HashSet<>();
        for (int hash = 0; hash < 1000; hash++) {
            ports.add(table.firstFlight(table.servers().get(0), hash * 0x61c88647).target().getPort());
        }
        return ports;
    }

    @Test
    void shouldRecognizeOnlyTheVersionNegotiationThatAnswersTheProbe() {
        byte[] scid = {1, 2, 3, 4, 5, 6, 7, 8};
        byte[] probe = VersionNegotiationProbe.probe(new byte[8], scid);
        assertEquals(1200, probe.length);
        assertEquals(0x1a, probe[1]);
        byte[] reply = {(byte) 0x80, 0, 0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 1};
        assertTrue(VersionNegotiationProbe.answers(reply, reply.length, scid));
        reply[13] = 9;
        assertFalse(VersionNegotiationProbe.answers(reply, reply.length, scid));
        byte[] notVn = {(byte) 0xc0, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8};
        assertFalse(VersionNegotiationProbe.answers(notVn, notVn.length, scid));
    }

    private static boolean await(BooleanSupplier condition) throws InterruptedException {
        return io.quiclb.appliance.Await.until(condition);
    }
}

package io.quiclb.appliance.quic;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dropwizard.util.Duration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.quiclb.appliance.Await;
import io.quiclb.appliance.config.AesKeyHex;
import io.quiclb.appliance.config.HealthSettings;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.ProbeKind;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.control.ControlPlane;
import io.quiclb.appliance.control.RoutingState;
import io.quiclb.appliance.control.StateStore;
import io.quiclb.appliance.health.HealthProber;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.codec.ServerId;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-server probe kinds against real peers: a QUIC v1 handshake probe against a Netty QUIC server (up) and against a
 * socket that never answers (down), and {@code none} for a server that answers nothing (up, never probed).
 */
class ProbeKindsTest {
    private static final LbConfigEntry CONFIG = new LbConfigEntry(0, 2, 8, 1,
            AesKeyHex.parse("8f95f09245765f80256934e50c66207f"), true);

    @TempDir
    Path directory;

    @Test
    void shouldProbeEachServerTheWayItAsks() throws Exception {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (TestQuicServer quic = new TestQuicServer("quic", CONFIG.toQuicLbConfig(), ServerId.fromHex("0a01"),
                group);
             DatagramSocket silent = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
             DatagramSocket quiet = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            RoutingState state = new RoutingState(List.of(CONFIG), List.of(
                    new ServerEntry("quic", HostPort.parse("127.0.0.1:" + quic.address().getPort()), Map.of(0, "0a01"),
                            List.of(), ProbeKind.HANDSHAKE),
                    new ServerEntry("silent", HostPort.parse("127.0.0.1:" + silent.getLocalPort()), Map.of(0, "0a02"),
                            List.of(), ProbeKind.HANDSHAKE),
                    new ServerEntry("unprobed", HostPort.parse("127.0.0.1:" + quiet.getLocalPort()), Map.of(0, "0a03"),
                            List.of(), ProbeKind.NONE)), Set.of());
            RoutingService routing = new RoutingService(1, state);
            ControlPlane control = ControlPlane.of(routing, new StateStore(directory.resolve("s.json")), state,
                    () -> { });
            HealthProber prober = new HealthProber(new HealthSettings(true, Duration.milliseconds(200),
                    Duration.milliseconds(150), 2, 2, null, TestQuicServer.ALPN), routing, control);
            prober.start();
            try {
                assertTrue(Await.until(() -> !control.isHealthy("silent")), "a handshake that never completes");
                // Two more rounds: the handshakes with the real server keep completing, and nothing probes the third.
                long rounds = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(600);
                while (System.nanoTime() < rounds) {
                    assertTrue(control.isHealthy("quic"), "the QUIC server completes every handshake");
                    assertTrue(control.isHealthy("unprobed"));
                    Thread.sleep(50);
                }
                assertFalse(control.isHealthy("silent"));
                assertTrue(prober.isHealthy(new InetSocketAddress("127.0.0.1", quiet.getLocalPort())));
            } finally {
                prober.stop();
            }
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}

package io.quiclb.appliance.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dropwizard.util.Duration;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.quiclb.appliance.config.AesKeyHex;
import io.quiclb.appliance.config.ForwarderSettings;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.QuicLbSettings;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.config.TransportKind;
import io.quiclb.appliance.forward.Forwarder;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.codec.FirstOctet;
import io.quiclb.codec.ServerId;
import io.quiclb.codec.netty.QuicLbConnectionIdGenerator;
import io.quiclb.codec.netty.RotationDrain;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ngtcp2's HTTP/3 client ({@code gtlsclient}, a QUIC stack in C) through the appliance to a Netty HTTP/3 server
 * whose connections a {@link RotationDrain} tracks (draft-21 §3.1). The client holds its connection open across a
 * config rotation without retiring its CIDs, so the drain closes it within the pace with H3_NO_ERROR (RFC 9114 §8.1);
 * the next connection is on the new configuration from its first short header, and the appliance routes nothing
 * by the old configuration after the pace.
 *
 * <p>Skipped without the client, except in CI ({@link Gtlsclient#requirePresent}).
 */
class Ngtcp2RotationTest {
    private static final LbConfigEntry OLD = new LbConfigEntry(0, 2, 6, 1,
            AesKeyHex.parse("8f95f09245765f80256934e50c66207f"), true);
    private static final LbConfigEntry NEW = new LbConfigEntry(1, 2, 6, 1,
            AesKeyHex.parse("fdf726a9893ec05c0632d3956680baf0"), true);
    private static final java.time.Duration PACE = java.time.Duration.ofSeconds(1);
    private static final int H3_NO_ERROR = 0x100;

    @Test
    void shouldCloseAnNgtcp2ClientLeftOnTheOldConfigWithinThePace(@TempDir Path directory) throws Exception {
        Gtlsclient.requirePresent();
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        QuicLbConnectionIdGenerator ids = new QuicLbConnectionIdGenerator(OLD.toQuicLbConfig(),
                ServerId.fromHex("0a01"), 0);
        RotationDrain rotation = new RotationDrain(List.of(ids), PACE,
                RotationDrain.close(H3_NO_ERROR, "QUIC-LB config rotation"));
        Channel server = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                .handler(DemoBackends.codec("s1", 0, ids, DemoBackends.tls(), rotation.tracker()))
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        HostPort serverAddress = HostPort.parse("127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort());
        RoutingService routing = new RoutingService(1, new QuicLbSettings(List.of(OLD)),
                List.of(new ServerEntry("s1", serverAddress, Map.of(0, "0a01"), List.of())));
        Forwarder forwarder = new Forwarder(new ForwarderSettings(TransportKind.EPOLL, 1,
                List.of(HostPort.parse("127.0.0.1:0")), Duration.seconds(60), 1000L, 2048), routing);
        forwarder.start();
        try {
            int port = forwarder.boundAddresses().get(0).getPort();
            // The first client opens its connection and waits 5 s before its request: the rotation falls in between.
            Path firstLog = directory.resolve("first.log");
            Process first = client(directory, port, firstLog, "--delay-stream=5s", "https://localhost/first");
            try {
                for (int i = 0; i < 200 && rotation.live() == 0; i++) {
                    Thread.sleep(25);
                }
                assertEquals(1, rotation.live(), "the first client's connection is up: " + Files.readString(firstLog));
                routing.publish(new QuicLbSettings(List.of(OLD, NEW)),
                        List.of(new ServerEntry("s1", serverAddress, Map.of(0, "0a01", 1, "0b01"), List.of())));
                long started = System.nanoTime();
                assertEquals(1, rotation.rotate(NEW.toQuicLbConfig(), ServerId.fromHex("0b01")));
                assertTrue(first.waitFor(PACE.toSeconds() + 10, TimeUnit.SECONDS), "the first client ended");
                long tookMillis = (System.nanoTime() - started) / 1_000_000;
                String firstOutput = Files.readString(firstLog);
                assertEquals(1, rotation.drained(), firstOutput);
                assertTrue(tookMillis < 5_000, "closed by the drain (" + tookMillis + " ms), before the request");
                assertTrue(firstOutput.contains("CONNECTION_CLOSE") && firstOutput.contains("0x100"),
                        "the client received H3_NO_ERROR: " + Gtlsclient.tail(firstOutput));
                assertEquals(List.of(0), configIds(firstOutput), "the first connection was on the old config");
            } finally {
                first.destroyForcibly();
            }

            // The client reconnects: the new connection is on the new configuration, and the old one routes nothing.
            long oldRouted = forwarder.routedByConfig(0);
            Path downloads = Files.createDirectory(directory.resolve("downloads"));
            Path secondLog = directory.resolve("second.log");
            Process second = client(directory, port, secondLog, "--download=" + downloads, "https://localhost/second");
            try {
                assertTrue(second.waitFor(30, TimeUnit.SECONDS), "the second client ended");
            } finally {
                second.destroyForcibly();
            }
            String secondOutput = Files.readString(secondLog);
            assertEquals(0, second.exitValue(), Gtlsclient.tail(secondOutput));
            assertEquals(List.of(1), configIds(secondOutput), "every short header to a new-config CID");
            assertTrue(Files.readString(downloads.resolve("second")).startsWith("server=s1 "));
            assertEquals(oldRouted, forwarder.routedByConfig(0), "nothing routed by the old config after the pace");
            assertTrue(forwarder.routedByConfig(1) > 0);
        } finally {
            forwarder.stop();
            server.close().syncUninterruptibly();
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static Process client(Path directory, int port, Path log, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of(Gtlsclient.PATH.toString(), "--exit-on-all-streams-close",
                "--timeout=10s"));
        command.addAll(List.of(arguments).subList(0, arguments.length - 1));
        command.addAll(List.of("127.0.0.1", String.valueOf(port), arguments[arguments.length - 1]));
        return new ProcessBuilder(command).directory(directory.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** @return the config IDs of the DCIDs of the client's short headers, each once, in order */
    private static List<Integer> configIds(String output) {
        List<Integer> ids = new ArrayList<>();
        for (String dcid : Gtlsclient.shortHeaderDcids(output)) {
            int id = FirstOctet.configId(Integer.parseInt(dcid.substring(0, 2), 16));
            if (!ids.contains(id)) {
                ids.add(id);
            }
        }
        return ids;
    }
}

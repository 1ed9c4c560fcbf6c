package io.quiclb.appliance.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dropwizard.util.Duration;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.quiclb.appliance.config.AesKeyHex;
import io.quiclb.appliance.config.ForwarderSettings;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.QuicLbSettings;
import io.quiclb.appliance.config.TransportKind;
import io.quiclb.appliance.route.RouteTable;
import io.quiclb.appliance.route.RoutingService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The data-path warm-up ({@link DataPathWarmUp}) runs every path it promises on a real event loop and real
 * sockets, closes everything it opened, and leaves the forwarder's own counters untouched.
 */
class DataPathWarmUpTest {
    private static final AesKeyHex KEY = AesKeyHex.parse("8f95f09245765f80256934e50c66207f");
    /**
     * A four-pass config (3 + 4 octets, odd), a plaintext one with a thread ID, and a plaintext one with the
     * four-pass one's server ID length (whose server IDs must then differ from it: draft-21 §9.7).
     */
    private static final List<LbConfigEntry> CONFIGS = List.of(new LbConfigEntry(0, 3, 4, 0, KEY, null),
            new LbConfigEntry(1, 2, 5, 1, null, null), new LbConfigEntry(2, 3, 4, 0, null, null));
    /** /proc/net/udp's local address 127.0.0.1, and /proc/net/udp6's ::ffff:127.0.0.1 (a dual-stack socket). */
    private static final String LOOPBACK_HEX = "0100007F:";
    private static final String MAPPED_LOOPBACK_HEX = "0000000000000000FFFF00000100007F:";

    @Test
    void shouldRunEveryPathAndCloseEverythingItOpened() throws Exception {
        RouteTable live = new RoutingService(1, new QuicLbSettings(CONFIGS), List.of()).current();
        Transport transport = Transport.select(TransportKind.AUTO);
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, transport.ioHandlerFactory());
        try {
            EventLoop loop = group.next();
            Set<String> before = inetSockets().keySet();
            CompletableFuture<DataPathWarmUp.Result> running = CompletableFuture.supplyAsync(() -> {
                try {
                    return DataPathWarmUp.run(loop, transport, live, new ListenerOpener.Options(2048, false, false),
                            transport.supportsGso(), TimeUnit.MILLISECONDS.toNanos(1500));
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            });
            Set<String> opened = new TreeSet<>();
            for (int i = 0; i < 200 && !running.isDone(); i++) {
                inetSockets().forEach((inode, line) -> {
                    if (!before.contains(inode)) {
                        opened.add(line);
                    }
                });
                Thread.sleep(20);
            }
            DataPathWarmUp.Result result = running.get(10, TimeUnit.SECONDS);
            assertTrue(opened.size() > 2, "saw the warm-up's sockets: " + opened);
            for (String line : opened) {
                String local = line.split("\\s+")[2];
                assertTrue(local.startsWith(LOOPBACK_HEX) || local.startsWith(MAPPED_LOOPBACK_HEX),
                        "a warm-up socket not on 127.0.0.1: " + line);
            }
            String counters = result.describe();
            assertTrue(result.count(ForwarderCounter.ROUTED_BY_CID) > 0, counters);
            assertTrue(result.count(ForwarderCounter.ROUTED_BY_TABLE) > 0, counters);
            assertTrue(result.count(ForwarderCounter.ROUTED_BY_FALLBACK) > 0, counters);
            assertTrue(result.count(ForwarderCounter.DROPPED_TOO_SHORT) > 0, counters);
            assertTrue(result.count(ForwarderCounter.UNROUTABLE_SHORT_CONFIG_ID_7) > 0, counters);
            assertTrue(result.count(ForwarderCounter.REPLIES) > 0, counters);
            assertTrue(result.count(ForwarderCounter.SERVER_CIDS_LEARNED) > 0, counters);
            assertTrue(result.count(ForwarderCounter.FLOWS_CONFIRMED) > 0, counters);
            assertTrue(result.count(ForwarderCounter.FLOWS_EXPIRED)
                    + result.count(ForwarderCounter.FLOWS_EXPIRED_UNCONFIRMED) > 0, counters);
            assertTrue(result.answered() > 0, "no reply reached a client: " + counters);
            if (transport.supportsGso()) {
                assertTrue(result.count(ForwarderCounter.GSO_SENDS) > 0, counters);
            }
            assertEquals(0, result.count(ForwarderCounter.DROPPED_FLOW_OPEN_FAILED), counters);
            assertEquals(0, result.count(ForwarderCounter.DROPPED_INTERNAL_ERROR), counters);
            assertTrue(io.quiclb.appliance.Await.until(() -> before.containsAll(inetSockets().keySet())),
                    () -> "sockets the warm-up left open: " + inetSockets().entrySet().stream()
                            .filter(e -> !before.contains(e.getKey())).map(Map.Entry::getValue).toList());
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldLeaveTheForwardersOwnCountersAtZero() throws Exception {
        UdpBackend backend = new UdpBackend("a");
        ForwarderSettings settings = new ForwarderSettings(TransportKind.AUTO, 2,
                List.of(HostPort.parse("127.0.0.1:0")), Duration.seconds(60), 10_000L, 2048, null, null, null, null,
                null, null, null, null, Duration.milliseconds(500));
        try (backend; ForwarderFixture fixture = new ForwarderFixture(settings, CONFIGS,
                List.of(ForwarderFixture.server("a", backend, Map.of(0, "0a0b0c"))))) {
            DataPathWarmUp.Result result = fixture.forwarder.warmUpResult();
            assertNotNull(result, "the warm-up did not run");
            assertTrue(result.count(ForwarderCounter.RECEIVED) > 0, result.describe());
            assertEquals("", fixture.describe(), "the forwarder counted the warm-up's datagrams");
            assertEquals(0, fixture.forwarder.flows());
            assertEquals(0, fixture.forwarder.upstreamSockets());
            assertEquals(0, fixture.routing.current().forwardedTo("a"));
        }
    }

    @Test
    void shouldNotRunWhenTurnedOff() throws Exception {
        ForwarderSettings settings = new ForwarderSettings(TransportKind.AUTO, 1,
                List.of(HostPort.parse("127.0.0.1:0")), Duration.seconds(60), 10_000L, 2048, null, null, null, null,
                null, null, null, null, Duration.milliseconds(0));
        try (ForwarderFixture fixture = new ForwarderFixture(settings, CONFIGS, List.of())) {
            assertEquals(null, fixture.forwarder.warmUpResult());
        }
    }

    /**
     * @return the UDP and TCP sockets this process holds open, by inode, each with its /proc/net line (the JDK keeps
     *         a Unix socket of its own once a channel was closed, which is not counted)
     */
    private static Map<String, String> inetSockets() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            Set<String> inodes = fds.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    return ""; // closed while listed
                }
            }).filter(link -> link.startsWith("socket:[")).map(link -> link.substring(8, link.length() - 1))
                    .collect(Collectors.toSet());
            Map<String, String> sockets = new TreeMap<>();
            for (String table : List.of("udp", "udp6", "tcp", "tcp6")) {
                for (String line : Files.readAllLines(Path.of("/proc/net/" + table))) {
                    String[] fields = line.trim().split("\\s+");
                    if (fields.length > 9 && inodes.contains(fields[9])) {
                        sockets.put(fields[9], table + ": " + line.trim());
                    }
                }
            }
            return sockets;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

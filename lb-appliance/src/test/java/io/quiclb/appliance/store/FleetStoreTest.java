package io.quiclb.appliance.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.DropwizardTestSupport;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.util.Duration;
import io.quiclb.appliance.QuicLbApplication;
import io.quiclb.appliance.QuicLbConfiguration;
import io.quiclb.appliance.config.AesKeyHex;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.config.StoreSettings;
import io.quiclb.appliance.control.RoutingState;
import io.quiclb.appliance.control.StaleRevisionException;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.ServerId;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three appliances share one routing state in a real etcd ({@code store.type: etcd}): a change made through one
 * routes on the others at once; a write based on an old revision loses; with etcd stopped, traffic flows on and
 * writes answer 503 changing nothing; once etcd is back, a write through any appliance reaches all of them.
 */
class FleetStoreTest {
    private static final String ADMIN = "admin-token-0123456789";
    private static final LbConfigEntry CONFIG0 = new LbConfigEntry(0, 2, 6, 1,
            AesKeyHex.parse("8f95f09245765f80256934e50c66207f"), true);
    private static final LbConfigEntry CONFIG1 = new LbConfigEntry(1, 2, 6, 0,
            AesKeyHex.parse("fdf726a9893ec05c0632d3956680baf0"), true);
    /** A safety bound on convergence, well above what the watch takes (milliseconds): the test prints that. */
    private static final long CONVERGE_NANOS = TimeUnit.SECONDS.toNanos(10);

    @TempDir
    Path directory;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(5)).build();

    @Test
    void shouldRouteAlikeAcrossTheFleetAndCarryOnWithoutEtcd() throws Exception {
        try (EtcdServer etcd = new EtcdServer(directory); Echo echo = new Echo()) {
            List<DropwizardTestSupport<QuicLbConfiguration>> fleet = new ArrayList<>();
            List<InetSocketAddress> listeners = new ArrayList<>();
            try {
                for (String name : List.of("a", "b", "c")) {
                    InetSocketAddress listener = new InetSocketAddress("127.0.0.1", freeUdpPort());
                    DropwizardTestSupport<QuicLbConfiguration> app = appliance(name, etcd, listener);
                    app.before();
                    fleet.add(app);
                    listeners.add(listener);
                }
                // A change through A: a server and a new config; B and C route its CIDs.
                assertEquals(200, call(fleet.get(0), "PUT", "/api/v1/servers/echo", "{\"address\":\"127.0.0.1:"
                        + echo.port() + "\",\"serverIds\":{\"0\":\"0b01\"},\"probe\":\"none\"}").statusCode());
                assertEquals(200, call(fleet.get(0), "PUT", "/api/v1/configs/1", "{\"serverIdLength\":2,"
                        + "\"nonceLength\":6,\"key\":\"fdf726a9893ec05c0632d3956680baf0\"}").statusCode());
                long changed = System.nanoTime();
                assertEquals(200, call(fleet.get(0), "PATCH", "/api/v1/servers/echo",
                        "{\"serverIds\":{\"0\":\"0b01\",\"1\":\"0c01\"}}").statusCode());
                for (int i = 1; i < 3; i++) {
                    InetSocketAddress listener = listeners.get(i);
                    assertTrue(until(() -> echoed(listener, CONFIG1, "0c01")), "appliance " + i + " routes config 1");
                    System.out.printf("appliance %d routed the new config %d ms after the write%n", i,
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - changed));
                }

                etcd.stop();
                for (InetSocketAddress listener : listeners) {
                    assertTrue(echoed(listener, CONFIG1, "0c01"), "traffic flows without etcd: " + listener);
                }
                HttpResponse<String> refused = call(fleet.get(1), "PUT", "/api/v1/servers/lost",
                        "{\"address\":\"127.0.0.1:9\",\"serverIds\":{\"0\":\"0d01\"},\"probe\":\"none\"}");
                assertEquals(503, refused.statusCode(), refused.body());
                assertTrue(refused.body().contains("nothing written"), refused.body());
                assertEquals(404, call(fleet.get(1), "GET", "/api/v1/servers/lost", null).statusCode());

                etcd.start();
                // The client reconnects on its own; a write through C once it has.
                assertTrue(until(() -> status(call(fleet.get(2), "POST", "/api/v1/servers/echo/drain", null)) == 200),
                        "a write through C after etcd came back");
                for (DropwizardTestSupport<QuicLbConfiguration> app : fleet) {
                    assertTrue(until(() -> call(app, "GET", "/api/v1/servers/echo", null).body()
                            .contains("\"draining\":true")), "every appliance applies the write made after the outage");
                    assertEquals(404, call(app, "GET", "/api/v1/servers/lost", null).statusCode(),
                            "the write refused during the outage is nowhere");
                }
            } finally {
                for (DropwizardTestSupport<QuicLbConfiguration> app : fleet) {
                    app.after();
                }
            }
        }
    }

    @Test
    void shouldRefuseAWriteBasedOnAnOldRevision() throws Exception {
        try (EtcdServer etcd = new EtcdServer(directory)) {
            StoreSettings settings = new StoreSettings("etcd", List.of(etcd.endpoint()), "/race", null, null,
                    Duration.seconds(2), Duration.seconds(5));
            RoutingState seeds = new RoutingState(List.of(CONFIG0), List.of(), Set.of());
            try (EtcdStateStore a = EtcdStateStore.connect(settings); EtcdStateStore b = EtcdStateStore.connect(settings)) {
                long read = a.loadOrSeed(seeds).revision();
                assertEquals(read, b.loadOrSeed(seeds).revision(), "the second appliance starts from the first's seed");
                RoutingState one = new RoutingState(List.of(CONFIG0), List.of(server("one", "0a01")), Set.of());
                RoutingState two = new RoutingState(List.of(CONFIG0), List.of(server("two", "0a02")), Set.of());
                long won = a.write(read, one);
                StaleRevisionException lost = assertThrows(StaleRevisionException.class, () -> b.write(read, two));
                assertEquals(won, lost.current());
                assertEquals(List.of("one"), b.load().orElseThrow().state().servers().stream().map(ServerEntry::name)
                        .toList(), "the losing write changed nothing");
            }
        }
    }

    /** The API tests' config.yml with a {@code store} section for the fleet's etcd. */
    private DropwizardTestSupport<QuicLbConfiguration> appliance(String name, EtcdServer etcd,
                                                                 InetSocketAddress listener) throws IOException {
        Path config = directory.resolve(name + ".yml");
        java.nio.file.Files.writeString(config, java.nio.file.Files.readString(Path.of(
                ResourceHelpers.resourceFilePath("api-test.yml"))) + "store:\n  type: etcd\n  endpoints: [\""
                + etcd.endpoint() + "\"]\n  prefix: /fleet\n  reconcileEvery: 1s\n");
        return new DropwizardTestSupport<>(QuicLbApplication.class, config.toString(),
                ConfigOverride.config("api.stateFile", directory.resolve(name + "-state.json").toString()),
                ConfigOverride.config("forwarder.listeners[0]", "127.0.0.1:" + listener.getPort()));
    }

    private static ServerEntry server(String name, String serverId) {
        return new ServerEntry(name, HostPort.parse("127.0.0.1:9"), Map.of(0, serverId), List.of());
    }

    private HttpResponse<String> call(DropwizardTestSupport<QuicLbConfiguration> app, String method, String path,
                                      String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.getLocalPort() + path))
                .header("Authorization", "Bearer " + ADMIN).timeout(java.time.Duration.ofSeconds(10));
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", method.equals("PATCH") ? "application/merge-patch+json"
                    : "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int status(HttpResponse<String> response) {
        return response.statusCode();
    }

    /** A short header with a CID of {@code serverId} in {@code config} comes back echoed (3 tries, 1 s each). */
    private static boolean echoed(InetSocketAddress appliance, LbConfigEntry config, String serverId)
            throws IOException {
        byte[] cid = new CidEncoder(config.toQuicLbConfig(), ServerId.fromHex(serverId), 0).nextConnectionId();
        byte[] datagram = new byte[1 + cid.length + 32];
        datagram[0] = 0x43;
        System.arraycopy(cid, 0, datagram, 1, cid.length);
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            client.setSoTimeout(1_000);
            for (int attempt = 0; attempt < 3; attempt++) {
                client.send(new DatagramPacket(datagram, datagram.length, appliance));
                try {
                    client.receive(new DatagramPacket(new byte[2048], 2048));
                    return true;
                } catch (SocketTimeoutException e) {
                    // unroutable yet, or lost: once more
                }
            }
        }
        return false;
    }

    /** Polls every 50 ms until the condition holds or {@link #CONVERGE_NANOS} passed. */
    private static boolean until(Check check) throws Exception {
        long deadline = System.nanoTime() + CONVERGE_NANOS;
        while (System.nanoTime() - deadline < 0) {
            if (check.holds()) {
                return true;
            }
            Thread.sleep(50);
        }
        return check.holds();
    }

    @FunctionalInterface
    private interface Check {
        boolean holds() throws Exception;
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            return probe.getLocalPort();
        }
    }

    /** A UDP echo on 127.0.0.1, on a thread of its own, until closed. */
    private static final class Echo implements AutoCloseable {
        private final DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        private final Thread thread;

        Echo() throws IOException {
            thread = new Thread(() -> {
                byte[] buffer = new byte[2048];
                while (!socket.isClosed()) {
                    try {
                        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                        socket.receive(packet);
                        socket.send(new DatagramPacket(packet.getData(), packet.getLength(),
                                packet.getSocketAddress()));
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "echo");
            thread.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() {
            socket.close();
            try {
                thread.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

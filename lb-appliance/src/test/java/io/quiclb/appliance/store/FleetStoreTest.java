package io.quiclb.appliance.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quiclb.appliance.EchoBackend;
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
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
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
        try (EtcdServer etcd = new EtcdServer(directory); EchoBackend echo = new EchoBackend()) {
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
                long written = revision(fleet.get(0));
                for (int i = 1; i < 3; i++) {
                    DropwizardTestSupport<QuicLbConfiguration> app = fleet.get(i);
                    assertTrue(until(() -> revision(app) >= written), "appliance " + i + " applies the revision");
                    System.out.printf("appliance %d applied the change %d ms after the write%n", i,
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - changed));
                    InetSocketAddress listener = listeners.get(i);
                    assertTrue(until(() -> echoed(listener, CONFIG1, "0c01")), "appliance " + i + " routes config 1");
                }

                // The fleet view: three live appliances, none lagging.
                assertTrue(until(() -> call(fleet.get(1), "GET", "/api/v1/fleet", null).body()
                        .matches(".*\"id\":\"a\".*\"id\":\"b\".*\"id\":\"c\".*")), "every appliance registered");
                assertTrue(until(() -> !call(fleet.get(1), "GET", "/api/v1/fleet", null).body()
                        .contains("\"lagging\":true")), "none lags");

                // A rotation while one appliance lags (an entry that applied an old revision): the encoder endpoint
                // offers the new config only once it has caught up (draft-21 §3.1).
                try (io.etcd.jetcd.Client client = io.etcd.jetcd.Client.builder().endpoints(etcd.endpoint()).build()) {
                    long revision = revision(fleet.get(0));
                    long lease = client.getLeaseClient().grant(60).get(5, TimeUnit.SECONDS).getID();
                    lagging(client, lease, revision);
                    assertEquals(200, call(fleet.get(0), "PUT", "/api/v1/configs/2", "{\"serverIdLength\":2,"
                            + "\"nonceLength\":6,\"key\":\"00112233445566778899aabbccddeeff\"}").statusCode());
                    assertEquals(200, call(fleet.get(0), "PATCH", "/api/v1/servers/echo",
                            "{\"serverIds\":{\"2\":\"0e01\"}}").statusCode());
                    for (DropwizardTestSupport<QuicLbConfiguration> app : fleet) {
                        assertTrue(until(() -> revision(app) == revision(fleet.get(0))), "every real one applied it");
                    }
                    assertTrue(call(fleet.get(1), "GET", "/api/v1/fleet", null).body()
                            .matches(".*\"id\":\"lagging\"[^}]*\"lagging\":true.*"), "the lagging one shows");
                    assertEquals(List.of(0, 1), configIds(call(fleet.get(2), "GET", "/api/v1/servers/echo/encoder",
                            null).body()), "config 2 withheld while an appliance has not applied it");
                    lagging(client, lease, revision(fleet.get(0)));
                    // The real appliances report the revision they applied within a second.
                    assertTrue(until(() -> configIds(call(fleet.get(2), "GET", "/api/v1/servers/echo/encoder", null)
                            .body()).equals(List.of(0, 1, 2))), "offered once every appliance applied it");
                    client.getLeaseClient().revoke(lease).get(5, TimeUnit.SECONDS);
                }

                // A server registers through B: it gets the lowest free server ID in every config, and its CIDs
                // route on A and C.
                try (EchoBackend registered = new EchoBackend()) {
                    HttpResponse<String> reply = call(fleet.get(1), "POST", "/api/v1/servers", "{\"name\":\"reg\","
                            + "\"address\":\"127.0.0.1:" + registered.port() + "\",\"probe\":\"none\"}");
                    assertEquals(201, reply.statusCode(), reply.body());
                    // In each config the lowest server ID no server has in a config of that length, this one's
                    // picks included (all three configs have 2-octet server IDs).
                    for (String id : List.of("\"0\":\"0001\"", "\"1\":\"0002\"", "\"2\":\"0003\"")) {
                        assertTrue(reply.body().contains(id), "the lowest free server IDs: " + reply.body());
                    }
                    HttpResponse<String> second = call(fleet.get(2), "POST", "/api/v1/servers", "{\"name\":\"reg2\","
                            + "\"address\":\"127.0.0.1:7\",\"probe\":\"none\"}");
                    if (second.statusCode() == 409) { // C had not applied B's registration yet: register again
                        assertTrue(until(() -> revision(fleet.get(2)) == revision(fleet.get(1))));
                        second = call(fleet.get(2), "POST", "/api/v1/servers", "{\"name\":\"reg2\","
                                + "\"address\":\"127.0.0.1:7\",\"probe\":\"none\"}");
                    }
                    assertEquals(201, second.statusCode(), second.body());
                    assertTrue(second.body().contains("\"0\":\"0004\""), "unique: " + second.body());
                    for (int i : new int[] {0, 2}) {
                        InetSocketAddress listener = listeners.get(i);
                        assertTrue(until(() -> echoed(listener, CONFIG0, "0001")), "appliance " + i
                                + " routes the registered server");
                    }
                    assertTrue(registered.received() >= 2, "the registered server got the datagrams");
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
                    Duration.seconds(2), Duration.seconds(5), "race", null, null, null);
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

    @Test
    void shouldReachEtcdOverTlsWithAClientCertificate() throws Exception {
        Path pki = TestPki.write(directory.resolve("pki"));
        try (EtcdServer etcd = new EtcdServer(directory, pki)) {
            assertTrue(etcd.endpoint().startsWith("https://"));
            RoutingState seeds = new RoutingState(List.of(CONFIG0), List.of(), Set.of());
            try (EtcdStateStore store = EtcdStateStore.connect(tls(etcd, pki, true))) {
                long seeded = store.loadOrSeed(seeds).revision();
                RoutingState one = new RoutingState(List.of(CONFIG0), List.of(server("one", "0a01")), Set.of());
                long written = store.write(seeded, one);
                assertEquals(new EtcdStateStore.Stored(written, one), store.load().orElseThrow());
            }
            // etcd requires a client certificate (--client-cert-auth): without one, nothing is read.
            try (EtcdStateStore refused = EtcdStateStore.connect(tls(etcd, pki, false))) {
                IOException e = assertThrows(IOException.class, refused::load);
                assertTrue(e.getMessage().startsWith("etcd /tls/state at " + etcd.endpoint() + ": read"),
                        e.getMessage());
            }
        }
    }

    private static StoreSettings tls(EtcdServer etcd, Path pki, boolean clientCertificate) {
        return new StoreSettings("etcd", List.of(etcd.endpoint()), "/tls", null, null, Duration.seconds(2),
                Duration.seconds(5), "tls", pki.resolve("ca.pem").toString(),
                clientCertificate ? pki.resolve("client.pem").toString() : null,
                clientCertificate ? pki.resolve("client-key.pem").toString() : null);
    }

    /**
     * The API tests' config.yml with this appliance's listener, state file and a {@code store} section, all in its
     * own file: three appliances run at once, and {@code ConfigOverride}s (system properties) of the same keys would
     * overwrite one another and outlive the test.
     */
    private DropwizardTestSupport<QuicLbConfiguration> appliance(String name, EtcdServer etcd,
                                                                 InetSocketAddress listener) throws IOException {
        Path config = directory.resolve(name + ".yml");
        String yaml = java.nio.file.Files.readString(Path.of(ResourceHelpers.resourceFilePath("api-test.yml")))
                .replace("listeners: [\"127.0.0.1:0\"]", "listeners: [\"127.0.0.1:" + listener.getPort() + "\"]")
                .replace("stateFile: will-be-overridden", "stateFile: " + directory.resolve(name + "-state.json"));
        assertTrue(yaml.contains(":" + listener.getPort()) && yaml.contains(name + "-state.json"), yaml);
        java.nio.file.Files.writeString(config, yaml + "store:\n  type: etcd\n  endpoints: [\"" + etcd.endpoint()
                + "\"]\n  prefix: /fleet\n  reconcileEvery: 1s\n  applianceId: " + name + "\n");
        return new DropwizardTestSupport<>(QuicLbApplication.class, config.toString());
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

    /** Writes the entry of an appliance named "lagging" that applied {@code applied}. */
    private static void lagging(io.etcd.jetcd.Client client, long lease, long applied) throws Exception {
        client.getKVClient().put(io.etcd.jetcd.ByteSequence.from("/fleet/appliances/lagging",
                java.nio.charset.StandardCharsets.UTF_8), io.etcd.jetcd.ByteSequence.from("{\"id\":\"lagging\","
                + "\"version\":\"test\",\"listeners\":[],\"appliedRevision\":" + applied + "}",
                java.nio.charset.StandardCharsets.UTF_8), io.etcd.jetcd.options.PutOption.builder().withLeaseId(lease)
                .build()).get(5, TimeUnit.SECONDS);
    }

    private long revision(DropwizardTestSupport<QuicLbConfiguration> app) throws Exception {
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(call(app, "GET", "/api/v1/stats", null)
                .body()).get("revision").asLong();
    }

    private static List<Integer> configIds(String encoders) throws IOException {
        List<Integer> ids = new ArrayList<>();
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(encoders).forEach(e -> ids.add(e.get("configId")
                .asInt()));
        return ids;
    }

    private static int status(HttpResponse<String> response) {
        return response.statusCode();
    }

    /** A short header with a CID of {@code serverId} in {@code config} comes back echoed (3 tries, 1 s each). */
    private static boolean echoed(InetSocketAddress appliance, LbConfigEntry config, String serverId)
            throws IOException {
        return io.quiclb.appliance.ShortHeaders.echoed(appliance, config.toQuicLbConfig(), serverId, 3, 1_000);
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
}

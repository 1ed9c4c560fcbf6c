package io.quiclb.appliance.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.DropwizardTestSupport;
import io.dropwizard.testing.ResourceHelpers;
import io.quiclb.appliance.QuicLbApplication;
import io.quiclb.appliance.QuicLbConfiguration;
import io.quiclb.appliance.forward.ForwarderCounter;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.Hex;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /admin/prometheus} of the real application with two workers: servers named {@code a-b}, {@code a_b} and
 * {@code a.b} are added through the API, real datagrams go through the forwarder to them, and the exposition is
 * parsed strictly ({@link Exposition}) and compared with {@code /api/v1/stats}.
 */
class PrometheusEndpointTest {
    private static final String KEY = "8f95f09245765f80256934e50c66207f";
    private static final String ADMIN = "admin-token-0123456789";
    private static final String READ = "read-token-0123456789";
    private static final Map<String, String> SERVERS = Map.of("a-b", "0a11", "a_b", "0a12", "a.b", "0a13");
    private static final Map<String, Integer> SENT = Map.of("a-b", 1, "a_b", 2, "a.b", 3);
    @TempDir
    static Path stateDirectory;
    private static DropwizardTestSupport<QuicLbConfiguration> app;
    private static final List<DatagramSocket> BACKENDS = new ArrayList<>();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        int port;
        try (DatagramSocket free = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            port = free.getLocalPort();
        }
        InetSocketAddress listener = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        app = new DropwizardTestSupport<>(QuicLbApplication.class, ResourceHelpers.resourceFilePath("api-test.yml"),
                ConfigOverride.config("api.stateFile", stateDirectory.resolve("state.json").toString()),
                ConfigOverride.config("forwarder.workers", "2"),
                ConfigOverride.config("forwarder.listeners[0]", "127.0.0.1:" + port));
        app.before();
        QuicLbConfig config = QuicLbConfig.builder(0, 2, 6).threadIdLength(1).key(Hex.decode("k", KEY)).build();
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            for (String name : List.of("a-b", "a_b", "a.b")) {
                DatagramSocket backend = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                backend.setSoTimeout(5_000);
                BACKENDS.add(backend);
                HttpResponse<String> put = call("PUT", "/api/v1/servers/" + name, ADMIN, "{\"address\":\"127.0.0.1:"
                        + backend.getLocalPort() + "\",\"serverIds\":{\"0\":\"" + SERVERS.get(name)
                        + "\"},\"probe\":\"none\"}");
                assertEquals(200, put.statusCode(), put.body());
                CidEncoder cids = new CidEncoder(config, ServerId.fromHex(SERVERS.get(name)), 0);
                for (int i = 0; i < SENT.get(name); i++) {
                    byte[] dcid = cids.nextConnectionId();
                    byte[] datagram = new byte[1 + dcid.length + 8];
                    datagram[0] = 0x43;
                    System.arraycopy(dcid, 0, datagram, 1, dcid.length);
                    client.send(new DatagramPacket(datagram, datagram.length, listener));
                }
                for (int i = 0; i < SENT.get(name); i++) {
                    backend.receive(new DatagramPacket(new byte[2048], 2048)); // throws when it never arrives
                }
            }
            // A long header too short for its fixed part: dropped.too-short.
            client.send(new DatagramPacket(new byte[] {(byte) 0xc3, 0, 0}, 3, listener));
        }
        assertEquals(200, call("POST", "/api/v1/servers/a.b/drain", ADMIN, null).statusCode());
        assertTrue(io.quiclb.appliance.Await.until(() -> stats().get("counters").get("received").asLong() == 7),
                "the forwarder never counted the 7 datagrams");
    }

    @AfterAll
    static void stop() {
        BACKENDS.forEach(DatagramSocket::close);
        app.after();
    }

    @Test
    void shouldExportEveryCounterWithLabelsMatchingTheStats() throws Exception {
        Scrape scrape = stableScrape();
        assertTrue(scrape.contentType().startsWith("text/plain; version=0.0.4"), scrape.contentType());
        Map<String, Exposition.Family> families = scrape.families();
        JsonNode stats = scrape.stats();

        // Three servers whose names differ only in '-', '_' and '.' are three series of one family.
        Exposition.Family forwarded = families.get("quiclb_server_forwarded_total");
        assertEquals("counter", forwarded.type());
        Map<String, Double> byServer = new HashMap<>();
        forwarded.samples().forEach(s -> byServer.put(s.labels().get("server"), s.value()));
        for (String name : SERVERS.keySet()) {
            assertEquals(SENT.get(name), byServer.get(name).intValue(), name);
            assertEquals(stats.get("perServer").get(name).asLong(), byServer.get(name).longValue(), name);
        }
        assertTrue(families.keySet().stream().noneMatch(n -> n.contains("a_b") || n.contains("_s1")
                || n.contains("worker_") || n.matches(".*config_[0-9].*")), families.keySet().toString());

        // Counters are typed counter and end in _total; nothing else does.
        for (Exposition.Family family : families.values()) {
            assertEquals(family.type().equals("counter"), family.name().endsWith("_total"), family.name());
        }

        // By hand, independently of the mapping: 6 routed by CID, 1 too short, and received = routed + dropped.
        double received = families.get("quiclb_forwarder_received_total").sum("quiclb_forwarder_received_total",
                Map.of());
        double routed = families.get("quiclb_forwarder_routed_total").sum("quiclb_forwarder_routed_total", Map.of());
        double dropped = families.get("quiclb_forwarder_dropped_total").sum("quiclb_forwarder_dropped_total",
                Map.of());
        assertEquals(7, received);
        assertEquals(6, families.get("quiclb_forwarder_routed_total").sum("quiclb_forwarder_routed_total",
                Map.of("via", "cid")));
        assertEquals(1, families.get("quiclb_forwarder_dropped_total").sum("quiclb_forwarder_dropped_total",
                Map.of("reason", "too-short")));
        assertEquals(received, routed + dropped);
        assertEquals(6, families.get("quiclb_forwarder_routed_by_config_total")
                .sum("quiclb_forwarder_routed_by_config_total", Map.of("config", "0")));
        assertEquals(stats.get("perConfig").get("0").asLong(), 6);

        // Every ForwarderCounter, whatever it is, once per worker, equal to the stats of that worker.
        CounterFamilies mapping = CounterFamilies.of(ForwarderCounter.values(), ForwarderCollector.OWN);
        assertEquals(2, stats.get("perWorker").size());
        int checked = 0;
        for (CounterFamilies.Family family : mapping.families()) {
            Exposition.Family exported = families.get(family.name() + "_total");
            assertNotNull(exported, family.name());
            assertEquals(2 * family.members().size(), exported.samples().size(), family.name());
            for (CounterFamilies.Member member : family.members()) {
                for (int w = 0; w < 2; w++) {
                    Map<String, String> labels = member.labelName() == null ? Map.of("worker", "" + w)
                            : Map.of("worker", "" + w, member.labelName(), member.labelValue());
                    assertEquals(stats.get("perWorker").get(w).get(member.name()).asDouble(),
                            exported.sum(exported.name(), labels), member.name() + " " + labels);
                    checked++;
                }
            }
        }
        assertEquals(2 * ForwarderCounter.values().length, checked);

        // Gauges.
        assertEquals(stats.get("flowsConfirmed").asDouble(), families.get("quiclb_forwarder_flows")
                .sum("quiclb_forwarder_flows", Map.of("state", "confirmed")));
        assertEquals(stats.get("flowsUnconfirmed").asDouble(), families.get("quiclb_forwarder_flows")
                .sum("quiclb_forwarder_flows", Map.of("state", "unconfirmed")));
        assertEquals(stats.get("handshakes").asDouble(), value(families, "quiclb_forwarder_handshakes_in_progress"));
        assertEquals(stats.get("upstreamSockets").asDouble(), value(families, "quiclb_forwarder_upstream_sockets"));
        assertTrue(families.containsKey("quiclb_forwarder_decision_table_entries"));
        for (String limit : List.of("flows", "handshakes", "sockets")) {
            assertEquals(stats.get("capacity").get(limit).asDouble(), families.get("quiclb_forwarder_capacity")
                    .sum("quiclb_forwarder_capacity", Map.of("limit", limit)), limit);
        }
        assertEquals(stats.get("capacity").get("perTarget").asDouble(), families.get("quiclb_forwarder_capacity")
                .sum("quiclb_forwarder_capacity", Map.of("limit", "per-target")));
        assertEquals(stats.get("panic").asBoolean() ? 1 : 0, value(families, "quiclb_routing_panic"));
        assertEquals(1, families.get("quiclb_server_draining").sum("quiclb_server_draining", Map.of("server", "a.b")));
        assertEquals(0, families.get("quiclb_server_draining").sum("quiclb_server_draining", Map.of("server", "a-b")));
        assertEquals(0, families.get("quiclb_server_takes_first_flights")
                .sum("quiclb_server_takes_first_flights", Map.of("server", "a.b")));
        assertEquals(1, families.get("quiclb_server_healthy").sum("quiclb_server_healthy", Map.of("server", "a_b")));
    }

    @Test
    void shouldExportTheJvmAndTheRestOfDropwizardButNotTheQuiclbGaugesAgain() throws Exception {
        Map<String, Exposition.Family> families = stableScrape().families();
        assertTrue(families.containsKey("jvm_memory_used_bytes"), families.keySet().toString());
        assertTrue(families.containsKey("process_cpu_seconds_total"), families.keySet().toString());
        List<String> bridged = families.values().stream().map(Exposition.Family::help)
                .filter(h -> h != null && h.startsWith("Dropwizard metric ")).toList();
        assertTrue(bridged.stream().anyMatch(h -> h.startsWith("Dropwizard metric org.eclipse.jetty")),
                bridged.toString());
        assertFalse(bridged.stream().anyMatch(h -> h.startsWith("Dropwizard metric quiclb.")
                || h.startsWith("Dropwizard metric jvm.")), bridged.toString());
        // /admin/metrics keeps its gauges.
        assertTrue(app.getEnvironment().metrics().getGauges().containsKey("quiclb.forwarder.server.a-b.forwarded"));
    }

    @Test
    void shouldFollowServersAddedAndRemoved() throws Exception {
        assertEquals(200, call("PUT", "/api/v1/servers/c", ADMIN,
                "{\"address\":\"127.0.0.1:5998\",\"serverIds\":{\"0\":\"0a14\"},\"probe\":\"none\"}").statusCode());
        Set<String> withC = servers(stableScrape().families());
        assertTrue(withC.containsAll(Set.of("a-b", "a_b", "a.b", "c")), withC.toString());
        assertEquals(204, call("DELETE", "/api/v1/servers/c", ADMIN, null).statusCode());
        Set<String> withoutC = servers(stableScrape().families());
        assertFalse(withoutC.contains("c"), withoutC.toString());
        assertTrue(withoutC.containsAll(Set.of("a-b", "a_b", "a.b")), withoutC.toString());
    }

    @Test
    void shouldAnswerOpenMetricsWhenAsked() throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(prometheusUri()).header("Authorization", "Bearer " + READ)
                .header("Accept", "application/openmetrics-text; version=1.0.0; charset=utf-8").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/openmetrics-text"));
        assertTrue(response.body().endsWith("# EOF\n"));
        assertTrue(response.body().contains("\n# TYPE quiclb_forwarder_received counter\n"), response.body());
        assertTrue(response.body().contains("\nquiclb_server_forwarded_total{server=\"a.b\"} 3"), response.body());
    }

    private record Scrape(String contentType, Map<String, Exposition.Family> families, JsonNode stats) {
    }

    /** @return a scrape with the stats read before and after it, once they agree (flows expire meanwhile) */
    private static Scrape stableScrape() throws Exception {
        for (int attempt = 0; ; attempt++) {
            JsonNode before = stats();
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(prometheusUri()).header("Authorization", "Bearer " + READ).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode after = stats();
            assertEquals(200, response.statusCode());
            if (before.equals(after) || attempt == 20) {
                assertEquals(before, after, "the stats never held still around a scrape");
                return new Scrape(response.headers().firstValue("Content-Type").orElse(""),
                        Exposition.parse(response.body()), after);
            }
        }
    }

    private static Set<String> servers(Map<String, Exposition.Family> families) {
        Set<String> names = new java.util.HashSet<>();
        for (String family : List.of("quiclb_server_forwarded_total", "quiclb_server_healthy",
                "quiclb_server_draining", "quiclb_server_takes_first_flights")) {
            Set<String> these = new java.util.HashSet<>();
            families.get(family).samples().forEach(s -> these.add(s.labels().get("server")));
            if (!names.isEmpty()) {
                assertEquals(names, these, family);
            }
            names = these;
        }
        return names;
    }

    private static double value(Map<String, Exposition.Family> families, String name) {
        Exposition.Family family = families.get(name);
        assertNotNull(family, name);
        assertEquals(1, family.samples().size(), name);
        return family.samples().getFirst().value();
    }

    private static JsonNode stats() {
        try {
            HttpResponse<String> response = call("GET", "/api/v1/stats", READ, null);
            assertEquals(200, response.statusCode(), response.body());
            return JSON.readTree(response.body());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static HttpResponse<String> call(String method, String path, String token, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.getLocalPort()
                        + path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + token);
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI prometheusUri() {
        return URI.create("http://127.0.0.1:" + app.getAdminPort() + "/admin/prometheus");
    }
}

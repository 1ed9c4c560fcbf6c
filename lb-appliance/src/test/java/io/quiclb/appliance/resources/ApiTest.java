package io.quiclb.appliance.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.DropwizardTestSupport;
import io.dropwizard.testing.ResourceHelpers;
import io.quiclb.appliance.QuicLbApplication;
import io.quiclb.appliance.QuicLbConfiguration;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.Hex;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The REST API of the real application (forwarder included), one instance for the class. */
class ApiTest {
    private static final String KEY = "8f95f09245765f80256934e50c66207f";
    @TempDir
    static Path stateDirectory;
    private static DropwizardTestSupport<QuicLbConfiguration> app;
    private static ApiClient api;

    @BeforeAll
    static void start() throws Exception {
        app = new DropwizardTestSupport<>(QuicLbApplication.class, ResourceHelpers.resourceFilePath("api-test.yml"),
                ConfigOverride.config("api.stateFile", stateDirectory.resolve("state.json").toString()));
        app.before();
        api = new ApiClient(app.getLocalPort());
    }

    @AfterAll
    static void stop() {
        app.after();
    }

    @Test
    void shouldAnswerOnlyValidTokensAndLetOnlyTheAdminChange() throws Exception {
        assertEquals(401, api.call("GET", "/api/v1/configs", null, null).status());
        assertEquals(401, api.call("GET", "/api/v1/configs", "wrong-token-0123456789", null).status());
        assertEquals(200, api.call("GET", "/api/v1/configs", ApiClient.READ, null).status());
        assertEquals(200, api.call("GET", "/api/v1/configs", ApiClient.ADMIN, null).status());
        String body = "{\"serverIdLength\":2,\"nonceLength\":6}";
        assertEquals(403, api.call("PUT", "/api/v1/configs/5", ApiClient.READ, body).status());
        assertEquals(401, api.call("PUT", "/api/v1/configs/5", null, body).status());
        assertEquals(200, api.call("PUT", "/api/v1/configs/5", ApiClient.ADMIN, body).status());
        assertEquals(403, api.call("DELETE", "/api/v1/configs/5", ApiClient.READ, null).status());
        assertEquals(204, api.call("DELETE", "/api/v1/configs/5", ApiClient.ADMIN, null).status());
    }

    @Test
    void shouldStoreConfigsWithoutEverShowingTheKey() throws Exception {
        ApiClient.Reply put = api.put("/api/v1/configs/3",
                "{\"serverIdLength\":3,\"nonceLength\":5,\"key\":\"" + KEY + "\"}");
        assertEquals(200, put.status(), put.body());
        assertFalse(put.body().contains(KEY), put.body());
        ApiClient.Reply got = api.get("/api/v1/configs/3");
        assertEquals("FOUR_PASS", got.json().get("algorithm").asText());
        assertTrue(got.json().get("keySet").asBoolean());
        assertEquals(QuicLbConfig.builder(3, 3, 5).key(Hex.decode("k", KEY)).build().keyFingerprint(),
                got.json().get("keyFingerprint").asText());
        assertFalse(api.get("/api/v1/configs").body().contains(KEY));
        assertEquals(204, api.call("DELETE", "/api/v1/configs/3", ApiClient.ADMIN, null).status());
        assertEquals(404, api.get("/api/v1/configs/3").status());
    }

    @Test
    void shouldRefuseInvalidConfigsNamingFieldAndRule() throws Exception {
        ApiClient.Reply seven = api.put("/api/v1/configs/7", "{\"serverIdLength\":2,\"nonceLength\":6}");
        assertEquals(422, seven.status());
        assertTrue(seven.body().contains("configId: must be 0..6"), seven.body());
        ApiClient.Reply shortNonce = api.put("/api/v1/configs/4", "{\"serverIdLength\":2,\"nonceLength\":2}");
        assertEquals(422, shortNonce.status());
        assertTrue(shortNonce.body().contains("must be 4..18: nonceLength=2"), shortNonce.body());
        String badKey = "0011223344556677889900112233445566";
        ApiClient.Reply key = api.put("/api/v1/configs/4", "{\"serverIdLength\":2,\"nonceLength\":6,\"key\":\""
                + badKey + "\"}");
        assertEquals(422, key.status());
        assertTrue(key.body().contains("key: must be 32 hex digits"), key.body());
        assertFalse(key.body().contains(badKey), key.body());
        assertEquals(422, api.put("/api/v1/configs/x", "{\"serverIdLength\":2,\"nonceLength\":6}").status());
        assertEquals(422, api.put("/api/v1/configs/4", "{\"nonceLength\":6}").status());
        assertEquals(404, api.get("/api/v1/configs/4").status());
    }

    @Test
    void shouldManageServersAndRefuseAServerIdUsedTwice() throws Exception {
        ApiClient.Reply put = api.put("/api/v1/servers/s9", "{\"address\":\"127.0.0.1:5009\",\"serverIds\":{\"0\":\"0a09\"}}");
        assertEquals(200, put.status(), put.body());
        assertEquals("0a09", api.get("/api/v1/servers/s9").json().get("serverIds").get("0").asText());
        assertTrue(app.getEnvironment().metrics().getGauges().containsKey("quiclb.forwarder.server.s9.forwarded"));
        ApiClient.Reply conflict = api.put("/api/v1/servers/s8",
                "{\"address\":\"127.0.0.1:5008\",\"serverIds\":{\"0\":\"0a01\"}}");
        assertEquals(409, conflict.status());
        assertTrue(conflict.body().contains("belongs to s1"), conflict.body());
        ApiClient.Reply wrongLength = api.put("/api/v1/servers/s8",
                "{\"address\":\"127.0.0.1:5008\",\"serverIds\":{\"0\":\"0a0808\"}}");
        assertEquals(422, wrongLength.status());
        assertEquals(422, api.put("/api/v1/servers/s8", "{\"address\":\"nowhere\"}").status());
        ApiClient.Reply badProbe = api.put("/api/v1/servers/s8",
                "{\"address\":\"127.0.0.1:5008\",\"probe\":\"ping\"}");
        assertEquals(422, badProbe.status());
        assertTrue(badProbe.body().contains("probe: must be versionNegotiation, handshake or none: probe=ping"),
                badProbe.body());
        ApiClient.Reply unprobed = api.put("/api/v1/servers/s8",
                "{\"address\":\"127.0.0.1:5008\",\"probe\":\"none\"}");
        assertEquals(200, unprobed.status(), unprobed.body());
        assertEquals("none", unprobed.json().get("probe").asText());
        assertEquals("versionNegotiation", api.get("/api/v1/servers/s1").json().get("probe").asText());
        assertEquals(204, api.call("DELETE", "/api/v1/servers/s8", ApiClient.ADMIN, null).status());
        assertEquals(422, api.put("/api/v1/servers/bad%20name", "{\"address\":\"127.0.0.1:5008\"}").status());
        assertEquals(204, api.call("DELETE", "/api/v1/servers/s9", ApiClient.ADMIN, null).status());
        assertEquals(404, api.get("/api/v1/servers/s9").status());
        assertFalse(app.getEnvironment().metrics().getGauges().containsKey("quiclb.forwarder.server.s9.forwarded"));
        assertEquals(404, api.call("POST", "/api/v1/servers/s9/drain", ApiClient.ADMIN, null).status());
    }

    @Test
    void shouldRefuseAServerIdOfAnEncryptedConfigInAPlaintextOne() throws Exception {
        // draft-21 §9.7. Config 0 (api-test.yml) is keyed and s1 holds 0a01 in it.
        assertEquals(200, api.put("/api/v1/configs/6", "{\"serverIdLength\":2,\"nonceLength\":6}").status());
        try {
            ApiClient.Reply mixed = api.put("/api/v1/servers/s7",
                    "{\"address\":\"127.0.0.1:5007\",\"serverIds\":{\"6\":\"0a01\"}}");
            assertEquals(422, mixed.status(), mixed.body());
            assertTrue(mixed.body().contains("serverId=0a01 in plaintext config 6 is s1's in encrypted config 0"),
                    mixed.body());
            assertTrue(mixed.body().contains("draft-21 §9.7"), mixed.body());
            assertEquals(404, api.get("/api/v1/servers/s7").status());
        } finally {
            assertEquals(204, api.call("DELETE", "/api/v1/configs/6", ApiClient.ADMIN, null).status());
        }
    }

    @Test
    void shouldDrainAServerFromFirstFlightsOnly() throws Exception {
        ApiClient.Reply drained = api.call("POST", "/api/v1/servers/s2/drain", ApiClient.ADMIN, null);
        assertEquals(200, drained.status());
        assertTrue(drained.json().get("draining").asBoolean());
        // Still routable by CID.
        byte[] cid = new CidEncoder(QuicLbConfig.builder(0, 2, 6).threadIdLength(1).key(Hex.decode("k", KEY)).build(),
                ServerId.fromHex("0a02"), 0).nextConnectionId();
        assertEquals("s2", api.get("/api/v1/whoami/" + Hex.encode(cid)).json().get("server").asText());
        ApiClient.Reply undrained = api.call("POST", "/api/v1/servers/s2/undrain", ApiClient.ADMIN, null);
        assertFalse(undrained.json().get("draining").asBoolean());
    }

    @Test
    void shouldListTheThreadSocketsWhoseHealthProbesFail() throws Exception {
        // s1's thread socket 127.0.0.1:5101 has nothing listening: after health.unhealthyThreshold probes it is down.
        assertTrue(io.quiclb.appliance.Await.until(() -> {
            try {
                return api.get("/api/v1/servers/s1").json().get("threadSocketsDown").toString().equals("[0]");
            } catch (Exception e) {
                return false;
            }
        }), "s1 thread socket 0 never reported down");
        assertEquals("[]", api.get("/api/v1/servers/s2").json().get("threadSocketsDown").toString());
    }

    @Test
    void shouldSayHowADcidWouldBeRouted() throws Exception {
        QuicLbConfig config = QuicLbConfig.builder(0, 2, 6).threadIdLength(1).key(Hex.decode("k", KEY)).build();
        byte[] cid = new CidEncoder(config, ServerId.fromHex("0a01"), 0).nextConnectionId();
        ApiClient.Reply routed = api.get("/api/v1/whoami/" + Hex.encode(cid));
        assertEquals(200, routed.status());
        assertTrue(routed.json().get("routable").asBoolean());
        assertEquals("0a01", routed.json().get("serverId").asText());
        assertEquals(0, routed.json().get("threadId").asInt());
        assertEquals("s1", routed.json().get("server").asText());
        assertEquals("127.0.0.1:5101", routed.json().get("target").asText());
        ApiClient.Reply seven = api.get("/api/v1/whoami/e7aabbccddeeff00");
        assertFalse(seven.json().get("routable").asBoolean());
        assertEquals("config-id-7", seven.json().get("reason").asText());
        assertEquals(422, api.get("/api/v1/whoami/zz").status());
    }

    @Test
    void shouldGiveTheKeyToTheAdminOnly() throws Exception {
        ApiClient.Reply admin = api.call("GET", "/api/v1/servers/s1/encoder", ApiClient.ADMIN, null);
        assertEquals(KEY, admin.json().get(0).get("key").asText());
        assertEquals("0a01", admin.json().get(0).get("serverId").asText());
        assertEquals(1, admin.json().get(0).get("threadIdLength").asInt());
        ApiClient.Reply reader = api.get("/api/v1/servers/s1/encoder");
        assertTrue(reader.json().get(0).get("key").isNull(), reader.body());
        assertFalse(reader.body().contains(KEY));
    }

    @Test
    void shouldExposeMetricsToPrometheus() throws Exception {
        java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + app.getAdminPort()
                        + "/admin/prometheus")).header("Authorization", "Bearer " + ApiClient.READ).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        assertTrue(response.body().contains(
                "# TYPE quiclb_forwarder_received_total counter\nquiclb_forwarder_received_total{worker=\"0\"} "),
                response.body());
        assertTrue(response.body().contains("quiclb_forwarder_dropped_total{reason=\"too-short\",worker=\"0\"} "));
        assertTrue(response.body().contains("quiclb_server_forwarded_total{server=\"s1\"} "));
    }

    @Test
    void shouldReportStats() throws Exception {
        ApiClient.Reply stats = api.get("/api/v1/stats");
        assertEquals(200, stats.status());
        assertTrue(stats.json().get("counters").has("received"));
        assertTrue(stats.json().get("counters").has("dropped.too-short"));
        assertEquals(1, stats.json().get("perWorker").size());
        assertNull(stats.json().get("perServer").get("nobody"));
        // Nothing listens on the servers' ports in api-test.yml: every probe fails and the routing panics.
        assertTrue(io.quiclb.appliance.Await.until(() -> {
            try {
                return api.get("/api/v1/stats").json().get("panic").asBoolean();
            } catch (Exception e) {
                return false;
            }
        }), "panic mode never shown in /api/v1/stats");
        java.net.http.HttpResponse<String> metrics = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + app.getAdminPort()
                        + "/admin/prometheus")).header("Authorization", "Bearer " + ApiClient.READ).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertTrue(metrics.body().contains("\nquiclb_routing_panic 1.0\n"), metrics.body());
        assertTrue(stats.json().get("capacity").get("flows").asLong() > 0, stats.body());
        assertEquals(0, stats.json().get("flowsUnconfirmed").asLong());
    }
}

package io.quiclb.appliance.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.DropwizardTestSupport;
import io.dropwizard.testing.ResourceHelpers;
import io.quiclb.appliance.QuicLbApplication;
import io.quiclb.appliance.QuicLbConfiguration;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.Hex;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Changes that would break live connections need {@code ?force=true} (the real application, real datagrams):
 * re-keying or deleting a config that routed a datagram, deleting a server that got one or changing its server ID;
 * {@code ?dryRun=true} shows the result and applies nothing; every accepted change is one audit log line and an
 * entry of the bounded audit history, keys redacted.
 */
class GuardedChangeTest {
    private static final String KEY = "8f95f09245765f80256934e50c66207f";
    private static final String NEW_KEY = "fdf726a9893ec05c0632d3956680baf0";
    @TempDir
    Path stateDirectory;
    private DropwizardTestSupport<QuicLbConfiguration> app;
    private ApiClient api;
    private DatagramSocket backend;
    private int listener;
    private final ListAppender<ILoggingEvent> auditLog = new ListAppender<>();

    @BeforeEach
    void start() throws Exception {
        try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            listener = probe.getLocalPort();
        }
        app = new DropwizardTestSupport<>(QuicLbApplication.class, ResourceHelpers.resourceFilePath("api-test.yml"),
                ConfigOverride.config("api.stateFile", stateDirectory.resolve("state.json").toString()),
                ConfigOverride.config("forwarder.listeners", "127.0.0.1:" + listener),
                ConfigOverride.config("api.auditHistory", "4"));
        app.before();
        api = new ApiClient(app.getLocalPort());
        backend = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        backend.setSoTimeout(5000);
        Logger audit = (Logger) LoggerFactory.getLogger("quiclb.audit");
        auditLog.start();
        audit.addAppender(auditLog);
        assertEquals(200, api.put("/api/v1/configs/1",
                "{\"serverIdLength\":2,\"nonceLength\":6,\"key\":\"" + KEY + "\"}").status());
        assertEquals(200, api.put("/api/v1/servers/g1", "{\"address\":\"127.0.0.1:" + backend.getLocalPort()
                + "\",\"serverIds\":{\"1\":\"0c01\"},\"probe\":\"none\"}").status());
    }

    @AfterEach
    void stop() {
        ((Logger) LoggerFactory.getLogger("quiclb.audit")).detachAppender(auditLog);
        backend.close();
        app.after();
    }

    @Test
    void shouldRefuseChangesThatBreakLiveConnectionsUnlessForced() throws Exception {
        sendThroughTheAppliance();
        String fingerprint = api.get("/api/v1/configs/1").json().get("keyFingerprint").asText();

        ApiClient.Reply rekey = api.put("/api/v1/configs/1",
                "{\"serverIdLength\":2,\"nonceLength\":6,\"key\":\"" + NEW_KEY + "\"}");
        assertEquals(409, rekey.status(), rekey.body());
        List<String> errors = StrictInputTest.errors(rekey);
        assertEquals(2, errors.size(), rekey.body());
        assertTrue(errors.get(0).startsWith("config 1 routed a datagram "), rekey.body());
        assertTrue(errors.get(0).contains("a new key makes its live CIDs decode to other server IDs; rotate instead"),
                rekey.body());
        assertEquals("force: to apply it anyway, repeat the request with ?force=true", errors.get(1));
        assertEquals(fingerprint, api.get("/api/v1/configs/1").json().get("keyFingerprint").asText());

        assertConflict(api.call("DELETE", "/api/v1/configs/1", ApiClient.ADMIN, null),
                "deleting it makes every live CID of config 1 unroutable");
        assertConflict(api.call("DELETE", "/api/v1/servers/g1", ApiClient.ADMIN, null),
                "server g1 got a datagram ");
        assertConflict(api.call("PATCH", "/api/v1/servers/g1", ApiClient.ADMIN, "{\"serverIds\":{\"1\":\"0c02\"}}",
                "application/merge-patch+json"), "changing its server ID 0c01 in config 1");
        assertEquals(200, api.get("/api/v1/servers/g1").status());
        assertEquals("0c01", api.get("/api/v1/servers/g1").json().get("serverIds").get("1").asText());
        assertEquals(200, api.get("/api/v1/configs/1").status());

        // Not every change is guarded: what decodes no differently, a server ID in a config no datagram used,
        // thread sockets added.
        assertEquals(200, api.call("PATCH", "/api/v1/configs/1", ApiClient.ADMIN, "{\"lengthSelfEncoded\":false}",
                "application/merge-patch+json").status());
        assertEquals(200, api.put("/api/v1/configs/2", "{\"serverIdLength\":2,\"nonceLength\":6}").status());
        assertEquals(200, patch("/api/v1/servers/g1", "{\"serverIds\":{\"2\":\"0d01\"}}").status());
        assertEquals(200, patch("/api/v1/servers/g1", "{\"serverIds\":{\"2\":\"0d02\"}}").status(),
                "fixing a server ID in a config that routed nothing yet breaks nothing");
        assertEquals(200, patch("/api/v1/servers/g1",
                "{\"threadSockets\":[\"127.0.0.1:6101\",\"127.0.0.1:6102\"]}").status());
        assertConflict(patch("/api/v1/servers/g1", "{\"threadSockets\":[\"127.0.0.1:6102\",\"127.0.0.1:6101\"]}"),
                "moving thread 0 from 127.0.0.1:6101 to 127.0.0.1:6102 sends the live connections of that thread");
        assertConflict(api.put("/api/v1/servers/g1", "{\"address\":\"127.0.0.1:" + backend.getLocalPort()
                + "\",\"serverIds\":{\"1\":\"0c01\",\"2\":\"0d02\"},\"probe\":\"none\"}"),
                "removing thread socket 0 (127.0.0.1:6101)");
        assertConflict(patch("/api/v1/servers/g1", "{\"address\":\"127.0.0.1:6199\"}"),
                "changing its address from 127.0.0.1:" + backend.getLocalPort() + " to 127.0.0.1:6199");

        ApiClient.Reply forced = api.call("PUT", "/api/v1/configs/1?force=true", ApiClient.ADMIN,
                "{\"serverIdLength\":2,\"nonceLength\":6,\"key\":\"" + NEW_KEY + "\"}");
        assertEquals(200, forced.status(), forced.body());
        String newFingerprint = forced.json().get("keyFingerprint").asText();
        assertFalse(newFingerprint.equals(fingerprint));

        JsonNode newest = api.get("/api/v1/audit?limit=1").json().get(0);
        assertEquals("PUT configs/1", newest.get("action").asText());
        assertEquals("admin@127.0.0.1", newest.get("actor").asText());
        assertTrue(newest.get("time").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d.*Z"),
                "ISO-8601: " + newest.get("time"));
        assertEquals(fingerprint, newest.get("before").get("keyFingerprint").asText());
        assertEquals(newFingerprint, newest.get("after").get("keyFingerprint").asText());
        assertEquals(1, newest.get("forced").size(), newest.toString());
    }

    @Test
    void shouldShowADryRunsResultAndApplyNothing() throws Exception {
        sendThroughTheAppliance();
        ApiClient.Reply dry = api.call("PUT", "/api/v1/configs/1?dryRun=true&force=true", ApiClient.ADMIN,
                "{\"serverIdLength\":2,\"nonceLength\":6,\"key\":\"" + NEW_KEY + "\"}");
        assertEquals(200, dry.status(), dry.body());
        assertTrue(dry.json().get("dryRun").asBoolean());
        assertEquals(1, dry.json().get("wouldBreak").size(), dry.body());
        String wouldBe = dry.json().get("configs").get(1).get("keyFingerprint").asText();
        assertEquals(1, dry.json().get("configs").get(1).get("configId").asInt());
        String now = api.get("/api/v1/configs/1").json().get("keyFingerprint").asText();
        assertFalse(wouldBe.equals(now), "the dry run shows the new key's fingerprint: " + dry.body());

        assertEquals(409, api.call("PUT", "/api/v1/configs/1?dryRun=true", ApiClient.ADMIN,
                "{\"serverIdLength\":2,\"nonceLength\":6,\"key\":\"" + NEW_KEY + "\"}").status(),
                "a dry run answers what the real request would");
        assertEquals(422, api.call("PUT", "/api/v1/servers/bad?dryRun=true", ApiClient.ADMIN,
                "{\"address\":\"0.0.0.0:1\"}").status());

        ApiClient.Reply drain = api.call("POST", "/api/v1/servers/g1/drain?dryRun=true", ApiClient.ADMIN, null);
        assertEquals(200, drain.status(), drain.body());
        assertTrue(drain.json().get("servers").findParents("name").stream()
                .anyMatch(s -> s.get("name").asText().equals("g1") && s.get("draining").asBoolean()), drain.body());
        assertFalse(api.get("/api/v1/servers/g1").json().get("draining").asBoolean());
        ApiClient.Reply startup = api.call("DELETE", "/api/v1/servers/s2?dryRun=true", ApiClient.ADMIN, null);
        assertEquals(409, startup.status(), startup.body());
        assertTrue(startup.body().contains("server s2 was in force when the appliance started"), startup.body());
        ApiClient.Reply delete = api.call("DELETE", "/api/v1/servers/s2?dryRun=true&force=true", ApiClient.ADMIN,
                null);
        assertEquals(200, delete.status(), delete.body());
        assertEquals(200, api.get("/api/v1/servers/s2").status());

        assertEquals(now, api.get("/api/v1/configs/1").json().get("keyFingerprint").asText());
        assertEquals(2, api.get("/api/v1/audit").json().size(), "only the two changes of the set-up were applied");
    }

    @Test
    void shouldLogEveryAcceptedChangeOnceAndKeepABoundedHistory() throws Exception {
        assertEquals(200, api.put("/api/v1/configs/5", "{\"serverIdLength\":2,\"nonceLength\":6,\"key\":\""
                + NEW_KEY + "\"}").status());
        assertEquals(200, api.call("POST", "/api/v1/servers/s2/drain", ApiClient.ADMIN, null).status());
        assertEquals(200, api.call("POST", "/api/v1/servers/s2/drain", ApiClient.ADMIN, null).status());
        assertEquals(204, api.call("DELETE", "/api/v1/configs/5", ApiClient.ADMIN, null).status(),
                "a config no datagram used needs no force");
        assertEquals(422, api.put("/api/v1/configs/6", "{\"serverIdLength\":2}").status());

        // Set-up (2), config 5, drain (the second drain changed nothing), delete: 5 accepted changes.
        List<String> lines = auditLog.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertEquals(5, lines.size(), lines.toString());
        ObjectMapper json = new ObjectMapper();
        JsonNode last = json.readTree(lines.get(4).substring("audit ".length()));
        assertEquals("DELETE configs/5", last.get("action").asText());
        assertTrue(last.get("after").isNull());
        assertEquals(5, last.get("sequence").asInt());
        for (String line : lines) {
            assertFalse(line.contains(KEY) || line.contains(NEW_KEY), "no key in the audit log: " + line);
        }

        JsonNode history = api.get("/api/v1/audit?limit=100").json();
        assertEquals(4, history.size(), "api.auditHistory bounds the history: " + history);
        assertEquals(5, history.get(0).get("sequence").asInt());
        assertEquals(2, history.get(3).get("sequence").asInt());
        assertEquals("drain servers/s2", history.get(1).get("action").asText());
        assertFalse(history.get(1).get("before").get("draining").asBoolean());
        assertTrue(history.get(1).get("after").get("draining").asBoolean());
        assertFalse(history.toString().contains(NEW_KEY));
        assertEquals(422, api.get("/api/v1/audit?limit=0").status());
    }

    /** A short header whose CID names g1 in config 1 reaches g1's backend through the appliance. */
    private void sendThroughTheAppliance() throws Exception {
        byte[] cid = new CidEncoder(QuicLbConfig.builder(1, 2, 6).key(Hex.decode("key", KEY)).build(),
                ServerId.fromHex("0c01"), 0).nextConnectionId();
        byte[] datagram = new byte[1 + cid.length + 20];
        datagram[0] = 0x43;
        System.arraycopy(cid, 0, datagram, 1, cid.length);
        try (DatagramSocket client = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            client.send(new DatagramPacket(datagram, datagram.length, new InetSocketAddress("127.0.0.1", listener)));
        }
        DatagramPacket received = new DatagramPacket(new byte[2048], 2048);
        backend.receive(received);
        assertEquals(datagram.length, received.getLength());
    }

    private ApiClient.Reply patch(String path, String body) throws Exception {
        return api.call("PATCH", path, ApiClient.ADMIN, body, "application/merge-patch+json");
    }

    private static void assertConflict(ApiClient.Reply reply, String contains) {
        assertEquals(409, reply.status(), reply.body());
        assertTrue(reply.body().contains(contains), reply.body());
    }
}

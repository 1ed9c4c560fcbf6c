package io.quiclb.appliance.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.DropwizardTestSupport;
import io.dropwizard.testing.ResourceHelpers;
import io.quiclb.appliance.QuicLbApplication;
import io.quiclb.appliance.QuicLbConfiguration;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * API input is strict (the real application): unknown fields, wrong types, malformed JSON, oversized bodies and
 * harmful server targets are refused with every problem listed in the one error shape, and nothing changes; PATCH
 * merges (RFC 7396).
 */
class StrictInputTest {
    private static final String KEY = "8f95f09245765f80256934e50c66207f";
    @TempDir
    static Path stateDirectory;
    private static DropwizardTestSupport<QuicLbConfiguration> app;
    private static ApiClient api;
    private static int listener;

    @BeforeAll
    static void start() throws Exception {
        try (java.net.DatagramSocket probe = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            listener = probe.getLocalPort();
        }
        app = new DropwizardTestSupport<>(QuicLbApplication.class, ResourceHelpers.resourceFilePath("api-test.yml"),
                ConfigOverride.config("api.stateFile", stateDirectory.resolve("state.json").toString()),
                ConfigOverride.config("forwarder.listeners", "127.0.0.1:" + listener),
                ConfigOverride.config("api.maxRequestBytes", "2048"));
        app.before();
        api = new ApiClient(app.getLocalPort());
    }

    @AfterAll
    static void stop() {
        app.after();
    }

    @Test
    void shouldRefuseAnUnknownFieldNamingItAndTheFieldItWasMeantToBe() throws Exception {
        ApiClient.Reply reply = api.put("/api/v1/configs/4",
                "{\"serverIdLength\":2,\"nonceLength\":6,\"Key\":\"" + KEY + "\"}");
        assertEquals(422, reply.status(), reply.body());
        assertEquals(422, reply.json().get("code").asInt());
        assertEquals(List.of("Key: is not a field of this request (did you mean key?); its fields are serverIdLength,"
                + " nonceLength, threadIdLength, lengthSelfEncoded, key"), errors(reply));
        assertEquals(404, api.get("/api/v1/configs/4").status(), "nothing was created, least of all unencrypted");
    }

    @Test
    void shouldListEveryProblemOfABodyAtOnce() throws Exception {
        ApiClient.Reply reply = api.put("/api/v1/configs/4",
                "{\"serverIdLength\":\"two\",\"nonceLengh\":6,\"lengthSelfEncoded\":\"yes\",\"key\":[1]}");
        assertEquals(422, reply.status(), reply.body());
        List<String> errors = errors(reply);
        assertEquals(4, errors.size(), reply.body());
        assertTrue(errors.get(0).startsWith("nonceLengh: is not a field of this request (did you mean nonceLength?)"),
                reply.body());
        assertTrue(errors.contains("serverIdLength: must be an integer: \"two\""), reply.body());
        assertTrue(errors.contains("lengthSelfEncoded: must be true or false: \"yes\""), reply.body());
        assertTrue(errors.contains("key: must be a string: [REDACTED]"), reply.body());

        ApiClient.Reply missing = api.put("/api/v1/configs/4", "{\"threadIdLength\":1}");
        assertEquals(422, missing.status(), missing.body());
        assertEquals(List.of("nonceLength: must not be null", "serverIdLength: must not be null"), errors(missing));
    }

    @Test
    void shouldGiveEveryClientErrorTheSameShape() throws Exception {
        ApiClient.Reply malformed = api.put("/api/v1/configs/4", "{\"serverIdLength\":2,");
        assertEquals(400, malformed.status(), malformed.body());
        assertTrue(errors(malformed).get(0).startsWith("body: must be well-formed JSON at line 1"), malformed.body());

        ApiClient.Reply duplicate = api.put("/api/v1/configs/4",
                "{\"serverIdLength\":2,\"nonceLength\":6,\"key\":\"" + KEY + "\",\"key\":null}");
        assertEquals(400, duplicate.status(), duplicate.body());
        assertTrue(errors(duplicate).get(0).startsWith("body: must not repeat a field"), duplicate.body());

        ApiClient.Reply unquotedKey = api.put("/api/v1/configs/4",
                "{\"serverIdLength\":2,\"nonceLength\":6,\"key\":" + "fdf726a9893ec05c0632d3956680baf0}");
        assertEquals(400, unquotedKey.status(), unquotedKey.body());
        assertFalse(unquotedKey.body().contains("fdf726a9893ec05c"), "a malformed key is never quoted back: "
                + unquotedKey.body());

        ApiClient.Reply nullId = api.put("/api/v1/servers/n1", "{\"address\":\"127.0.0.1:5031\","
                + "\"serverIds\":{\"0\":null},\"threadSockets\":[null]}");
        assertEquals(422, nullId.status(), nullId.body());
        assertEquals(List.of("serverIds.0: must not be null (leave it out instead)", "threadSockets[0]: must not be"
                + " null"), errors(nullId));

        ApiClient.Reply array = api.put("/api/v1/configs/4", "[1,2]");
        assertEquals(422, array.status(), array.body());
        assertEquals(List.of("body: must be a JSON object: array"), errors(array));

        ApiClient.Reply unknownPath = api.get("/api/v1/nothing-here");
        assertEquals(404, unknownPath.status(), unknownPath.body());
        assertEquals(List.of("path: no such resource: /api/v1/nothing-here"), errors(unknownPath));

        ApiClient.Reply method = api.call("POST", "/api/v1/configs/4", ApiClient.ADMIN, "{}");
        assertEquals(405, method.status(), method.body());
        assertTrue(errors(method).get(0).startsWith("method: not allowed here; allowed: "), method.body());

        ApiClient.Reply notJson = api.call("PUT", "/api/v1/configs/4", ApiClient.ADMIN, "serverIdLength=2",
                "text/plain");
        assertEquals(415, notJson.status(), notJson.body());
        assertEquals(List.of("Content-Type: must be application/json (or application/merge-patch+json for PATCH)"),
                errors(notJson));

        ApiClient.Reply flag = api.call("DELETE", "/api/v1/configs/0?force=yes", ApiClient.ADMIN, null);
        assertEquals(422, flag.status(), flag.body());
        assertEquals(List.of("force: must be true or false: yes"), errors(flag));
        assertEquals(200, api.get("/api/v1/configs/0").status());
    }

    @Test
    void shouldRefuseABodyOverTheLimitBeforeReadingIt() throws Exception {
        String padding = "x".repeat(4096);
        ApiClient.Reply reply = api.put("/api/v1/servers/big",
                "{\"address\":\"127.0.0.1:5009\",\"probe\":\"" + padding + "\"}");
        assertEquals(413, reply.status(), reply.body());
        assertEquals(List.of("body: must be at most 2048 octets (api.maxRequestBytes)"), errors(reply));
        assertEquals(404, api.get("/api/v1/servers/big").status());
    }

    @Test
    void shouldPatchAServerKeepingWhatThePatchLeavesOut() throws Exception {
        assertEquals(200, api.put("/api/v1/configs/2", "{\"serverIdLength\":3,\"nonceLength\":6}").status());
        assertEquals(200, api.put("/api/v1/servers/p1", "{\"address\":\"127.0.0.1:5011\",\"serverIds\":{\"0\":\"0b01\"},"
                + "\"threadSockets\":[\"127.0.0.1:5111\",\"127.0.0.1:5112\"],\"probe\":\"none\"}").status());

        ApiClient.Reply added = api.call("PATCH", "/api/v1/servers/p1", ApiClient.ADMIN,
                "{\"serverIds\":{\"2\":\"0b0b01\"}}", "application/merge-patch+json");
        assertEquals(200, added.status(), added.body());
        assertEquals("0b01", added.json().get("serverIds").get("0").asText());
        assertEquals("0b0b01", added.json().get("serverIds").get("2").asText());
        assertEquals(2, added.json().get("threadSockets").size(), "thread routing survives: " + added.body());
        assertEquals("none", added.json().get("probe").asText());

        ApiClient.Reply removed = api.call("PATCH", "/api/v1/servers/p1", ApiClient.ADMIN,
                "{\"serverIds\":{\"0\":null},\"address\":\"127.0.0.1:5012\"}", "application/merge-patch+json");
        assertEquals(200, removed.status(), removed.body());
        assertFalse(removed.json().get("serverIds").has("0"), removed.body());
        assertEquals("127.0.0.1:5012", removed.json().get("address").asText());
        assertEquals(2, removed.json().get("threadSockets").size());

        ApiClient.Reply unknown = api.call("PATCH", "/api/v1/servers/p1", ApiClient.ADMIN,
                "{\"threadSocket\":[]}", "application/merge-patch+json");
        assertEquals(422, unknown.status(), unknown.body());
        assertTrue(errors(unknown).get(0).startsWith("threadSocket: is not a field of this request (did you mean"
                + " threadSockets?)"), unknown.body());
        assertEquals(404, api.call("PATCH", "/api/v1/servers/nobody", ApiClient.ADMIN, "{}",
                "application/merge-patch+json").status());
        assertEquals(204, api.call("DELETE", "/api/v1/servers/p1", ApiClient.ADMIN, null).status());
        assertEquals(204, api.call("DELETE", "/api/v1/configs/2", ApiClient.ADMIN, null).status());
    }

    @Test
    void shouldPatchAConfigKeepingItsKey() throws Exception {
        ApiClient.Reply put = api.put("/api/v1/configs/3",
                "{\"serverIdLength\":2,\"nonceLength\":6,\"key\":\"" + KEY + "\"}");
        assertEquals(200, put.status(), put.body());
        ApiClient.Reply patched = api.call("PATCH", "/api/v1/configs/3", ApiClient.ADMIN, "{\"nonceLength\":8}",
                "application/merge-patch+json");
        assertEquals(200, patched.status(), patched.body());
        assertEquals(8, patched.json().get("nonceLength").asInt());
        assertEquals(put.json().get("keyFingerprint"), patched.json().get("keyFingerprint"));
        assertTrue(patched.json().get("keySet").asBoolean());
        assertFalse(patched.body().contains(KEY));
        assertEquals(204, api.call("DELETE", "/api/v1/configs/3", ApiClient.ADMIN, null).status());
    }

    @Test
    void shouldRefuseServerTargetsThatHarmTheAppliance() throws Exception {
        assertRefused("{\"address\":\"127.0.0.1:" + listener + "\"}",
                "address: must not be one of the appliance's own listeners (forwarder.listeners has 127.0.0.1:"
                        + listener + "): datagrams would loop through the appliance: 127.0.0.1:" + listener);
        assertRefused("{\"address\":\"0.0.0.0:5020\"}",
                "address: must not be a wildcard address (0.0.0.0 or [::]): it names no server: 0.0.0.0:5020");
        assertRefused("{\"address\":\"127.0.0.1:0\"}",
                "address: must have a port 1..65535 (port 0 names no server): 127.0.0.1:0");
        assertRefused("{\"address\":\"224.0.0.9:5020\"}",
                "address: must be a unicast address, not multicast or broadcast: 224.0.0.9:5020");
        assertRefused("{\"address\":\"255.255.255.255:5020\"}",
                "address: must be a unicast address, not multicast or broadcast: 255.255.255.255:5020");
        assertRefused("{\"address\":\"127.0.0.1:5020\",\"threadSockets\":[\"127.0.0.1:5021\",\"127.0.0.1:5021\"]}",
                "threadSockets[1]: must be unique within the server: 127.0.0.1:5021 is also its threadSockets[0]");
        assertRefused("{\"address\":\"127.0.0.1:5001\"}",
                "address: must not be another server's socket: 127.0.0.1:5001 is s1's address");
        assertRefused("{\"address\":\"127.0.0.1:5020\",\"threadSockets\":[\"127.0.0.1:5101\"]}",
                "threadSockets[0]: must not be another server's socket: 127.0.0.1:5101 is s1's threadSockets[0]");
        ApiClient.Reply own = api.put("/api/v1/servers/t1",
                "{\"address\":\"127.0.0.1:5020\",\"threadSockets\":[\"127.0.0.1:5020\",\"127.0.0.1:5022\"]}");
        assertEquals(200, own.status(), "a server's address may be one of its own thread sockets: " + own.body());
        assertEquals(204, api.call("DELETE", "/api/v1/servers/t1", ApiClient.ADMIN, null).status());
    }

    private static void assertRefused(String body, String error) throws Exception {
        ApiClient.Reply reply = api.put("/api/v1/servers/t1", body);
        assertEquals(422, reply.status(), reply.body());
        assertEquals(List.of(error), errors(reply));
        assertEquals(404, api.get("/api/v1/servers/t1").status());
    }

    static List<String> errors(ApiClient.Reply reply) {
        List<String> errors = new ArrayList<>();
        reply.json().get("errors").forEach(e -> errors.add(e.asText()));
        return errors;
    }
}

package io.quiclb.appliance.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.DropwizardTestSupport;
import io.dropwizard.testing.ResourceHelpers;
import io.quiclb.appliance.QuicLbApplication;
import io.quiclb.appliance.QuicLbConfiguration;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Accepted changes survive a restart; a bad state file stops startup; a failed write changes nothing. */
class PersistenceTest {
    @TempDir
    Path directory;

    @Test
    void shouldKeepEveryAcceptedChangeAcrossARestart() throws Exception {
        Path state = directory.resolve("state.json");
        DropwizardTestSupport<QuicLbConfiguration> first = app(state);
        first.before();
        try {
            ApiClient api = new ApiClient(first.getLocalPort());
            assertEquals(200, api.put("/api/v1/configs/4", "{\"serverIdLength\":3,\"nonceLength\":5,"
                    + "\"key\":\"fdf726a9893ec05c0632d3956680baf0\"}").status());
            assertEquals(200, api.put("/api/v1/servers/s5",
                    "{\"address\":\"127.0.0.1:5005\",\"serverIds\":{\"4\":\"050505\"},\"probe\":\"handshake\"}")
                    .status());
            assertEquals(200, api.call("POST", "/api/v1/servers/s1/drain", ApiClient.ADMIN, null).status());
            assertEquals(204, api.call("DELETE", "/api/v1/servers/s2?force=true", ApiClient.ADMIN, null).status(),
                    "s2 was in force at startup: clients may hold its CIDs");
        } finally {
            first.after();
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(state)));
        DropwizardTestSupport<QuicLbConfiguration> second = app(state);
        second.before();
        try {
            ApiClient api = new ApiClient(second.getLocalPort());
            assertEquals("FOUR_PASS", api.get("/api/v1/configs/4").json().get("algorithm").asText());
            assertEquals("050505", api.get("/api/v1/servers/s5").json().get("serverIds").get("4").asText());
            assertEquals("handshake", api.get("/api/v1/servers/s5").json().get("probe").asText());
            assertTrue(api.get("/api/v1/servers/s1").json().get("draining").asBoolean());
            // The state file wins over the seeds in the YAML, which still list s2.
            assertEquals(404, api.get("/api/v1/servers/s2").status());
        } finally {
            second.after();
        }
    }

    @Test
    void shouldRefuseToStartOnACorruptStateFile() throws Exception {
        Path state = directory.resolve("state.json");
        Files.writeString(state, "{\"format\":1,\"configs\":[", StandardCharsets.UTF_8);
        DropwizardTestSupport<QuicLbConfiguration> app = app(state);
        Exception e = assertThrows(Exception.class, app::before);
        assertTrue(messages(e).contains("state file " + state + " cannot be read"), messages(e));
        app.after();
        assertEquals("{\"format\":1,\"configs\":[", Files.readString(state), "never replaced");
    }

    @Test
    void shouldRefuseToStartOnAnInconsistentStateFile() throws Exception {
        Path state = directory.resolve("state.json");
        Files.writeString(state, "{\"format\":1,\"configs\":[{\"configId\":0,\"serverIdLength\":2,\"nonceLength\":6,"
                + "\"threadIdLength\":0,\"key\":null,\"lengthSelfEncoded\":true}],\"servers\":["
                + "{\"name\":\"a\",\"address\":\"127.0.0.1:1\",\"serverIds\":{\"0\":\"0a01\"},\"threadSockets\":[]},"
                + "{\"name\":\"b\",\"address\":\"127.0.0.1:2\",\"serverIds\":{\"0\":\"0a01\"},\"threadSockets\":[]}],"
                + "\"draining\":[]}", StandardCharsets.UTF_8);
        DropwizardTestSupport<QuicLbConfiguration> app = app(state);
        Exception e = assertThrows(Exception.class, app::before);
        assertTrue(messages(e).contains("is not a valid state"), messages(e));
        assertTrue(messages(e).contains("must be unique within config 0"), messages(e));
        app.after();
    }

    @Test
    void shouldChangeNothingWhenTheStateFileCannotBeWritten() throws Exception {
        Path state = directory.resolve("state.json");
        DropwizardTestSupport<QuicLbConfiguration> app = app(state);
        app.before();
        // Once running, a non-empty directory takes the state file's place: no rename can replace it.
        Files.createDirectories(state.resolve("occupied"));
        try {
            ApiClient api = new ApiClient(app.getLocalPort());
            ApiClient.Reply refused = api.put("/api/v1/configs/4", "{\"serverIdLength\":2,\"nonceLength\":6}");
            assertEquals(503, refused.status(), refused.body());
            assertTrue(refused.body().contains("nothing changed"), refused.body());
            assertEquals(404, api.get("/api/v1/configs/4").status());
        } finally {
            app.after();
        }
    }

    private static DropwizardTestSupport<QuicLbConfiguration> app(Path state) {
        return new DropwizardTestSupport<>(QuicLbApplication.class, ResourceHelpers.resourceFilePath("api-test.yml"),
                ConfigOverride.config("api.stateFile", state.toString()));
    }

    private static String messages(Throwable e) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            text.append(t.getMessage()).append(" | ");
        }
        return text.toString();
    }
}

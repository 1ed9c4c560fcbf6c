package io.quiclb.appliance.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.DropwizardTestSupport;
import io.dropwizard.testing.ResourceHelpers;
import io.quiclb.appliance.QuicLbApplication;
import io.quiclb.appliance.QuicLbConfiguration;
import io.quiclb.appliance.config.ApiSettings;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Dropwizard's admin pages need tokens (the real application): tasks and thread dumps the admin token, health
 * checks and metrics the read token, {@code ping} none; and without a {@code server} section nothing listens beyond
 * loopback.
 */
class AdminPagesTest {
    @TempDir
    static Path stateDirectory;
    private static DropwizardTestSupport<QuicLbConfiguration> app;
    private static ApiClient admin;

    @BeforeAll
    static void start() throws Exception {
        app = new DropwizardTestSupport<>(QuicLbApplication.class, ResourceHelpers.resourceFilePath("api-test.yml"),
                ConfigOverride.config("api.stateFile", stateDirectory.resolve("state.json").toString()));
        app.before();
        admin = new ApiClient(app.getAdminPort());
    }

    @AfterAll
    static void stop() {
        app.after();
    }

    @Test
    void shouldLetOnlyTheAdminTokenRunTasks() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Level before = root.getLevel();
        String task = "/admin/tasks/log-level?logger=ROOT&level=OFF";
        ApiClient.Reply anonymous = admin.call("POST", task, null, null);
        assertEquals(401, anonymous.status(), anonymous.body());
        assertEquals("a valid bearer token is required for the admin page /tasks",
                anonymous.json().get("errors").get(0).asText());
        ApiClient.Reply reader = admin.call("POST", task, ApiClient.READ, null);
        assertEquals(403, reader.status(), reader.body());
        assertEquals("the admin page /tasks needs the admin token", reader.json().get("errors").get(0).asText());
        assertEquals(before, root.getLevel(), "a refused task changed nothing");

        String harmless = "/admin/tasks/log-level?logger=io.quiclb.test.unused&level=DEBUG";
        assertEquals(200, admin.call("POST", harmless, ApiClient.ADMIN, null).status());
        assertEquals(Level.DEBUG, ((Logger) LoggerFactory.getLogger("io.quiclb.test.unused")).getLevel());

        assertEquals(401, admin.call("GET", "/admin/threads", null, null).status());
        assertEquals(403, admin.call("GET", "/admin/threads", ApiClient.READ, null).status());
        assertEquals(200, admin.call("GET", "/admin/threads", ApiClient.ADMIN, null).status());
        assertEquals(403, admin.call("GET", "/admin/", ApiClient.READ, null).status(), "the menu page too");
        assertEquals(200, admin.call("GET", "/admin/", ApiClient.ADMIN, null).status());
    }

    @Test
    void shouldRefusePathsThatStepFromAPublicPageIntoAProtectedOne() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Level before = root.getLevel();
        for (String path : new String[] {"/admin/ping/../tasks/log-level?logger=ROOT&level=OFF",
            "/admin/./tasks/log-level?logger=ROOT&level=OFF", "/admin//tasks/log-level?logger=ROOT&level=OFF",
            "/admin/%74asks/log-level?logger=ROOT&level=OFF", "/admin/ping;x/../tasks/log-level?logger=ROOT&level=OFF",
            "/admin/ping/x"}) {
            int status = rawStatus("POST", path, null);
            assertTrue(status == 400 || status == 401, path + " answered " + status);
        }
        assertEquals(before, root.getLevel(), "no task ran");
        int threads = rawStatus("GET", "/admin/metrics/../threads", ApiClient.READ);
        assertTrue(threads == 400 || threads == 403, "/admin/metrics/../threads with the read token: " + threads);
        assertEquals(200, rawStatus("GET", "/admin/ping", null));
    }

    /** Sends the path exactly as written (HTTP clients normalise {@code ..}) and returns the status. */
    private static int rawStatus(String method, String path, String token) throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", app.getAdminPort())) {
            socket.setSoTimeout(10_000);
            String request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
                    + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "Connection: close\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    java.nio.charset.StandardCharsets.US_ASCII)).readLine();
            return Integer.parseInt(status.split(" ")[1]);
        }
    }

    @Test
    void shouldLetTheReadTokenSeeHealthAndMetricsAndAnyoneSeePing() throws Exception {
        for (String page : new String[] {"/admin/healthcheck", "/admin/metrics", "/admin/prometheus"}) {
            assertEquals(401, admin.call("GET", page, null, null).status(), page);
            int status = admin.call("GET", page, ApiClient.READ, null).status();
            assertTrue(status == 200 || status == 500, page + " answered " + status); // 500: a failing health check
            assertEquals(status, admin.call("GET", page, ApiClient.ADMIN, null).status(), page);
        }
        assertEquals(200, admin.call("GET", "/admin/ping", null, null).status());
    }

    @Test
    void shouldRefuseToMakeAnAdminOnlyPagePublic() {
        IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> new ApiSettings(null, null, null,
                        java.util.List.of("ping", "tasks"), null, null));
        assertEquals("api.publicAdminPages: must list only pages that report (healthcheck, metrics, ping,"
                + " prometheus); tasks, thread dumps and profiles always need the admin token: tasks",
                refused.getMessage());
    }

    @Test
    void shouldListenOnLoopbackOnlyWithoutAServerSection() {
        var server = new QuicLbConfiguration().getServerFactory();
        var simple = (io.dropwizard.core.server.SimpleServerFactory) server;
        var connector = (io.dropwizard.jetty.HttpConnectorFactory) simple.getConnector();
        assertEquals("127.0.0.1", connector.getBindHost());
        assertEquals(8080, connector.getPort());
        assertEquals("/admin", simple.getAdminContextPath());
    }
}

package io.quiclb.appliance.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.testing.DropwizardTestSupport;
import io.quiclb.appliance.Await;
import io.quiclb.appliance.QuicLbApplication;
import io.quiclb.appliance.QuicLbConfiguration;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JSON logging that docs/configuration.md documents: Dropwizard's {@code json} layout for the application log and
 * {@code access-json} for the request log, on file appenders, in the real application. Every line is a JSON object;
 * the application's startup line and a request's access line are there with their fields.
 */
class JsonLoggingTest {
    private static final String READ = "read-token-0123456789";
    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path directory;

    @Test
    void shouldWriteTheApplicationAndRequestLogsAsJsonLines() throws Exception {
        Path log = directory.resolve("quiclb.json");
        Path access = directory.resolve("access.json");
        Path config = directory.resolve("config.yml");
        Files.writeString(config, String.join("\n",
                "server:",
                "  type: simple",
                "  applicationContextPath: /",
                "  adminContextPath: /admin",
                "  connector: {type: http, bindHost: 127.0.0.1, port: 0}",
                "  requestLog:",
                "    appenders:",
                "      - {type: file, currentLogFilename: '" + access + "', archive: false, layout: {type: access-json}}",
                "logging:",
                "  level: INFO",
                "  appenders:",
                "    - {type: file, currentLogFilename: '" + log + "', archive: false, layout: {type: json}}",
                "forwarder:",
                "  workers: 1",
                "  listeners: [\"127.0.0.1:0\"]",
                "quicLb:",
                "  configs:",
                "    - {configId: 0, serverIdLength: 2, nonceLength: 6, threadIdLength: 1,"
                        + " key: 8f95f09245765f80256934e50c66207f}",
                "servers:",
                "  - {name: s1, address: \"127.0.0.1:5001\", serverIds: {0: \"0a01\"}}",
                "api:",
                "  stateFile: '" + directory.resolve("state.json") + "'",
                "  readToken: " + READ,
                "health: {enabled: false}",
                ""), StandardCharsets.UTF_8);
        DropwizardTestSupport<QuicLbConfiguration> app = new DropwizardTestSupport<>(QuicLbApplication.class,
                config.toString());
        app.before();
        try {
            HttpResponse<String> stats = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.getLocalPort() + "/api/v1/stats"))
                            .header("Authorization", "Bearer " + READ).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, stats.statusCode(), stats.body());

            // Dropwizard's appenders are asynchronous: wait for the lines.
            // The application's ready line (listeners, configs and servers in force).
            Predicate<JsonNode> startup = line -> "io.quiclb.appliance.QuicLbApplication".equals(text(line, "logger"))
                    && "INFO".equals(text(line, "level"));
            assertTrue(Await.until(() -> lines(log).stream().anyMatch(startup)), "no startup line in " + lines(log));
            JsonNode line = lines(log).stream().filter(startup).findFirst().orElseThrow();
            assertTrue(text(line, "message").startsWith("quiclb ready: QUIC on "), line.toString());
            assertFalse(text(line, "thread").isEmpty(), line.toString());
            assertTrue(line.has("timestamp"), line.toString());

            Predicate<JsonNode> request = entry -> "/api/v1/stats".equals(text(entry, "uri"));
            assertTrue(Await.until(() -> lines(access).stream().anyMatch(request)), "no access line: "
                    + lines(access));
            JsonNode entry = lines(access).stream().filter(request).findFirst().orElseThrow();
            assertEquals("GET", text(entry, "method"));
            assertEquals(200, entry.get("status").asInt(), entry.toString());
        } finally {
            app.after();
        }
    }

    private static String text(JsonNode line, String field) {
        JsonNode value = line.get(field);
        return value == null ? "" : value.asText();
    }

    /**
     * Every complete line of a log file (up to its last newline: an appender may be writing the next one), each parsed
     * as a JSON object; a line that is not one fails the test.
     */
    private List<JsonNode> lines(Path file) {
        List<JsonNode> lines = new ArrayList<>();
        try {
            if (!Files.exists(file)) {
                return lines;
            }
            String content = Files.readString(file, StandardCharsets.UTF_8);
            for (String text : content.substring(0, content.lastIndexOf('\n') + 1).split("\n")) {
                if (text.isBlank()) {
                    continue;
                }
                JsonNode line = json.readTree(text);
                assertTrue(line.isObject(), file + ": not a JSON object: " + text);
                lines.add(line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": a line is not JSON", e);
        }
        return lines;
    }
}

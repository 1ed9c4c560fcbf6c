package io.quiclb.appliance.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A QUIC stack in C that this project did not write: ngtcp2's HTTP/3 client ({@code gtlsclient}, Debian package
 * ngtcp2-client) against the demo backends through the appliance. It migrates actively after the handshake (a new
 * local port and a new server-issued DCID, with path validation), then fetches two resources; both must come from
 * the server thread that issued the new CID.
 *
 * <p>{@code .ci/run} installs ngtcp2-client and sets {@code QUICLB_REQUIRE_INTEROP=1}, which turns a missing
 * client into a failure; elsewhere the test is skipped without it.
 */
class Ngtcp2MigrationTest {
    private static final Path CLIENT = Path.of("/usr/bin/gtlsclient");
    private static final Pattern SHORT_HEADER_DCID = Pattern.compile("pkt tx pkn=\\d+ dcid=0x([0-9a-f]+) type=1RTT");

    @Test
    void shouldKeepAnNgtcp2ClientOnOneServerThreadAcrossItsActiveMigration(@TempDir Path directory) throws Exception {
        if (!Files.isExecutable(CLIENT)) {
            if ("1".equals(System.getenv("QUICLB_REQUIRE_INTEROP"))) {
                fail(CLIENT + " is missing: apt-get install ngtcp2-client");
            }
            Assumptions.abort(CLIENT + " is missing (apt-get install ngtcp2-client); .ci/run installs it");
        }
        Path downloads = Files.createDirectory(directory.resolve("downloads"));
        Path log = directory.resolve("gtlsclient.log");
        try (DemoAppliance appliance = new DemoAppliance(directory)) {
            DemoClient counters = new DemoClient(appliance.listener(), appliance.prometheus(),
                    new PrintStream(PrintStream.nullOutputStream(), true, StandardCharsets.UTF_8));
            Map<String, Long> before = counters.counters();
            Process client = new ProcessBuilder(CLIENT.toString(), "--exit-on-all-streams-close", "--timeout=5s",
                    "--download=" + downloads, "--change-local-addr=200ms", "--delay-stream=1s",
                    "127.0.0.1", String.valueOf(appliance.listener().getPort()),
                    "https://localhost/a", "https://localhost/b")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                assertTrue(client.waitFor(30, TimeUnit.SECONDS), "gtlsclient did not finish within 30 s");
            } finally {
                client.destroyForcibly();
            }
            String output = Files.readString(log);
            assertEquals(0, client.exitValue(), tail(output));
            assertTrue(output.contains("Local address is now"), "the client changed its local address");

            List<String> dcids = new ArrayList<>(new LinkedHashSet<>(matches(SHORT_HEADER_DCID, output)));
            assertTrue(dcids.size() >= 2, "a new DCID after the migration: " + dcids);
            String a = Files.readString(downloads.resolve("a")).strip();
            String b = Files.readString(downloads.resolve("b")).strip();
            assertEquals(field(a, "server") + field(a, "thread"), field(b, "server") + field(b, "thread"),
                    a + " / " + b);
            // The requests went after the migration, to the new CID, and the server saw them arrive on it.
            assertEquals(dcids.get(dcids.size() - 1), field(b, "cid"), b);

            Map<String, Long> after = counters.counters();
            assertEquals(2, after.get("flows_opened_total") - before.get("flows_opened_total"),
                    "one NAT flow before the migration and one after");
            assertTrue(after.get("routed_total{via=\"thread\"}") - before.get("routed_total{via=\"thread\"}") > 0);
            String noServer = "unroutable_short_total{reason=\"no-server-for-sid\"}";
            assertEquals(0, after.get(noServer) - before.get(noServer));
        }
    }

    private static List<String> matches(Pattern pattern, String text) {
        List<String> found = new ArrayList<>();
        Matcher matcher = pattern.matcher(text);
        while (matcher.find()) {
            found.add(matcher.group(1));
        }
        return found;
    }

    private static String field(String answer, String key) {
        for (String part : answer.split(" ")) {
            if (part.startsWith(key + "=")) {
                return part.substring(key.length() + 1);
            }
        }
        throw new AssertionError("no " + key + " in: " + answer);
    }

    private static String tail(String output) {
        return output.length() <= 2000 ? output : output.substring(output.length() - 2000);
    }
}

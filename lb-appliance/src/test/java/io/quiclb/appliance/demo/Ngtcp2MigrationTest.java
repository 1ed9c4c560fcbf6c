package io.quiclb.appliance.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A QUIC stack in C that this project did not write: ngtcp2's HTTP/3 client ({@code gtlsclient}, Debian package
 * ngtcp2-client) against the demo backends through the appliance. It migrates actively after the handshake (a new
 * local port and a new server-issued DCID, with path validation), then fetches two resources; both must come from
 * the server thread that issued the new CID.
 *
 * <p>Skipped without the client, except in CI ({@link Gtlsclient#requirePresent}).
 */
class Ngtcp2MigrationTest {
    @Test
    void shouldKeepAnNgtcp2ClientOnOneServerThreadAcrossItsActiveMigration(@TempDir Path directory) throws Exception {
        Gtlsclient.requirePresent();
        Path downloads = Files.createDirectory(directory.resolve("downloads"));
        Path log = directory.resolve("gtlsclient.log");
        try (DemoAppliance appliance = new DemoAppliance(directory)) {
            DemoClient counters = new DemoClient(appliance.listener(), appliance.stats(), DemoAppliance.READ_TOKEN,
                    new PrintStream(PrintStream.nullOutputStream(), true, StandardCharsets.UTF_8));
            Map<String, Long> before = counters.counters();
            Process client = new ProcessBuilder(Gtlsclient.PATH.toString(), "--exit-on-all-streams-close", "--timeout=5s",
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
            assertEquals(0, client.exitValue(), Gtlsclient.tail(output));
            assertTrue(output.contains("Local address is now"), "the client changed its local address");

            List<String> dcids = Gtlsclient.shortHeaderDcids(output);
            assertTrue(dcids.size() >= 2, "a new DCID after the migration: " + dcids);
            String a = Files.readString(downloads.resolve("a")).strip();
            String b = Files.readString(downloads.resolve("b")).strip();
            assertEquals(field(a, "server") + field(a, "thread"), field(b, "server") + field(b, "thread"),
                    a + " / " + b);
            // The requests went after the migration, to the new CID, and the server saw them arrive on it.
            assertEquals(dcids.get(dcids.size() - 1), field(b, "cid"), b);

            Map<String, Long> after = counters.counters();
            assertEquals(2, after.get("flows-opened") - before.get("flows-opened"),
                    "one NAT flow before the migration and one after");
            assertTrue(after.get("routed-to-thread") - before.get("routed-to-thread") > 0);
            assertEquals(0, after.get("unroutable-short.no-server-for-sid") - before.get("unroutable-short.no-server-for-sid"));
        }
    }

    private static String field(String answer, String key) {
        for (String part : answer.split(" ")) {
            if (part.startsWith(key + "=")) {
                return part.substring(key.length() + 1);
            }
        }
        throw new AssertionError("no " + key + " in: " + answer);
    }
}

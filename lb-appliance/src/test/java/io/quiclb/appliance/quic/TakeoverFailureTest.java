package io.quiclb.appliance.quic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quiclb.appliance.EchoBackend;
import io.quiclb.appliance.Prerequisites;
import io.quiclb.appliance.config.AesKeyHex;
import io.quiclb.appliance.config.LbConfigEntry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A takeover that goes wrong leaves one appliance serving, never none: a configuration that fails validation, a new
 * process that fails after it received the sockets (the old one rolls back: it reads again and takes changes), and
 * an old process killed with SIGKILL (the new one finds nobody on the handover socket and starts on its own).
 */
class TakeoverFailureTest {
    private static final LbConfigEntry CONFIG = new LbConfigEntry(0, 2, 8, 1,
            AesKeyHex.parse("8f95f09245765f80256934e50c66207f"), true);

    @TempDir
    Path directory;

    @Test
    void shouldLeaveOneApplianceServingWhenATakeoverFails() throws Exception {
        try (EchoBackend echo = new EchoBackend()) {
            ApplianceProcess appliance = startWith(echo);
            try {
                assertAnswers(appliance);

                // A configuration that fails validation: exit 1, and nothing was asked of the running appliance.
                Path invalid = directory.resolve("invalid.yml");
                Files.writeString(invalid, Files.readString(appliance.config()).replace("workers: 2", "workers: 0"));
                ApplianceProcess refused = appliance.startTakeover(invalid);
                assertEquals(1, refused.waitFor(60, TimeUnit.SECONDS), String.join("\n", refused.lines()));
                refused.close();
                assertAnswers(appliance);
                assertEquals(200, appliance.change("POST", "/api/v1/servers/echo/drain", null));

                // The new process fails after it received the sockets (here: the state file it reads is corrupt).
                Path state = directory.resolve("state.json");
                String good = Files.readString(state);
                Files.writeString(state, "{\"format\": 1, \"configs\": [", StandardCharsets.UTF_8);
                ApplianceProcess failed = appliance.startTakeover(null);
                assertEquals(1, failed.waitFor(60, TimeUnit.SECONDS), String.join("\n", failed.lines()));
                assertTrue(failed.lines().stream().anyMatch(l -> l.contains("listener socket(s) from the running appliance")),
                        "it got as far as the sockets: " + String.join("\n", failed.lines()));
                failed.close();
                ApplianceProcess running = appliance;
                assertTrue(io.quiclb.appliance.Await.until(() -> running.lines().stream()
                        .anyMatch(l -> l.contains("takeover rolled back"))), String.join("\n", running.lines()));
                assertAnswers(appliance);
                assertEquals(200, appliance.change("POST", "/api/v1/servers/echo/undrain", null),
                        "the control plane thawed, and the state file is the old appliance's again");
                assertTrue(Files.readString(state).contains("\"echo\"") && !Files.readString(state).equals(good));

                // The old process dies hard: a takeover then finds nobody and starts on its own.
                Runtime.getRuntime().exec(new String[] {"kill", "-9", Long.toString(appliance.pid())}).waitFor();
                assertNotEquals(-1, appliance.waitFor(30, TimeUnit.SECONDS));
                ApplianceProcess alone = appliance.takeover();
                appliance.close();
                appliance = alone;
                assertTrue(alone.lines().stream().anyMatch(l -> l.contains("no appliance answers")),
                        String.join("\n", alone.lines()));
                assertAnswers(alone);
                assertTrue(alone.isAlive());
            } finally {
                appliance.close();
            }
        }
    }

    /**
     * A new appliance with another worker count cannot take the flows (each goes to the worker of the same index):
     * the old one keeps and drains them, and exits 0. An old appliance killed after it passed its listener sockets,
     * before it handed its flows over, leaves the new one serving on those sockets.
     */
    @Test
    void shouldServeWhenFlowsCannotBeHandedOver() throws Exception {
        try (EchoBackend echo = new EchoBackend()) {
            ApplianceProcess appliance = startWith(echo);
            try {
                assertAnswers(appliance);

                Path oneWorker = directory.resolve("one-worker.yml");
                Files.writeString(oneWorker, Files.readString(appliance.config()).replace("workers: 2", "workers: 1"));
                ApplianceProcess next = appliance.startTakeover(oneWorker);
                assertTrue(io.quiclb.appliance.Await.until(() -> next.lines().stream()
                        .anyMatch(l -> l.contains("quiclb ready:")), TimeUnit.SECONDS.toNanos(60)),
                        String.join("\n", next.lines()));
                assertEquals(0, appliance.waitFor(60, TimeUnit.SECONDS), String.join("\n", appliance.lines()));
                assertTrue(next.lines().stream().anyMatch(l -> l.contains("NAT flows kept and drained by the"
                        + " appliance taken over: the new appliance runs 1 worker(s), this one 2")),
                        String.join("\n", next.lines()));
                appliance.close();
                appliance = next;
                assertAnswers(appliance);

                ApplianceProcess last = appliance.startTakeover(null);
                assertTrue(io.quiclb.appliance.Await.until(() -> last.lines().stream()
                        .anyMatch(l -> l.contains("listener socket(s) from the running appliance")),
                        TimeUnit.SECONDS.toNanos(60)), String.join("\n", last.lines()));
                Runtime.getRuntime().exec(new String[] {"kill", "-9", Long.toString(appliance.pid())}).waitFor();
                assertNotEquals(-1, appliance.waitFor(30, TimeUnit.SECONDS));
                assertTrue(io.quiclb.appliance.Await.until(() -> last.lines().stream()
                        .anyMatch(l -> l.contains("quiclb ready:")), TimeUnit.SECONDS.toNanos(60)),
                        String.join("\n", last.lines()));
                appliance.close();
                appliance = last;
                assertTrue(last.lines().stream().anyMatch(l -> l.contains("serving on its listeners without its"
                        + " flows")),
                        String.join("\n", last.lines()));
                assertAnswers(last);
            } finally {
                appliance.close();
            }
        }
    }

    /** Starts an appliance (epoll, 2 workers) whose one server is the echo backend. */
    private ApplianceProcess startWith(EchoBackend echo) throws Exception {
        Prerequisites.require(Files.isExecutable(Path.of("/usr/bin/prlimit")),
                "prlimit sets the descriptor limit: apt-get install util-linux");
        return ApplianceProcess.start(directory, "  transport: epoll\n  workers: 2",
                "  - {name: echo, address: \"127.0.0.1:" + echo.port() + "\", serverIds: {0: \"0b01\"},"
                        + " probe: none}\n", 4096);
    }

    /** A CID-routed datagram to the echo backend comes back through the appliance (5 tries, 2 s each). */
    static void assertAnswers(ApplianceProcess appliance) throws Exception {
        if (!io.quiclb.appliance.ShortHeaders.echoed(appliance.listener(), CONFIG.toQuicLbConfig(), "0b01", 5,
                2_000)) {
            throw new AssertionError("no answer through the appliance:\n" + String.join("\n", appliance.lines()));
        }
    }
}

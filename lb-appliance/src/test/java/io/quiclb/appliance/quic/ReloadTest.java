package io.quiclb.appliance.quic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quiclb.appliance.EchoBackend;
import io.quiclb.appliance.Await;
import io.quiclb.appliance.Prerequisites;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code systemctl reload} does, without systemd: SIGHUP makes the running appliance start a takeover of itself,
 * twice in a row (the second from a process that was itself started by a takeover); and a new appliance that dies
 * right after it took over leaves the old one, still draining, serving again.
 */
class ReloadTest {
    @TempDir
    Path directory;
    private EchoBackend echo;

    @BeforeEach
    void startEcho() throws Exception {
        Prerequisites.require(Files.isExecutable(Path.of("/usr/bin/prlimit")),
                "prlimit sets the descriptor limit: apt-get install util-linux");
        echo = new EchoBackend();
    }

    @AfterEach
    void stopEcho() throws java.io.IOException {
        echo.close();
    }

    @Test
    void shouldTakeOverOnSighupTwiceInARow() throws Exception {
        ApplianceProcess first = start();
        long current = first.pid();
        try {
            for (int reload = 1; reload <= 2; reload++) {
                long old = current;
                signal("HUP", old);
                assertTrue(Await.until(() -> holder() != old && ProcessHandle.of(old).isEmpty(),
                        TimeUnit.SECONDS.toNanos(60)), "reload " + reload + ": pid " + old + " handed over and left:\n"
                        + String.join("\n", first.lines()));
                current = holder();
                assertTrue(ProcessHandle.of(current).map(ProcessHandle::isAlive).orElse(false));
                TakeoverFailureTest.assertAnswers(first);
            }
            assertEquals(0, first.waitFor(5, TimeUnit.SECONDS), "the first appliance exited 0");
        } finally {
            long last = current;
            ProcessHandle.of(last).ifPresent(ProcessHandle::destroy);
            Await.until(() -> ProcessHandle.of(last).isEmpty(), TimeUnit.SECONDS.toNanos(10));
            ProcessHandle.of(last).ifPresent(ProcessHandle::destroyForcibly);
            first.close();
        }
    }

    @Test
    void shouldServeAgainWhenTheNewApplianceDiesWhileTheOldOneDrains() throws Exception {
        try (ApplianceProcess old = start()) {
            ApplianceProcess next = old.takeover();
            try {
                signal("KILL", next.pid());
                assertNotEquals(-1, next.waitFor(10, TimeUnit.SECONDS));
            } finally {
                next.close();
            }
            assertTrue(Await.until(() -> old.lines().stream().anyMatch(l -> l.contains("takes its listeners back"))),
                    String.join("\n", old.lines()));
            Thread.sleep(3_000); // past the drain's quiet period: it would have exited by now
            assertTrue(old.isAlive(), "the old appliance serves on:\n" + String.join("\n", old.lines()));
            TakeoverFailureTest.assertAnswers(old);
            assertEquals(200, old.change("POST", "/api/v1/servers/echo/drain", null), "and takes changes again");
        }
    }

    private ApplianceProcess start() throws Exception {
        return ApplianceProcess.start(directory, "  transport: epoll\n  workers: 2",
                "  - {name: echo, address: \"127.0.0.1:" + echo.port() + "\", serverIds: {0: \"0b01\"},"
                        + " probe: none}\n", 4096);
    }

    /** @return the pid in the state file's lock: the appliance that serves */
    private long holder() {
        try {
            return Long.parseLong(Files.readString(directory.resolve("state.json.lock")).trim());
        } catch (java.io.IOException | NumberFormatException e) {
            return -1;
        }
    }

    private static void signal(String signal, long pid) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor());
    }
}

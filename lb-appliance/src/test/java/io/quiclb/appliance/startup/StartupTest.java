package io.quiclb.appliance.startup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quiclb.appliance.Await;
import io.quiclb.appliance.ChildProcess;
import io.quiclb.appliance.QuicLbApplication;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The appliance as an operator starts it, in a JVM of its own: one line and exit 1 when a listener is taken (by any
 * process, or by a running appliance), the file argument required, a ready line naming what serves, and
 * {@code check} that reads the state file.
 */
class StartupTest {
    private static final String READY = "quiclb ready: QUIC on ";

    @TempDir
    Path directory;

    @Test
    void shouldSayInOneLineWhichListenerIsTakenAndExit1() throws Exception {
        try (DatagramSocket taken = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            Path config = config(directory, taken.getLocalPort(), freeTcpPort());
            try (ChildProcess appliance = start("server", config)) {
                assertEquals(1, appliance.waitFor(60, TimeUnit.SECONDS), String.join("\n", appliance.lines()));
                List<String> failure = appliance.lines().stream().filter(l -> l.startsWith("quiclb: cannot start"))
                        .toList();
                assertEquals(List.of("quiclb: cannot start: forwarder.listeners[0] 127.0.0.1:" + taken.getLocalPort()
                        + ": cannot bind: Address already in use; held by pid " + ProcessHandle.current().pid()),
                        failure.stream().map(l -> l.substring(0, l.indexOf(" (", l.indexOf("held by")))).toList(),
                        String.join("\n", appliance.lines()));
                assertTrue(failure.get(0).endsWith("If another appliance runs there, take it over (`takeover` with"
                        + " its configuration) or stop it first: two appliances on one listener would split its"
                        + " traffic"), failure.get(0));
                assertFalse(appliance.lines().stream().anyMatch(l -> l.startsWith("\tat ")),
                        "no stack trace: " + String.join("\n", appliance.lines()));
            }
        }
    }

    @Test
    void shouldRefuseASecondApplianceOnTheSameListenerAndSayWhichProcessHasIt() throws Exception {
        int udp;
        try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            udp = probe.getLocalPort();
        }
        Path first = config(Files.createDirectory(directory.resolve("first")), udp, freeTcpPort());
        Path second = config(Files.createDirectory(directory.resolve("second")), udp, freeTcpPort());
        try (ChildProcess running = start("server", first)) {
            assertTrue(Await.until(() -> running.lines().stream().anyMatch(l -> l.contains(READY))),
                    String.join("\n", running.lines()));
            String ready = running.lines().stream().filter(l -> l.contains(READY)).findFirst().orElseThrow();
            assertTrue(ready.contains(READY + "127.0.0.1:" + udp + " ("), ready);
            assertTrue(ready.contains(" workers); configs [0]; 1 servers; API http://127.0.0.1:"), ready);
            assertTrue(ready.matches(".*/api/v1; admin http://127\\.0\\.0\\.1:\\d+/admin$"), ready);
            try (ChildProcess intruder = start("server", second)) {
                assertEquals(1, intruder.waitFor(60, TimeUnit.SECONDS), String.join("\n", intruder.lines()));
                String line = intruder.lines().stream().filter(l -> l.startsWith("quiclb: cannot start"))
                        .findFirst().orElseThrow(() -> new AssertionError(String.join("\n", intruder.lines())));
                assertTrue(line.contains("forwarder.listeners[0] 127.0.0.1:" + udp + ": cannot bind: Address already"
                        + " in use; held by pid " + running.pid() + " ("), line);
                assertTrue(line.contains(QuicLbApplication.class.getName() + " server " + first), line);
            }
            assertTrue(running.isAlive(), "the running appliance carries on");
        }
    }

    @Test
    void shouldRefuseASecondApplianceOnTheSameStateFileAndABusyHttpPort() throws Exception {
        int udp;
        try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            udp = probe.getLocalPort();
        }
        Path config = config(directory, udp, freeTcpPort());
        try (ChildProcess running = start("server", config)) {
            assertTrue(Await.until(() -> running.lines().stream().anyMatch(l -> l.contains(READY))),
                    String.join("\n", running.lines()));
            Path other = Files.writeString(directory.resolve("other.yml"), Files.readString(config)
                    .replace("127.0.0.1:" + udp, "127.0.0.1:0")
                    .replaceFirst("port: \\d+", "port: " + freeTcpPort()));
            try (ChildProcess second = start("server", other)) {
                assertEquals(1, second.waitFor(60, TimeUnit.SECONDS), String.join("\n", second.lines()));
                assertTrue(second.lines().contains("quiclb: cannot start: api.stateFile " + directory.resolve(
                        "state.json") + " is in use by another appliance (pid " + running.pid() + "): two appliances"
                        + " must not share a state file; stop that one first, or give this one a state file of its"
                        + " own"), String.join("\n", second.lines()));
            }
            try (ServerSocket http = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                Path busy = Files.createDirectory(directory.resolve("busy"));
                try (ChildProcess third = start("server", config(busy, 0, http.getLocalPort()))) {
                    assertEquals(1, third.waitFor(60, TimeUnit.SECONDS), String.join("\n", third.lines()));
                    assertTrue(third.lines().contains("quiclb: cannot start: server connector 127.0.0.1:"
                            + http.getLocalPort() + " (the API and admin pages): cannot bind: Address already in use"),
                            String.join("\n", third.lines()));
                    assertFalse(third.lines().stream().anyMatch(l -> l.startsWith("\tat ")),
                            String.join("\n", third.lines()));
                }
            }
            assertTrue(running.isAlive());
        }
    }

    @Test
    void shouldRequireTheConfigurationFile() throws Exception {
        try (ChildProcess server = start("server", null)) {
            assertNotEquals(0, server.waitFor(60, TimeUnit.SECONDS));
            assertTrue(server.lines().stream().anyMatch(l -> l.contains("too few arguments")),
                    String.join("\n", server.lines()));
            assertFalse(server.lines().stream().anyMatch(l -> l.contains("Started")), "nothing started");
        }
        try (ChildProcess check = start("check", null)) {
            assertNotEquals(0, check.waitFor(60, TimeUnit.SECONDS));
            assertTrue(check.lines().stream().anyMatch(l -> l.contains("too few arguments")),
                    String.join("\n", check.lines()));
        }
    }

    @Test
    void shouldCheckTheStateFileAndSayWhenItOverridesConfigYml() throws Exception {
        Path config = config(directory, 0, freeTcpPort());
        try (ChildProcess check = start("check", config)) {
            assertEquals(0, check.waitFor(60, TimeUnit.SECONDS), String.join("\n", check.lines()));
            assertTrue(check.lines().stream().anyMatch(l -> l.startsWith("No state file at ")), String.join("\n",
                    check.lines()));
            assertTrue(check.lines().stream().anyMatch(l -> l.startsWith("Configuration is OK; ")));
        }
        Files.writeString(directory.resolve("state.json"), """
                {"format": 1,
                 "configs": [{"configId": 0, "serverIdLength": 2, "nonceLength": 8, "threadIdLength": 0,
                              "key": null, "lengthSelfEncoded": true}],
                 "servers": [{"name": "s1", "address": "127.0.0.1:5901", "serverIds": {"0": "0a01"},
                              "threadSockets": [], "probe": "none"},
                             {"name": "s9", "address": "127.0.0.1:5909", "serverIds": {"0": "0a09"},
                              "threadSockets": [], "probe": "none"}],
                 "draining": []}
                """, StandardCharsets.UTF_8);
        try (ChildProcess check = start("check", config)) {
            assertEquals(0, check.waitFor(60, TimeUnit.SECONDS), String.join("\n", check.lines()));
            String line = check.lines().stream().filter(l -> l.startsWith("State file ")).findFirst()
                    .orElseThrow(() -> new AssertionError(String.join("\n", check.lines())));
            assertTrue(line.endsWith("(1 config(s), 2 server(s)) overrides config.yml's quicLb and servers; they"
                    + " differ: configs/0: differs; servers/s1: differs; servers/s9: only in the state file"), line);
        }
        try (ChildProcess server = start("server", config)) {
            assertTrue(Await.until(() -> server.lines().stream().anyMatch(l -> l.contains(READY))),
                    String.join("\n", server.lines()));
            assertTrue(server.lines().stream().anyMatch(l -> l.startsWith("WARN") && l.contains("config.yml's quicLb"
                    + " and servers differ from the state file") && l.contains("which wins: configs/0: differs;"
                    + " servers/s1: differs; servers/s9: only in the state file")), String.join("\n", server.lines()));
        }
        Files.writeString(directory.resolve("state.json"), "{\"format\": 1, \"configs\": [", StandardCharsets.UTF_8);
        try (ChildProcess check = start("check", config)) {
            assertEquals(1, check.waitFor(60, TimeUnit.SECONDS), String.join("\n", check.lines()));
            assertTrue(check.lines().stream().anyMatch(l -> l.startsWith("quiclb: check failed: state file ")
                    && l.contains("cannot be read")), String.join("\n", check.lines()));
            assertFalse(check.lines().stream().anyMatch(l -> l.contains("Configuration is OK")));
        }
    }

    private static ChildProcess start(String command, Path config) throws Exception {
        List<String> args = config == null ? List.of(command) : List.of(command, config.toString());
        return ChildProcess.start(ChildProcess.javaCommand(List.of("-Xmx256m"), QuicLbApplication.class,
                args.toArray(String[]::new)));
    }

    private static int freeTcpPort() throws Exception {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    /** A config.yml: one listener, one server that nothing needs to answer, the state file beside it. */
    static Path config(Path directory, int udpPort, int httpPort) throws Exception {
        Path config = directory.resolve("config.yml");
        Files.writeString(config, """
                server:
                  type: simple
                  applicationContextPath: /
                  adminContextPath: /admin
                  connector: {type: http, bindHost: 127.0.0.1, port: %d}
                logging: {level: INFO}
                forwarder:
                  workers: 1
                  listeners: ["127.0.0.1:%d"]
                quicLb:
                  configs:
                    - {configId: 0, serverIdLength: 2, nonceLength: 6}
                servers:
                  - {name: s1, address: "127.0.0.1:5901", serverIds: {0: "0a01"}, probe: versionNegotiation}
                api:
                  stateFile: %s
                health: {enabled: false}
                """.formatted(httpPort, udpPort, directory.resolve("state.json")), StandardCharsets.UTF_8);
        return config;
    }
}

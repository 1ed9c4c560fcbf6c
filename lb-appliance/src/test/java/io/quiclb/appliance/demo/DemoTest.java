package io.quiclb.appliance.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.core.server.SimpleServerFactory;
import io.dropwizard.jetty.HttpConnectorFactory;
import io.dropwizard.jetty.HttpsConnectorFactory;
import io.dropwizard.testing.DropwizardTestSupport;
import io.quiclb.appliance.QuicLbApplication;
import io.quiclb.appliance.QuicLbConfiguration;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo as a user runs it: the application with {@code demo.backends: true} starts HTTP/3 backends for its three
 * servers (two thread sockets each), and the demo client goes through the appliance, migrates, and checks that one
 * server thread answered throughout.
 */
class DemoTest {

    @Test
    void shouldServeHttp3ThroughTheApplianceAndKeepAMigratingClientOnOneServerThread(@TempDir Path directory)
            throws Exception {
        List<Integer> ports = freeUdpPorts(10);
        StringBuilder servers = new StringBuilder();
        for (int s = 0; s < 3; s++) {
            servers.append("  - {name: s").append(s + 1).append(", address: \"127.0.0.1:").append(ports.get(1 + 3 * s))
                    .append("\", serverIds: {0: \"0a0").append(s + 1).append("\"}, threadSockets: [\"127.0.0.1:")
                    .append(ports.get(2 + 3 * s)).append("\", \"127.0.0.1:").append(ports.get(3 + 3 * s))
                    .append("\"]}\n");
        }
        Path config = directory.resolve("demo-test.yml");
        Files.writeString(config, """
                server:
                  type: simple
                  applicationContextPath: /
                  adminContextPath: /admin
                  connector: {type: http, bindHost: 127.0.0.1, port: 0}
                logging: {level: WARN}
                forwarder:
                  workers: 1
                  listeners: ["127.0.0.1:%d"]
                quicLb:
                  configs:
                    - {configId: 0, serverIdLength: 2, nonceLength: 6, threadIdLength: 1, key: 8f95f09245765f80256934e50c66207f}
                servers:
                %s
                api:
                  stateFile: %s
                demo:
                  backends: true
                """.formatted(ports.get(0), servers, directory.resolve("state.json")));
        DropwizardTestSupport<QuicLbConfiguration> app =
                new DropwizardTestSupport<>(QuicLbApplication.class, config.toString());
        app.before();
        try {
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            URI prometheus = URI.create("http://127.0.0.1:" + app.getAdminPort() + "/admin/prometheus");
            String failure = new DemoClient(new InetSocketAddress("127.0.0.1", ports.get(0)), prometheus,
                    new PrintStream(output, true, StandardCharsets.UTF_8)).run(2);
            String report = output.toString(StandardCharsets.UTF_8);
            assertNull(failure, report);
            Matcher answer = Pattern.compile("-> 200 server=(s\\d) thread=(\\d)").matcher(report);
            int answers = 0;
            while (answer.find()) {
                answers++;
            }
            assertEquals(4, answers, report);
            assertTrue(report.contains("active migration"), report);
            assertTrue(report.contains("routed_to_thread +"), "counters show routing to thread sockets: " + report);
        } finally {
            app.after();
        }
    }

    @Test
    void shouldFindThePrometheusEndpointOfTheAdminConnector() {
        SimpleServerFactory simple = new SimpleServerFactory();
        HttpConnectorFactory connector = new HttpConnectorFactory();
        connector.setBindHost("127.0.0.1");
        connector.setPort(8080);
        simple.setConnector(connector);
        simple.setAdminContextPath("/admin");
        assertEquals(URI.create("http://127.0.0.1:8080/admin/prometheus"), DemoCommand.prometheusUri(simple));

        DefaultServerFactory standard = new DefaultServerFactory();
        HttpConnectorFactory admin = new HttpConnectorFactory();
        admin.setPort(8081);
        standard.setAdminConnectors(List.of(admin));
        assertEquals(URI.create("http://127.0.0.1:8081/prometheus"), DemoCommand.prometheusUri(standard));

        simple.setConnector(new HttpsConnectorFactory());
        assertThrows(IllegalArgumentException.class, () -> DemoCommand.prometheusUri(simple));
    }

    /** Ports free for UDP on 127.0.0.1 now: all bound at once, so they differ, then released. */
    private static List<Integer> freeUdpPorts(int count) throws IOException {
        List<DatagramSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                sockets.add(new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
            }
            return sockets.stream().map(DatagramSocket::getLocalPort).toList();
        } finally {
            sockets.forEach(DatagramSocket::close);
        }
    }
}

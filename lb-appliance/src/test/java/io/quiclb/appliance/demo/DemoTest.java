package io.quiclb.appliance.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.core.server.SimpleServerFactory;
import io.dropwizard.jetty.HttpConnectorFactory;
import io.dropwizard.jetty.HttpsConnectorFactory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
        try (DemoAppliance appliance = new DemoAppliance(directory)) {
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            String failure = new DemoClient(appliance.listener(), appliance.prometheus(),
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
            assertTrue(report.contains("routed_total{via=\"thread\"} +"),
                    "counters show routing to thread sockets: " + report);
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
}

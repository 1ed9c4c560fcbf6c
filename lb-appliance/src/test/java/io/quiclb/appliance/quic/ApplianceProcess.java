package io.quiclb.appliance.quic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quiclb.appliance.Await;
import io.quiclb.appliance.ChildProcess;
import io.quiclb.appliance.QuicLbApplication;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
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
import java.util.stream.Stream;

/**
 * The appliance as an operator runs it: {@code server config.yml} in a JVM of its own, under a descriptor limit
 * ({@code prlimit --nofile}), with the HTTP API and admin pages on one local port. Stopped by its PID.
 */
final class ApplianceProcess implements AutoCloseable {
    static final String READ_TOKEN = "read-token-0123456789";

    private final ChildProcess process;
    private final int httpPort;
    private final InetSocketAddress listener;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = new ObjectMapper();

    private ApplianceProcess(ChildProcess process, int httpPort, InetSocketAddress listener) {
        this.process = process;
        this.httpPort = httpPort;
        this.listener = listener;
    }

    /**
     * Starts an appliance and waits until its health check answers.
     *
     * @param directory   where config.yml and the state file go
     * @param forwarder   the YAML of the forwarder section's keys other than listeners, indented by 2
     * @param servers     the YAML of the servers section's entries, indented by 2
     * @param descriptors the descriptor limit (soft and hard)
     */
    static ApplianceProcess start(Path directory, String forwarder, String servers, int descriptors)
            throws Exception {
        int httpPort;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            httpPort = probe.getLocalPort();
        }
        int udpPort;
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            udpPort = probe.getLocalPort();
        }
        String yaml = String.join("\n",
                "server:",
                "  type: simple",
                "  applicationContextPath: /",
                "  adminContextPath: /admin",
                "  connector: {type: http, bindHost: 127.0.0.1, port: " + httpPort + "}",
                "logging:",
                "  level: INFO",
                "forwarder:",
                "  listeners: [\"127.0.0.1:" + udpPort + "\"]",
                forwarder,
                "quicLb:",
                "  configs:",
                "    - {configId: 0, serverIdLength: 2, nonceLength: 8, threadIdLength: 1,"
                        + " key: 8f95f09245765f80256934e50c66207f}",
                "servers:",
                servers,
                "api:",
                "  stateFile: " + directory.resolve("state.json"),
                "  readToken: " + READ_TOKEN,
                "health:",
                "  interval: 500ms",
                "  timeout: 250ms",
                "");
        Path config = directory.resolve("config.yml");
        Files.writeString(config, yaml, StandardCharsets.UTF_8);
        List<String> command = new ArrayList<>(List.of("prlimit", "--nofile=" + descriptors + ":" + descriptors));
        command.addAll(ChildProcess.javaCommand(List.of("-Xmx512m", System.getProperty("quiclb.childJvmOption", "-Dquiclb.none=1")), QuicLbApplication.class, "server",
                config.toString()));
        ApplianceProcess appliance = new ApplianceProcess(ChildProcess.start(command), httpPort,
                new InetSocketAddress("127.0.0.1", udpPort));
        if (!Await.until(() -> appliance.status("/admin/healthcheck") > 0)) {
            appliance.close();
            throw new AssertionError("the appliance never answered:\n" + String.join("\n", appliance.lines()));
        }
        return appliance;
    }

    /** @return where clients send */
    InetSocketAddress listener() {
        return listener;
    }

    /** @return the process ID */
    long pid() {
        return process.pid();
    }

    /** @return what it printed so far */
    List<String> lines() {
        return process.lines();
    }

    /** @return the HTTP status of a GET, or -1 when there was no answer */
    int status(String path) {
        try {
            return get(path).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .header("Authorization", "Bearer " + READ_TOKEN).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** @return {@code GET /api/v1/stats} */
    JsonNode stats() throws IOException, InterruptedException {
        return json.readTree(get("/api/v1/stats").body());
    }

    /** @return descriptors the process holds now */
    long openDescriptors() {
        try (Stream<Path> descriptors = Files.list(Path.of("/proc", Long.toString(process.pid()), "fd"))) {
            return descriptors.count();
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        process.close();
    }
}

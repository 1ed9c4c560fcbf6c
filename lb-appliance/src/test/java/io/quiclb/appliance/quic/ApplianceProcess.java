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
    static final String ADMIN_TOKEN = "admin-token-0123456789";

    private final ChildProcess process;
    private final int httpPort;
    private final InetSocketAddress listener;
    private final List<String> command;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = new ObjectMapper();

    private ApplianceProcess(ChildProcess process, int httpPort, InetSocketAddress listener, List<String> command) {
        this.process = process;
        this.httpPort = httpPort;
        this.listener = listener;
        this.command = command;
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
                "  adminToken: " + ADMIN_TOKEN,
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
                new InetSocketAddress("127.0.0.1", udpPort), command);
        if (!Await.until(() -> appliance.status("/admin/healthcheck") > 0)) {
            appliance.close();
            throw new AssertionError("the appliance never answered:\n" + String.join("\n", appliance.lines()));
        }
        return appliance;
    }

    /**
     * Starts {@code takeover} on this appliance's configuration, as an operator upgrading it would, and waits until
     * the new one logs that it is ready.
     *
     * @return the new appliance
     */
    ApplianceProcess takeover() throws Exception {
        ApplianceProcess next = startTakeover(null);
        // A JVM starting beside a loaded one on two cores takes a while: 60 s at most.
        if (!Await.until(() -> next.lines().stream().anyMatch(l -> l.contains("quiclb ready:")),
                java.util.concurrent.TimeUnit.SECONDS.toNanos(60))) {
            next.close();
            throw new AssertionError("the new appliance never got ready:\n" + String.join("\n", next.lines())
                    + "\nthe old one:\n" + String.join("\n", lines()));
        }
        return next;
    }

    /**
     * Starts {@code takeover} without waiting for it.
     *
     * @param config another configuration file, or null for this appliance's
     * @return the new process
     */
    ApplianceProcess startTakeover(Path config) throws Exception {
        List<String> takeover = new ArrayList<>(command);
        int at = Math.max(takeover.lastIndexOf("server"), takeover.lastIndexOf("takeover"));
        takeover.set(at, "takeover");
        if (config != null) {
            takeover.set(at + 1, config.toString());
        }
        return new ApplianceProcess(ChildProcess.start(takeover), httpPort, listener, takeover);
    }

    /** @return the configuration file it runs on */
    Path config() {
        return Path.of(command.get(command.size() - 1));
    }

    /** @return whether the process still runs */
    boolean isAlive() {
        return process.isAlive();
    }

    /**
     * @return the exit status, once the process ended within the limit; -1 if it did not
     */
    int waitFor(long timeout, java.util.concurrent.TimeUnit unit) throws InterruptedException {
        return process.waitFor(timeout, unit);
    }

    /** @return {@code method path} with the admin token and a JSON body (or none), its status */
    int change(String method, String path, String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .header("Authorization", "Bearer " + ADMIN_TOKEN).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode();
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

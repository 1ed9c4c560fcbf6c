package io.quiclb.appliance.store;

import io.quiclb.appliance.Prerequisites;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real etcd (Debian's {@code etcd-server}) for tests: one member on two free loopback ports with a data directory
 * of the test's, started and waited for ({@code /health}), stopped by its PID, and started again on the same ports
 * and data.
 */
final class EtcdServer implements AutoCloseable {
    private static final Path ETCD = Path.of("/usr/bin/etcd");

    private final Path data;
    private final int clientPort;
    private final int peerPort;
    private final Path log;
    /** With TLS: the directory holding ca.pem, server.pem and server-key.pem ({@link TestPki}); else null. */
    private final Path tls;
    private Process process;

    EtcdServer(Path directory) throws IOException {
        this(directory, null);
    }

    /**
     * @param tls with TLS and client certificates required: a directory of {@link TestPki#write}; null for plain
     */
    EtcdServer(Path directory, Path tls) throws IOException {
        Prerequisites.require(Files.isExecutable(ETCD), "a real etcd: apt-get install etcd-server");
        this.tls = tls;
        this.data = directory.resolve("etcd-data");
        this.log = directory.resolve("etcd.log");
        this.clientPort = freePort();
        this.peerPort = freePort();
        start();
    }

    /** @return the client URL, {@code http://127.0.0.1:port} (https with TLS) */
    String endpoint() {
        return (tls == null ? "http" : "https") + "://127.0.0.1:" + clientPort;
    }

    /** Starts it (again) and waits up to 20 s until it serves clients (its log says so). */
    void start() throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of(ETCD.toString(), "--name", "test", "--data-dir",
                data.toString(), "--listen-client-urls", endpoint(), "--advertise-client-urls", endpoint(),
                "--listen-peer-urls", "http://127.0.0.1:" + peerPort,
                "--initial-advertise-peer-urls", "http://127.0.0.1:" + peerPort,
                "--initial-cluster", "test=http://127.0.0.1:" + peerPort));
        if (tls != null) {
            command.addAll(List.of("--cert-file", tls.resolve("server.pem").toString(), "--key-file",
                    tls.resolve("server-key.pem").toString(), "--trusted-ca-file", tls.resolve("ca.pem").toString(),
                    "--client-cert-auth"));
        }
        long logged = Files.exists(log) ? Files.size(log) : 0;
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        for (int attempt = 0; attempt < 200 && process.isAlive(); attempt++) {
            String since = Files.readString(log).substring((int) logged);
            if (since.contains("ready to serve client requests")) {
                return;
            }
            sleep(100);
        }
        stop();
        throw new IOException("etcd did not serve clients in 20 s:\n" + String.join("\n", lastLines()));
    }

    /** Stops it by its PID (SIGTERM, then SIGKILL after 10 s). */
    void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        process = null;
    }

    @Override
    public void close() {
        stop();
    }

    private List<String> lastLines() {
        try {
            List<String> lines = Files.readAllLines(log);
            return lines.subList(Math.max(0, lines.size() - 20), lines.size());
        } catch (IOException e) {
            return List.of("(no log: " + e.getMessage() + ")");
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

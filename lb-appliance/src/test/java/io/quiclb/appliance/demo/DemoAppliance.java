package io.quiclb.appliance.demo;

import io.dropwizard.testing.DropwizardTestSupport;
import io.quiclb.appliance.QuicLbApplication;
import io.quiclb.appliance.QuicLbConfiguration;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The real application with {@code demo.backends: true} for tests: three servers with two thread sockets each on
 * free loopback ports, an encrypted config with a thread ID, one forwarder worker. Stopped by {@link #close}.
 *
 * <p><b>Thread safety:</b> used by one test thread.
 */
final class DemoAppliance implements AutoCloseable {
    /** The read token the appliance is configured with. */
    static final String READ_TOKEN = "demo-read-token-0123456789";
    private final DropwizardTestSupport<QuicLbConfiguration> app;
    private final int listenerPort;

    /**
     * @param directory where the configuration and the state file go
     */
    DemoAppliance(Path directory) throws Exception {
        List<Integer> ports = freeUdpPorts(10);
        listenerPort = ports.get(0);
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
                  readToken: %s
                demo:
                  backends: true
                """.formatted(listenerPort, servers, directory.resolve("state.json"), READ_TOKEN));
        app = new DropwizardTestSupport<>(QuicLbApplication.class, config.toString());
        app.before();
    }

    /** @return the appliance's QUIC listener */
    InetSocketAddress listener() {
        return new InetSocketAddress("127.0.0.1", listenerPort);
    }

    /** @return its stats endpoint (needs {@link #READ_TOKEN}) */
    URI stats() {
        return URI.create("http://127.0.0.1:" + app.getLocalPort() + "/api/v1/stats");
    }

    @Override
    public void close() {
        app.after();
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

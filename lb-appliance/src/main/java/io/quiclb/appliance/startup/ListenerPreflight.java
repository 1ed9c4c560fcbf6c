package io.quiclb.appliance.startup;

import io.quiclb.appliance.config.HostPort;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Checks, before anything starts, that each listener address is free: binds it once without SO_REUSEPORT or
 * SO_REUSEADDR and closes it again. The forwarder's own sockets share a listener through SO_REUSEPORT, so a second
 * appliance (same user) would bind beside a running one without error and take half its traffic; this check refuses
 * that, and any other holder of the port, naming the listener, the cause and, where /proc shows it, the process.
 * Listeners with port 0 are not checked (the kernel picks a free port).
 *
 * <p><b>Thread safety:</b> stateless; called once at startup.
 */
public final class ListenerPreflight {
    private ListenerPreflight() {
    }

    /**
     * @param listeners forwarder.listeners
     * @throws StartupFailure naming the first listener that cannot be bound
     */
    public static void requireFree(List<HostPort> listeners) {
        for (int i = 0; i < listeners.size(); i++) {
            InetSocketAddress address = listeners.get(i).resolve();
            if (address.getPort() == 0) {
                continue;
            }
            StandardProtocolFamily family = address.getAddress() instanceof java.net.Inet6Address
                    ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
            try (DatagramChannel probe = DatagramChannel.open(family)) {
                probe.bind(address);
            } catch (IOException e) {
                String holder = holder(address.getPort());
                throw new StartupFailure("forwarder.listeners[" + i + "] " + listeners.get(i) + ": cannot bind: "
                        + e.getMessage() + (holder == null ? "" : "; held by " + holder)
                        + ". If another appliance runs there, take it over (`takeover` with its configuration) or"
                        + " stop it first: two appliances on one listener would split its traffic", e);
            }
        }
    }

    /**
     * The HTTP connectors (API and admin pages) must be free too: Jetty would otherwise fail half-way through
     * starting, with a stack trace.
     *
     * @param server the {@code server} section
     * @throws StartupFailure naming the first connector that cannot be bound
     */
    public static void requireFreeHttp(io.dropwizard.core.server.ServerFactory server) {
        List<io.dropwizard.jetty.ConnectorFactory> connectors = new java.util.ArrayList<>();
        if (server instanceof io.dropwizard.core.server.SimpleServerFactory simple) {
            connectors.add(simple.getConnector());
        } else if (server instanceof io.dropwizard.core.server.DefaultServerFactory standard) {
            connectors.addAll(standard.getApplicationConnectors());
            connectors.addAll(standard.getAdminConnectors());
        }
        for (io.dropwizard.jetty.ConnectorFactory connector : connectors) {
            if (!(connector instanceof io.dropwizard.jetty.HttpConnectorFactory http) || http.getPort() == 0) {
                continue;
            }
            String host = http.getBindHost() == null || http.getBindHost().isEmpty() ? "0.0.0.0" : http.getBindHost();
            try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
                probe.setReuseAddress(true); // as Jetty binds: a port in TIME_WAIT is free
                probe.bind(new InetSocketAddress(host, http.getPort()));
            } catch (IOException e) {
                throw new StartupFailure("server connector " + host + ":" + http.getPort() + " (the API and admin"
                        + " pages): cannot bind: " + e.getMessage(), e);
            }
        }
    }

    /** @return the process holding a UDP socket on this local port, as "pid N (command line)", or null */
    static String holder(int port) {
        String inode = inode(port);
        if (inode == null) {
            return null;
        }
        String target = "socket:[" + inode + "]";
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path process : processes) {
                try (DirectoryStream<Path> fds = Files.newDirectoryStream(process.resolve("fd"))) {
                    for (Path fd : fds) {
                        if (target.equals(readLink(fd))) {
                            return "pid " + process.getFileName() + " (" + commandLine(process) + ")";
                        }
                    }
                } catch (IOException | SecurityException e) {
                    // another user's process: its descriptors are not ours to see
                }
            }
        } catch (IOException e) {
            return null;
        }
        return "another user's process";
    }

    private static String inode(int port) {
        String hexPort = String.format(Locale.ROOT, ":%04X", port);
        for (String table : List.of("/proc/net/udp", "/proc/net/udp6")) {
            try {
                for (String line : Files.readAllLines(Path.of(table), StandardCharsets.US_ASCII)) {
                    String[] fields = line.trim().split("\\s+");
                    if (fields.length > 9 && fields[1].endsWith(hexPort)) {
                        return fields[9];
                    }
                }
            } catch (IOException e) {
                // not Linux, or /proc is not mounted: the bind error alone must do
            }
        }
        return null;
    }

    private static String readLink(Path fd) {
        try {
            return Files.readSymbolicLink(fd).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    /**
     * What the process runs, without its JVM options (which may carry secrets, e.g. {@code -Ddw.api.adminToken}):
     * the executable's name, then the main class or {@code -jar} file and the arguments after it.
     */
    static String commandLine(Path process) {
        String[] args;
        try {
            args = new String(Files.readAllBytes(process.resolve("cmdline")), StandardCharsets.UTF_8).split("\0");
        } catch (IOException e) {
            return "command line unknown";
        }
        StringBuilder line = new StringBuilder(Path.of(args[0]).getFileName().toString());
        int main = -1;
        for (int i = 1; i < args.length && main < 0; i++) {
            if (args[i].equals("-jar") && i + 1 < args.length) {
                line.append(" -jar");
                main = i + 1;
            } else if (List.of("-cp", "-classpath", "--class-path", "-p", "--module-path").contains(args[i])) {
                i++;
            } else if (!args[i].startsWith("-")) {
                main = i;
            }
        }
        if (main < 0) {
            return line.toString();
        }
        for (int i = main; i < args.length; i++) {
            line.append(' ').append(i == main && args[i].indexOf('/') >= 0 ? Path.of(args[i]).getFileName() : args[i]);
        }
        return line.length() <= 240 ? line.toString() : line.substring(0, 237) + "...";
    }
}

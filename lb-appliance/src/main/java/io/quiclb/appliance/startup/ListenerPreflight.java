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
                        + ". If another appliance runs there, stop it first: two appliances on one listener would"
                        + " split its traffic", e);
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

    private static String commandLine(Path process) {
        try {
            String[] args = new String(Files.readAllBytes(process.resolve("cmdline")), StandardCharsets.UTF_8)
                    .split("\0");
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < args.length; i++) {
                boolean classPath = i > 0 && List.of("-cp", "-classpath", "--class-path").contains(args[i - 1]);
                line.append(i == 0 ? "" : " ").append(classPath ? "[class path]" : args[i]);
            }
            return line.length() <= 240 ? line.toString() : line.substring(0, 237) + "...";
        } catch (IOException e) {
            return "command line unknown";
        }
    }
}

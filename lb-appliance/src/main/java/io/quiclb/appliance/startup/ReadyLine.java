package io.quiclb.appliance.startup;

import io.dropwizard.core.server.ServerFactory;
import io.dropwizard.core.server.SimpleServerFactory;
import io.dropwizard.lifecycle.PortDescriptor;
import io.dropwizard.lifecycle.ServerLifecycleListener;
import io.quiclb.appliance.forward.Forwarder;
import io.quiclb.appliance.route.RouteTable;
import io.quiclb.codec.QuicLbConfig;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.server.Server;

/**
 * The one line that says the appliance serves: where it listens for QUIC (transport, workers), the configs and
 * servers in force, and the API and admin URLs, e.g.
 * {@code quiclb ready: QUIC on 127.0.0.1:4433 (epoll, 2 workers); configs [0]; 3 servers; API
 * http://127.0.0.1:8080/api/v1; admin http://127.0.0.1:8080/admin}.
 *
 * <p><b>Thread safety:</b> stateless.
 */
public final class ReadyLine {
    private ReadyLine() {
    }

    /**
     * @param forwarder the started forwarder
     * @param table     the route table in force
     * @param factory   the HTTP server's configuration
     * @param server    the started HTTP server
     * @return the line
     */
    public static String of(Forwarder forwarder, RouteTable table, ServerFactory factory, Server server) {
        List<String> listeners = new ArrayList<>();
        for (InetSocketAddress address : forwarder.boundAddresses()) {
            listeners.add(address.getAddress().getHostAddress() + ":" + address.getPort());
        }
        List<Integer> configs = new ArrayList<>();
        for (int id = 0; id <= QuicLbConfig.MAX_CONFIG_ID; id++) {
            if (table.config(id) != null) {
                configs.add(id);
            }
        }
        String api = null;
        String admin = null;
        List<PortDescriptor> ports = new ServerLifecycleListener() {
            @Override
            public void serverStarted(Server started) {
            }
        }.getPortDescriptorList(server);
        for (PortDescriptor port : ports) {
            String protocol = port.getProtocol().toLowerCase(java.util.Locale.ROOT);
            String scheme = protocol.contains("ssl") || protocol.contains("https") ? "https" : "http";
            String base = scheme + "://" + host(port.getHost()) + ":" + port.getPort();
            if (factory instanceof SimpleServerFactory simple) {
                api = base + path(simple.getApplicationContextPath()) + "api/v1";
                admin = base + simple.getAdminContextPath();
            } else if ("application".equals(port.getConnectorType()) && api == null) {
                api = base + "/api/v1";
            } else if ("admin".equals(port.getConnectorType()) && admin == null) {
                admin = base;
            }
        }
        return "quiclb ready: QUIC on " + String.join(", ", listeners) + " (" + forwarder.transport()
                + ", " + forwarder.workerCounters().size() + " workers); configs " + configs + "; "
                + table.servers().size() + " servers; API " + api + "; admin " + admin;
    }

    private static String host(String host) {
        if (host == null || host.isEmpty() || host.equals("0.0.0.0")) {
            return "0.0.0.0";
        }
        return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    }

    private static String path(String contextPath) {
        return contextPath.endsWith("/") ? contextPath : contextPath + "/";
    }
}

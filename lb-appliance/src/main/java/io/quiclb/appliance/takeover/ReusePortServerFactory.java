package io.quiclb.appliance.takeover;

import io.dropwizard.core.server.ServerFactory;
import io.dropwizard.core.setup.Environment;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The configured {@code server} section, with {@code SO_REUSEPORT} on every TCP connector, set between building the
 * server and starting it (Jetty opens connectors first thing when it starts): the appliance that takes this one
 * over binds the same API and admin port beside it, so the port never closes.
 *
 * <p><b>Thread safety:</b> used once at startup by Dropwizard's server command.
 */
public final class ReusePortServerFactory implements ServerFactory {
    private final ServerFactory configured;

    /**
     * @param configured the {@code server} section as configured
     */
    public ReusePortServerFactory(ServerFactory configured) {
        this.configured = configured;
    }

    @Override
    public Server build(Environment environment) {
        Server server = configured.build(environment);
        for (Connector connector : server.getConnectors()) {
            if (connector instanceof ServerConnector tcp) {
                tcp.setReusePort(true);
            }
        }
        return server;
    }

    @Override
    public void configure(Environment environment) {
        configured.configure(environment);
    }
}

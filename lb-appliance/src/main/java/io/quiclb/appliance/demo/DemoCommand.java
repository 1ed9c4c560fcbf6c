package io.quiclb.appliance.demo;

import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.cli.ConfiguredCommand;
import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.core.server.ServerFactory;
import io.dropwizard.core.server.SimpleServerFactory;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.jetty.ConnectorFactory;
import io.dropwizard.jetty.HttpConnectorFactory;
import io.dropwizard.jetty.HttpsConnectorFactory;
import io.quiclb.appliance.QuicLbConfiguration;
import io.quiclb.appliance.startup.ServeCommand;
import java.net.InetSocketAddress;
import java.net.URI;
import net.sourceforge.argparse4j.inf.Argument;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code java -jar lb-appliance.jar demo config.yml}: drives an HTTP/3 client through the appliance that is running
 * with that configuration ({@link DemoClient}): requests, an active migration, more requests. It prints which server
 * and thread answered each request and how the routing counters moved, and exits 0 when the connection stayed with
 * one server thread across the migration, 1 otherwise.
 *
 * <p><b>Thread safety:</b> Dropwizard runs a command once, on the main thread.
 */
public final class DemoCommand extends ConfiguredCommand<QuicLbConfiguration> {
    private static final int REQUESTS = 3;

    /** The {@code demo} command. */
    public DemoCommand() {
        super("demo", "Drive an HTTP/3 client through the running appliance, migrate it, and print who answered"
                + " and the routing counters");
    }

    @Override
    protected void run(Bootstrap<QuicLbConfiguration> bootstrap, Namespace namespace,
                       QuicLbConfiguration configuration) throws Exception {
        InetSocketAddress listener = configuration.getForwarder().listeners().get(0).resolve();
        if (listener.getAddress().isAnyLocalAddress()) {
            listener = new InetSocketAddress("127.0.0.1", listener.getPort());
        }
        String token = configuration.getApi().readToken() != null ? configuration.getApi().readToken()
                : configuration.getApi().adminToken();
        String failure = new DemoClient(listener, statsUri(configuration.getServerFactory()), token, System.out)
                .run(REQUESTS);
        if (failure != null) {
            throw new DemoFailedException(failure);
        }
        System.out.println("result: OK, one server thread answered before and after the migration");
    }

    @Override
    protected Argument addFileArgument(Subparser subparser) {
        return ServeCommand.requiredFile(subparser);
    }

    @Override
    public void onError(Cli cli, Namespace namespace, Throwable e) {
        // A failed demo is a result, not a crash: one line, and exit status 1.
        cli.getStdErr().println("quiclb demo failed: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
    }

    /** @return the API's stats URL on the application connector, from the {@code server} section */
    static URI statsUri(ServerFactory server) {
        ConnectorFactory connector;
        String contextPath;
        if (server instanceof SimpleServerFactory simple) {
            connector = simple.getConnector();
            contextPath = simple.getApplicationContextPath();
        } else if (server instanceof DefaultServerFactory standard
                && !standard.getApplicationConnectors().isEmpty()) {
            connector = standard.getApplicationConnectors().get(0);
            contextPath = standard.getApplicationContextPath();
        } else {
            throw new IllegalArgumentException("the demo needs a simple or default server with an application"
                    + " connector");
        }
        if (!(connector instanceof HttpConnectorFactory http) || connector instanceof HttpsConnectorFactory) {
            throw new IllegalArgumentException("the demo reads counters over plain HTTP; the connector is "
                    + connector.getClass().getSimpleName());
        }
        String host = http.getBindHost() == null || http.getBindHost().isEmpty()
                || http.getBindHost().equals("0.0.0.0") || http.getBindHost().equals("::")
                ? "127.0.0.1" : http.getBindHost();
        String path = (contextPath.endsWith("/") ? contextPath : contextPath + "/") + "api/v1/stats";
        return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + http.getPort() + path);
    }

    /** The demo ran and a check failed. */
    static final class DemoFailedException extends Exception {
        private static final long serialVersionUID = 1L;

        DemoFailedException(String message) {
            super(message);
        }
    }
}

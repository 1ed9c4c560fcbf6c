package io.quiclb.appliance.capacity;

import io.dropwizard.core.Application;
import io.dropwizard.core.cli.CheckCommand;
import io.dropwizard.core.setup.Bootstrap;
import io.quiclb.appliance.QuicLbConfiguration;
import io.quiclb.appliance.config.ForwarderSettings;
import io.quiclb.appliance.control.ControlPlane;
import io.quiclb.appliance.control.RoutingState;
import io.quiclb.appliance.control.StateStore;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import net.sourceforge.argparse4j.inf.Namespace;

/**
 * {@code check config.yml}: Dropwizard's validation of the file, then the capacity the appliance would have, as the
 * forwarder works it out at startup ({@link Capacity}), printed on standard output. The descriptor limit is this
 * process's: run {@code check} under the limits the service gets (systemd {@code LimitNOFILE=}, {@code ulimit -n}).
 *
 * <p><b>Thread safety:</b> run once by the CLI.
 */
public final class CapacityCheckCommand extends CheckCommand<QuicLbConfiguration> {
    /**
     * @param application the application
     */
    public CapacityCheckCommand(Application<QuicLbConfiguration> application) {
        super(application);
    }

    @Override
    protected void run(Bootstrap<QuicLbConfiguration> bootstrap, Namespace namespace,
                       QuicLbConfiguration configuration) throws Exception {
        super.run(bootstrap, namespace, configuration);
        ForwarderSettings forwarder = configuration.getForwarder();
        RoutingState seeds = new RoutingState(configuration.getQuicLb().configs(), configuration.getServers(),
                Set.of());
        RoutingState state = ControlPlane.initialState(new StateStore(Path.of(configuration.getApi().stateFile())),
                seeds);
        Set<InetSocketAddress> targets = new HashSet<>();
        for (var server : state.servers()) {
            targets.add(server.address().resolve());
            server.threadSockets().forEach(socket -> targets.add(socket.resolve()));
        }
        Capacity capacity = Capacity.measure(forwarder.workers(), forwarder.listenerSocketsPerWorker(),
                Capacity.sourcesPerTarget(forwarder.upstreamSourceAddresses(), targets), targets.size(),
                targets.size(), forwarder.maxFlows(), forwarder.maxHandshakes());
        System.out.println("Configuration is OK; " + capacity.describe()
                + " (measured under this process's descriptor limit)");
    }
}

package io.quiclb.appliance.startup;

import io.dropwizard.core.Application;
import io.dropwizard.core.cli.CheckCommand;
import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.setup.Bootstrap;
import io.quiclb.appliance.QuicLbConfiguration;
import io.quiclb.appliance.capacity.Capacity;
import io.quiclb.appliance.config.ForwarderSettings;
import io.quiclb.appliance.config.OwnAddresses;
import io.quiclb.appliance.control.InitialState;
import io.quiclb.appliance.control.RoutingState;
import io.quiclb.appliance.control.StateStore;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import net.sourceforge.argparse4j.inf.Argument;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code check config.yml}: Dropwizard's validation of the file, then the state file ({@code api.stateFile}): when it
 * exists it is validated too, and it is said that it overrides config.yml's {@code quicLb} and {@code servers}, with
 * each difference; then the capacity the appliance would have, as the forwarder works it out at startup
 * ({@link Capacity}), printed on standard output. The descriptor limit is this process's: run {@code check} under
 * the limits the service gets (systemd {@code LimitNOFILE=}, {@code ulimit -n}). Exits 1 on any problem.
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
    protected Argument addFileArgument(Subparser subparser) {
        return ServeCommand.requiredFile(subparser);
    }

    @Override
    public void onError(Cli cli, Namespace namespace, Throwable e) {
        if (!ServeCommand.printOneLine(cli, e, "check failed")) {
            super.onError(cli, namespace, e);
        }
    }

    @Override
    protected void run(Bootstrap<QuicLbConfiguration> bootstrap, Namespace namespace,
                       QuicLbConfiguration configuration) throws Exception {
        ForwarderSettings forwarder = configuration.getForwarder();
        RoutingState seeds = new RoutingState(configuration.getQuicLb().configs(), configuration.getServers(),
                Set.of());
        StateStore store = new StateStore(Path.of(configuration.getApi().stateFile()));
        Optional<RoutingState> stored;
        try {
            stored = configuration.getStore().etcd() ? Optional.empty()
                    : InitialState.loadState(store, OwnAddresses.of(forwarder.listeners()));
        } catch (IllegalStateException e) {
            throw new StartupFailure(e.getMessage(), e);
        }
        RoutingState state = stored.orElse(seeds);
        if (configuration.getStore().etcd()) {
            System.out.println("The routing state lives in etcd (" + configuration.getStore() + "), which check does"
                    + " not read: the capacity below counts config.yml's servers, and etcd's state wins when the"
                    + " appliance starts");
        } else if (stored.isPresent()) {
            List<String> differences = InitialState.seedDifferences(seeds, state);
            System.out.println("State file " + store.file() + " (" + state.configs().size() + " config(s), "
                    + state.servers().size() + " server(s)) overrides config.yml's quicLb and servers"
                    + (differences.isEmpty() ? ", which are the same"
                    : "; they differ: " + String.join("; ", differences)));
        } else {
            System.out.println("No state file at " + store.file() + ": config.yml's quicLb and servers are used");
        }
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

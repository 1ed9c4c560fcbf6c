package io.quiclb.appliance;

import io.dropwizard.configuration.EnvironmentVariableSubstitutor;
import io.dropwizard.configuration.SubstitutingSourceProvider;
import io.dropwizard.core.Application;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import io.quiclb.appliance.forward.Forwarder;
import io.quiclb.appliance.forward.ForwarderMetrics;
import io.quiclb.appliance.health.ForwarderHealthCheck;
import io.quiclb.appliance.health.RoutingHealthCheck;
import io.quiclb.appliance.route.RoutingService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The QUIC-LB appliance: {@code java -jar lb-appliance.jar server config.yml}.
 *
 * <p>config.yml may take values from the environment with {@code ${VAR}} or {@code ${VAR:-default}}; an unset
 * variable without a default stops startup naming it.
 *
 * <p><b>Thread safety:</b> Dropwizard calls {@link #initialize} and {@link #run} once, on the main thread.
 */
public class QuicLbApplication extends Application<QuicLbConfiguration> {
    private static final Logger LOG = LoggerFactory.getLogger(QuicLbApplication.class);

    /**
     * @param args {@code server config.yml}, {@code check config.yml}, ...
     * @throws Exception when startup fails
     */
    public static void main(String[] args) throws Exception {
        new QuicLbApplication().run(args);
    }

    @Override
    public String getName() {
        return "quiclb";
    }

    @Override
    public void initialize(Bootstrap<QuicLbConfiguration> bootstrap) {
        bootstrap.setConfigurationSourceProvider(new SubstitutingSourceProvider(
                bootstrap.getConfigurationSourceProvider(), new EnvironmentVariableSubstitutor(true)));
    }

    @Override
    public void run(QuicLbConfiguration configuration, Environment environment) {
        int workers = configuration.getForwarder().workers();
        RoutingService routing = new RoutingService(workers, configuration.getQuicLb(), configuration.getServers());
        Forwarder forwarder = new Forwarder(configuration.getForwarder(), routing);
        environment.lifecycle().manage(forwarder);
        ForwarderMetrics.register(environment.metrics(), forwarder, routing, workers);
        environment.healthChecks().register("forwarder", new ForwarderHealthCheck(forwarder));
        environment.healthChecks().register("routing", new RoutingHealthCheck(routing));
        LOG.info("quiclb: {} QUIC-LB config(s), {} server(s)", routing.current().configCount(),
                routing.current().servers().size());
    }
}

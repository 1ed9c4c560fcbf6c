package io.quiclb.appliance;

import io.dropwizard.configuration.EnvironmentVariableSubstitutor;
import io.dropwizard.configuration.SubstitutingSourceProvider;
import io.dropwizard.core.Application;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import io.quiclb.appliance.capacity.CapacityCheckCommand;
import io.quiclb.appliance.config.ApiSettings;
import io.quiclb.appliance.control.ControlPlane;
import io.quiclb.appliance.control.RoutingState;
import io.quiclb.appliance.control.StateStore;
import io.quiclb.appliance.demo.DemoBackends;
import io.quiclb.appliance.demo.DemoCommand;
import io.quiclb.appliance.forward.Forwarder;
import io.quiclb.appliance.forward.ForwarderMetrics;
import io.quiclb.appliance.health.ForwarderHealthCheck;
import io.quiclb.appliance.health.HealthProber;
import io.quiclb.appliance.health.RoutingHealthCheck;
import io.quiclb.appliance.metrics.PrometheusServlet;
import io.quiclb.appliance.resources.ApiExceptionMapper;
import io.quiclb.appliance.resources.BearerAuthFilter;
import io.quiclb.appliance.resources.ConfigResource;
import io.quiclb.appliance.resources.ServerResource;
import io.quiclb.appliance.resources.StatsResource;
import io.quiclb.appliance.resources.WhoamiResource;
import io.quiclb.appliance.route.RoutingService;
import java.nio.file.Path;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The QUIC-LB appliance: {@code java -jar lb-appliance.jar server config.yml}; {@code demo config.yml} drives a
 * client through a running one ({@link DemoCommand}).
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

    /** Dropwizard's {@code server}, and a {@code check} that also prints the capacity. */
    @Override
    protected void addDefaultCommands(Bootstrap<QuicLbConfiguration> bootstrap) {
        bootstrap.addCommand(new io.dropwizard.core.cli.ServerCommand<>(this));
        bootstrap.addCommand(new CapacityCheckCommand(this));
    }

    @Override
    public void initialize(Bootstrap<QuicLbConfiguration> bootstrap) {
        bootstrap.setConfigurationSourceProvider(new SubstitutingSourceProvider(
                bootstrap.getConfigurationSourceProvider(), new EnvironmentVariableSubstitutor(true)));
        bootstrap.addCommand(new DemoCommand());
    }

    @Override
    public void run(QuicLbConfiguration configuration, Environment environment) {
        int workers = configuration.getForwarder().workers();
        StateStore store = new StateStore(Path.of(configuration.getApi().stateFile()));
        RoutingState seeds = new RoutingState(configuration.getQuicLb().configs(), configuration.getServers(),
                Set.of());
        RoutingState initial = ControlPlane.initialState(store, seeds);
        RoutingService routing = new RoutingService(workers, initial);
        routing.setPanicThreshold(configuration.getHealth().panicThreshold());
        Forwarder forwarder = new Forwarder(configuration.getForwarder(), routing);
        if (configuration.getDemo().backends()) {
            // Registered first, so the backends listen before the forwarder and the health prober start.
            environment.lifecycle().manage(new DemoBackends(initial));
        }
        ControlPlane control = ControlPlane.of(routing, store, initial, () -> {
            ForwarderMetrics.syncServers(environment.metrics(), routing);
            forwarder.prepareWorkers();
        });
        environment.lifecycle().manage(forwarder);
        ForwarderMetrics.register(environment.metrics(), forwarder, routing, workers);
        environment.healthChecks().register("forwarder", new ForwarderHealthCheck(forwarder));
        environment.healthChecks().register("routing", new RoutingHealthCheck(routing));
        environment.metrics().register("quiclb.routing.panic",
                (com.codahale.metrics.Gauge<Integer>) () -> routing.current().panic() ? 1 : 0);
        environment.lifecycle().manage(new HealthProber(configuration.getHealth(), routing, control));
        environment.admin().addServlet("prometheus", new PrometheusServlet(environment.metrics()))
                .addMapping("/prometheus");
        ApiSettings api = configuration.getApi();
        environment.jersey().register(new BearerAuthFilter(api.readToken(), api.adminToken()));
        environment.jersey().register(new ApiExceptionMapper());
        environment.jersey().register(new ConfigResource(control));
        environment.jersey().register(new ServerResource(control, routing));
        environment.jersey().register(new WhoamiResource(routing));
        environment.jersey().register(new StatsResource(forwarder, routing));
        environment.jersey().register(new io.quiclb.appliance.openapi.OpenApiDocumentResource());
        if (api.adminToken() == null) {
            LOG.warn("quiclb: api.adminToken is not set: the REST API accepts no changes");
        }
        LOG.info("quiclb: {} QUIC-LB config(s), {} server(s)", routing.current().configCount(),
                routing.current().servers().size());
    }
}

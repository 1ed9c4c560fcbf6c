package io.quiclb.appliance;

import io.dropwizard.configuration.EnvironmentVariableSubstitutor;
import io.dropwizard.configuration.SubstitutingSourceProvider;
import io.dropwizard.core.Application;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import io.quiclb.appliance.startup.CapacityCheckCommand;
import io.dropwizard.core.server.AbstractServerFactory;
import io.dropwizard.lifecycle.Managed;
import io.dropwizard.logging.common.DefaultLoggingFactory;
import io.quiclb.appliance.audit.AuditHistory;
import io.quiclb.appliance.auth.AdminPagesFilter;
import io.quiclb.appliance.auth.BearerAuthFilter;
import io.quiclb.appliance.auth.Tokens;
import io.quiclb.appliance.config.ApiSettings;
import io.quiclb.appliance.config.ForwarderSettings;
import io.quiclb.appliance.config.OwnAddresses;
import io.quiclb.appliance.control.ChangeGuard;
import io.quiclb.appliance.control.TrafficRecency;
import io.quiclb.appliance.input.StrictJson;
import io.quiclb.appliance.input.StrictJsonReader;
import jakarta.servlet.DispatcherType;
import java.time.Clock;
import java.util.EnumSet;
import io.quiclb.appliance.control.ControlPlane;
import io.quiclb.appliance.control.InitialState;
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
import io.quiclb.appliance.resources.AuditResource;
import io.quiclb.appliance.resources.ConfigResource;
import io.quiclb.appliance.resources.ErrorMappers;
import io.quiclb.appliance.resources.ServerResource;
import io.quiclb.appliance.resources.StatsResource;
import io.quiclb.appliance.resources.WhoamiResource;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.appliance.route.ServerHandle;
import io.quiclb.appliance.startup.ListenerPreflight;
import io.quiclb.appliance.startup.ReadyLine;
import io.quiclb.appliance.startup.ServeCommand;
import io.quiclb.appliance.startup.StartupFailure;
import io.quiclb.appliance.startup.TakeoverCommand;
import io.quiclb.appliance.store.EtcdStateStore;
import io.quiclb.appliance.store.FleetMembership;
import io.quiclb.appliance.store.FleetOffers;
import io.quiclb.appliance.resources.FleetResource;
import io.quiclb.appliance.takeover.TakeoverClient;
import io.quiclb.appliance.systemd.SystemdNotifier;
import io.quiclb.appliance.takeover.ReusePortServerFactory;
import io.quiclb.appliance.takeover.TakeoverHost;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.forward.Transport;
import java.nio.file.Path;
import java.util.List;
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
    /** Set by {@code takeover} before {@link #run}: receive the running appliance's sockets. */
    private volatile boolean takeover;

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
        bootstrap.addCommand(new ServeCommand<>(this));
        bootstrap.addCommand(new TakeoverCommand<>(this, () -> takeover = true));
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
        ForwarderSettings configured = configuration.getForwarder();
        Path handoverSocket = configured.handoverSocketPath(configuration.getApi().stateFile());
        TakeoverClient.Session handover = takeover ? takeOver(configuration, handoverSocket) : null;
        if (handover == null) {
            ListenerPreflight.requireFree(configured.listeners());
            ListenerPreflight.requireFreeHttp(configuration.getServerFactory());
        } else {
            environment.lifecycle().manage(closing(handover::close));
        }
        ForwarderSettings settings = handover == null ? configured
                : configured.withListeners(inheritedPorts(configured.listeners(), handover.listeners()));
        int workers = settings.workers();
        StateStore store = new StateStore(Path.of(configuration.getApi().stateFile()));

        RoutingState seeds = new RoutingState(configuration.getQuicLb().configs(), configuration.getServers(),
                Set.of());
        RoutingState initial;
        EtcdStateStore fleet = null;
        long initialRevision = 0;
        try {
            if (configuration.getStore().etcd()) {
                fleet = EtcdStateStore.connect(configuration.getStore());
                EtcdStateStore.Stored stored = fleet.loadOrSeed(seeds);
                initial = InitialState.validated(stored.state(), OwnAddresses.of(settings.listeners()),
                        fleet.describe() + " revision " + stored.revision());
                initialRevision = stored.revision();
            } else {
                initial = InitialState.of(store, seeds, OwnAddresses.of(settings.listeners()));
            }
        } catch (IllegalStateException | java.io.IOException e) {
            if (fleet != null) {
                fleet.close();
            }
            throw new StartupFailure((configuration.getStore().etcd() ? "store: " : "") + e.getMessage()
                    + (e instanceof java.io.IOException ? " (an appliance of a fleet starts only with the fleet's"
                    + " state: start etcd, or check store.endpoints" + (configuration.getStore().tls()
                    ? "; an https endpoint needs etcd to serve TLS" : "") + ")" : ""), e);
        }
        RoutingService routing = new RoutingService(workers, initial);
        routing.setPanicThreshold(configuration.getHealth().panicThreshold());
        Forwarder forwarder = new Forwarder(settings, routing);
        if (handover != null) {
            forwarder.inherit(handover.sockets());
        }
        if (configuration.getDemo().backends()) {
            // Registered first, so the backends listen before the forwarder and the health prober start.
            environment.lifecycle().manage(new DemoBackends(initial));
        }
        TrafficRecency traffic = new TrafficRecency(forwarder::routedByConfig,
                () -> routing.current().servers().stream().map(ServerHandle::name).toList(),
                name -> routing.current().forwardedTo(name), System::nanoTime);
        traffic.inForceAtStart(initial.configs().stream().map(c -> c.configId()).toList(),
                initial.servers().stream().map(s -> s.name()).toList());
        ApiSettings api = configuration.getApi();
        AuditHistory audit = new AuditHistory(api.auditHistory(), Clock.systemUTC());
        if (!(configuration.getLoggingFactory() instanceof DefaultLoggingFactory configuredLogging)
                || !configuredLogging.getLoggers().containsKey("io.etcd.jetcd")) {
            // jetcd warns once a second while etcd is out of reach; the store says so itself, at most every 10 s.
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.etcd.jetcd"))
                    .setLevel(ch.qos.logback.classic.Level.ERROR);
        }
        if (!(configuration.getLoggingFactory() instanceof DefaultLoggingFactory logging)
                || !logging.getLoggers().containsKey(AuditHistory.LOGGER)) {
            // The audit trail stays on whatever logging.level says, unless logging.loggers names it.
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(AuditHistory.LOGGER))
                    .setLevel(ch.qos.logback.classic.Level.INFO);
        }
        EtcdStateStore shared = fleet;
        ControlPlane control = ControlPlane.of(routing, shared != null ? shared : store, initial, () -> {
            ForwarderMetrics.syncServers(environment.metrics(), routing);
            forwarder.prepareWorkers();
        }, () -> forwarder.isBound() ? OwnAddresses.ofBound(forwarder.boundAddresses())
                : OwnAddresses.of(settings.listeners()),
                new ChangeGuard(traffic, settings.flowIdleTimeout().toNanoseconds()), audit);
        control.startAt(initialRevision);
        control.holdDeletedConfigIds(configuration.getQuicLb().configIdReuseGrace().toMilliseconds(),
                System::currentTimeMillis);
        long startRevision = initialRevision;
        FleetMembership membership = shared == null ? null : new FleetMembership(shared,
                configuration.getStore().applianceId(), () -> java.util.Map.of("version", version(),
                        "listeners", forwarder.boundAddresses().stream().map(String::valueOf).toList()),
                control::revision);
        if (shared != null) {
            environment.lifecycle().manage(new Managed() {
                @Override
                public void start() {
                    shared.follow(control, startRevision);
                }

                @Override
                public void stop() {
                    membership.close();
                    shared.close();
                }
            });
        }
        environment.lifecycle().manage(forwarder);
        environment.lifecycle().manage(new Managed() {
            @Override
            public void start() {
                traffic.start();
            }

            @Override
            public void stop() {
                traffic.close();
            }
        });
        ForwarderMetrics.register(environment.metrics(), forwarder, routing, workers);
        environment.healthChecks().register("forwarder", new ForwarderHealthCheck(forwarder));
        environment.healthChecks().register("routing", new RoutingHealthCheck(routing));
        environment.metrics().register("quiclb.routing.panic",
                (com.codahale.metrics.Gauge<Integer>) () -> routing.current().panic() ? 1 : 0);
        environment.lifecycle().manage(new HealthProber(configuration.getHealth(), routing, control));
        environment.admin().addServlet("prometheus",
                new PrometheusServlet(environment.metrics(), forwarder, routing, control)).addMapping("/prometheus");
        Tokens tokens = new Tokens(api.readToken(), api.adminToken());
        environment.admin().addFilter("quiclb-admin-auth", new AdminPagesFilter(tokens, api.publicPages()))
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), true, "/*");
        if (configuration.getServerFactory() instanceof AbstractServerFactory server) {
            server.setRegisterDefaultExceptionMappers(false); // ErrorMappers give every error the API's shape
        }
        StrictJson json = new StrictJson(environment.getValidator(), api.maxRequestBytes());
        environment.jersey().register(new StrictJsonReader(json, api.maxRequestBytes()));
        ErrorMappers.all().forEach(environment.jersey()::register);
        environment.jersey().register(new BearerAuthFilter(tokens));
        environment.jersey().register(new ConfigResource(control, routing, json));
        environment.jersey().register(new ServerResource(control, routing, json,
                shared == null ? control::state : new FleetOffers(shared, membership, control)));
        environment.jersey().register(new FleetResource(shared, membership));
        environment.jersey().register(new WhoamiResource(routing));
        environment.jersey().register(new StatsResource(forwarder, routing, control::revision));
        environment.jersey().register(new AuditResource(audit));
        environment.jersey().register(new io.quiclb.appliance.openapi.OpenApiDocumentResource());
        if (api.adminToken() == null) {
            LOG.warn("quiclb: api.adminToken is not set: the REST API accepts no changes, admin-only pages answer 401");
        }
        try {
            store.lock(); // last, so a startup that fails before this never holds it
        } catch (IllegalStateException | java.io.IOException e) {
            throw new StartupFailure(e.getMessage(), e);
        }
        environment.lifecycle().manage(new Managed() {
            @Override
            public void stop() {
                store.unlock();
            }
        });
        // SO_REUSEPORT on the HTTP connectors, so the appliance that takes this one over can bind them beside it.
        io.dropwizard.core.server.ServerFactory serverSection = configuration.getServerFactory();
        configuration.setServerFactory(new ReusePortServerFactory(serverSection));
        SystemdNotifier systemd = SystemdNotifier.fromEnvironment();
        TakeoverHost host = new TakeoverHost(forwarder, control, store, handoverSocket,
                settings.drainTimeout().toMilliseconds(), () -> System.exit(0), systemd);
        environment.lifecycle().manage(closing(() -> {
            if (!host.handedOver()) {
                systemd.stopping(); // after a handover the service goes on in the new process
            }
            host.close();
            systemd.close();
        }));
        TakeoverClient.Session session = handover;
        environment.lifecycle().addServerLifecycleListener(server -> {
            if (session != null) {
                if (!handOver(session, forwarder)) {
                    // The appliance taken over reads its sockets again and serves on. Off this thread: exiting runs
                    // the shutdown hooks, which stop the server this thread is starting.
                    new Thread(() -> System.exit(1), "quiclb-exit").start();
                    return;
                }
                // systemd follows this process from now on (NotifyAccess=all), before the old one exits.
                systemd.send("MAINPID=" + ProcessHandle.current().pid() + "\nREADY=1");
                LOG.info("takeover: serving on the listener sockets of the appliance taken over");
            } else {
                systemd.ready();
            }
            try {
                host.start(server);
            } catch (java.io.IOException e) {
                LOG.error("takeover: {}; this appliance cannot be taken over", e.getMessage());
            }
            if (membership != null) {
                membership.start(); // listeners bound: the entry names them
            }
            LOG.info("{}", ReadyLine.of(forwarder, routing.current(), serverSection, server));
        });
    }

    /**
     * A takeover's last step, once this appliance has started: the old one stops reading and hands its NAT flows
     * over, this one adopts them and reads the inherited listeners. If the old one fails or leaves first: when it
     * still runs it reads its sockets again, so this one must go (false); when it died, this one serves.
     *
     * @return whether this appliance serves
     */
    private static boolean handOver(TakeoverClient.Session session, Forwarder forwarder) {
        try {
            session.handOver(forwarder.handover()); // logs what it adopted
            return true;
        } catch (java.io.IOException e) {
            if (session.oldOneAlive()) {
                LOG.error("takeover failed at the handover ({}); the running appliance carries on, this one exits 1",
                        e.getMessage());
                try {
                    // Nothing more is read here, and the old one hears of it now, not after the shutdown hooks.
                    forwarder.handover().stopReading();
                    forwarder.handover().stopUpstreamReading();
                } catch (Exception reading) {
                    LOG.warn("takeover: stopping reading failed ({})", String.valueOf(reading));
                }
                session.close();
                return false;
            }
            LOG.warn("takeover: the running appliance left during the handover ({}); serving on its listeners"
                    + " without its flows", e.getMessage());
            try {
                forwarder.handover().resumeReading();
            } catch (Exception reading) {
                LOG.error("takeover: reading the inherited listeners failed ({})", String.valueOf(reading));
            }
            return true;
        }
    }

    /**
     * A takeover's first step, before anything is read or bound: receive the running appliance's listener sockets.
     *
     * @return the session, or null when no appliance runs there (start as {@code server} would)
     */
    private static TakeoverClient.Session takeOver(QuicLbConfiguration configuration, Path handoverSocket) {
        if (!Transport.select(configuration.getForwarder().transport()).canAdopt()) {
            throw new StartupFailure("forwarder.transport: a takeover needs epoll or io_uring, which can adopt a"
                    + " socket; nio cannot: stop the running appliance and start this one instead", null);
        }
        if (configuration.getDemo().backends()) {
            throw new StartupFailure("demo.backends: the demo backends run inside the appliance and would stop with"
                    + " the one taken over; a takeover needs demo.backends off", null);
        }
        try {
            TakeoverClient.Session session = TakeoverClient.connect(handoverSocket, java.time.Duration.ofSeconds(10))
                    .orElse(null);
            if (session == null) {
                LOG.info("takeover: no appliance answers on {}; starting as `server` would", handoverSocket);
            } else {
                LOG.info("takeover: received {} listener socket(s) from the running appliance",
                        session.sockets().remaining());
            }
            return session;
        } catch (java.io.IOException e) {
            if (!TakeoverClient.answers(handoverSocket)) {
                // The running appliance died half way: nobody holds the listeners now, so start as `server` would.
                LOG.warn("takeover: the running appliance left during the handover ({}); starting as `server` would",
                        e.getMessage());
                return null;
            }
            throw new StartupFailure("forwarder.handoverSocket " + handoverSocket + ": " + e.getMessage()
                    + "; the running appliance carries on", e);
        }
    }

    /**
     * A listener configured with port 0 takes the port the running appliance got for a listener on the same host
     * (each used once, in order), so its socket is inherited rather than a new port chosen; other listeners stay as
     * configured.
     */
    static List<HostPort> inheritedPorts(List<HostPort> configured, List<java.net.InetSocketAddress> running) {
        List<HostPort> listeners = new java.util.ArrayList<>();
        List<java.net.InetSocketAddress> unused = new java.util.ArrayList<>(running);
        for (HostPort listener : configured) {
            if (listener.port() == 0) {
                java.net.InetAddress host = listener.resolve().getAddress();
                java.net.InetSocketAddress bound = unused.stream().filter(a -> a.getAddress().equals(host))
                        .findFirst().orElse(null);
                if (bound != null) {
                    unused.remove(bound);
                    listeners.add(new HostPort(bound.getAddress().getHostAddress(), bound.getPort()));
                    continue;
                }
            }
            listeners.add(listener);
        }
        return listeners;
    }

    /** @return this build's version (the jar's Implementation-Version), or {@code dev} from classes */
    static String version() {
        String version = QuicLbApplication.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }

    private static Managed closing(Runnable close) {
        return new Managed() {
            @Override
            public void stop() {
                close.run();
            }
        };
    }

}

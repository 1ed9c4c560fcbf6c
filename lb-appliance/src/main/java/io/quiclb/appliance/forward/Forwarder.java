package io.quiclb.appliance.forward;

import io.dropwizard.lifecycle.Managed;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.quiclb.appliance.capacity.Capacity;
import io.quiclb.appliance.config.ForwarderSettings;
import io.quiclb.appliance.config.HostInterfaces;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.decision.DecisionTables;
import io.quiclb.appliance.guard.HandshakeBudget;
import io.quiclb.appliance.route.RouteTable;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.appliance.route.ServerHandle;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UDP data plane: {@code forwarder.workers} event loops, each binding its own socket on every listener
 * address (SO_REUSEPORT; the kernel spreads clients over them by 4-tuple), routing each datagram with the
 * current {@link RouteTable} and the shared draft-21 §4.2 tables ({@link DecisionTables}), and relaying it through
 * a NAT flow on one of the worker's upstream ports. Started and stopped by Dropwizard as a {@link Managed}.
 *
 * <p>At startup it measures what the machine allows ({@link Capacity}) and lowers {@code forwarder.maxFlows} to it
 * with one warning; the flow limit follows later changes of the servers.
 *
 * <p>With NIO, which has no SO_REUSEPORT, only the first worker binds the listeners.
 *
 * <p><b>Thread safety:</b> {@link #start} and {@link #stop} are called once each by Dropwizard; the accessors may
 * be called from any thread.
 */
public final class Forwarder implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(Forwarder.class);
    private static final long MIN_SWEEP_MILLIS = 50;
    /**
     * Entries each §4.2 table holds at least. Each holds max(this, 2 x forwarder.maxFlows): a connection leaves an
     * entry in each table, and one that migrated or changed CIDs a second until the first expires.
     */
    static final int MIN_DECISION_ENTRIES = 65_536;
    private static final long MAX_UNCONFIRMED_SWEEP_MILLIS = 1000;

    private final ForwarderSettings settings;
    private final RoutingService routing;
    private final List<Worker> workers = new ArrayList<>();
    private final LocalAddresses locals = new LocalAddresses();
    private ListenerSockets listeners;
    private MultiThreadIoEventLoopGroup group;
    private ScheduledExecutorService sweeper;
    private Transport transport;
    private DecisionTables decisions;
    private FlowLimits limits;
    private volatile Capacity capacity;
    /** Listener sockets per worker at startup (wildcards' interface addresses included), for the capacity. */
    private int listenerSockets;
    private volatile InheritedSockets inherited = InheritedSockets.NONE;
    /** While a takeover is offered or done: no new listener sockets (they would not be handed over). */
    private volatile boolean listenersFrozen;
    /** What the data-path warm-up did at startup; null when it did not run or failed. */
    private volatile DataPathWarmUp.Result warmUp;

    /**
     * @param settings the forwarder section of config.yml
     * @param routing  where route tables come from
     */
    public Forwarder(ForwarderSettings settings, RoutingService routing) {
        this.settings = settings;
        this.routing = routing;
    }

    /**
     * Before {@link #start}: listener sockets received from the appliance this one takes over, adopted instead of
     * bound anew.
     *
     * @param sockets the inherited sockets
     */
    public void inherit(InheritedSockets sockets) {
        this.inherited = sockets;
    }

    /**
     * @param frozen whether to stop opening listener sockets for new interface addresses (while a takeover is
     *               offered: a socket opened then would not be handed over)
     */
    public void freezeListeners(boolean frozen) {
        listenersFrozen = frozen;
    }

    /** @return this forwarder's part in a takeover: its sockets and flows, handed over or adopted */
    public ForwarderHandover handover() {
        return new ForwarderHandover(this);
    }

    /** @return the workers, in index order (empty before {@link #start}) */
    List<Worker> workers() {
        return workers;
    }

    /** @return the listener sockets (null before {@link #start}) */
    ListenerSockets listenerSet() {
        return listeners;
    }

    /** @return the local address numbering */
    LocalAddresses locals() {
        return locals;
    }

    /** @return the §4.2 tables (null before {@link #start}) */
    DecisionTables decisions() {
        return decisions;
    }

    /** @return where route tables come from */
    RoutingService routing() {
        return routing;
    }

    @Override
    public void start() throws Exception {
        transport = Transport.select(settings.transport());
        int workerCount = settings.workers();
        Set<InetSocketAddress> targets = targets(routing.current());
        listenerSockets = settings.listenerSocketsPerWorker();
        capacity = Capacity.measure(workerCount, listenerSockets,
                Capacity.sourcesPerTarget(settings.upstreamSourceAddresses(), targets), targets.size(),
                targets.size(), settings.maxFlows(), settings.maxHandshakes());
        if (capacity.clamped()) {
            LOG.warn("forwarder {}", capacity.describe());
        } else {
            LOG.info("forwarder {}", capacity.describe());
        }
        limits = new FlowLimits(capacity.effectiveMaxFlows(),
                new HandshakeBudget(capacity.maxHandshakes(), settings.maxHandshakesPerPrefix()),
                new SocketBudget((int) Math.min(Integer.MAX_VALUE, capacity.socketBudget())));
        long maxTableEntries = Math.min(Integer.MAX_VALUE / 2, settings.maxFlows());
        decisions = new DecisionTables((int) Math.min(Integer.MAX_VALUE / 2,
                Math.max(MIN_DECISION_ENTRIES, 2 * settings.maxFlows())));
        long confirmedIdle = settings.flowIdleTimeout().toNanoseconds();
        long unconfirmedIdle = settings.unconfirmedFlowIdleTimeout().toNanoseconds();
        java.util.Set<java.net.InetAddress> local = new java.util.HashSet<>(settings.upstreamSourceAddresses());
        local.addAll(HostInterfaces.addresses(false));
        local.addAll(HostInterfaces.addresses(true));
        OwnUpstreamPorts ownPorts = new OwnUpstreamPorts(local);
        Worker.Shared shared = new Worker.Shared(routing, decisions, locals, limits,
                settings.upstreamSourceAddresses(), maxTableEntries, unconfirmedIdle, confirmedIdle,
                settings.maxDatagramSize(), ownPorts);
        group = new MultiThreadIoEventLoopGroup(workerCount, new DefaultThreadFactory("quiclb-worker"),
                transport.ioHandlerFactory());
        // What the settings ask for and the transport can do: decided once, used for every worker and listener.
        boolean gso = settings.gso() && transport.supportsGso();
        boolean gro = settings.gro() && transport.supportsGro();
        int index = 0;
        for (EventExecutor executor : group) {
            EventLoop eventLoop = (EventLoop) executor;
            ChannelPortOpener opener = new ChannelPortOpener(eventLoop, transport, settings.maxDatagramSize(),
                    ownPorts);
            Worker worker = new Worker(index++, eventLoop, opener, shared);
            opener.setWorker(worker);
            worker.setGso(gso);
            workers.add(worker);
        }
        warmUp(gso, gro);
        scheduleSweeps(unconfirmedIdle, confirmedIdle);
        listeners = new ListenerSockets(settings, transport, workers, locals, gro, sweeper, limits.sockets,
                inherited);
        try {
            listeners.bind();
        } catch (Exception e) {
            stop();
            throw e;
        }
        sweeper.scheduleWithFixedDelay(() -> {
            if (!listenersFrozen) {
                listeners.rescan();
            }
        }, ListenerSockets.RESCAN_SECONDS,
                ListenerSockets.RESCAN_SECONDS, TimeUnit.SECONDS);
        LOG.info("forwarder: {} worker(s) on {}, listening on {}, UDP GSO sends {}, UDP GRO receives {}",
                workerCount, transport, listeners.boundAddresses(), gso ? "on" : "off", gro ? "on" : "off");
    }

    /**
     * Before the listeners open: runs the data path on loopback traffic for {@code forwarder.warmUp}
     * ({@link DataPathWarmUp}) on the first worker's event loop. A warm-up that fails (no loopback address, no
     * descriptor left) is logged and skipped; the forwarder starts without it. An interrupted one ends the start.
     */
    private void warmUp(boolean gso, boolean gro) throws InterruptedException {
        long nanos = settings.warmUp().toNanoseconds();
        if (nanos <= 0) {
            return;
        }
        try {
            warmUp = DataPathWarmUp.run(workers.get(0).eventLoop(), transport, routing.current(),
                    new ListenerOpener.Options(settings.maxDatagramSize(), gro, false), gso, nanos);
            LOG.info("forwarder: data path warmed up on loopback for {}", warmUp.describe());
        } catch (InterruptedException e) {
            throw e; // the start is being abandoned: so is the warm-up (everything it opened is closed)
        } catch (IOException e) {
            LOG.warn("forwarder: data path warm-up on loopback failed, starting without it: {}", String.valueOf(e));
        } catch (Exception e) {
            LOG.warn("forwarder: data path warm-up on loopback failed, starting without it", e);
        }
    }

    /** @return what the warm-up did, or null when it did not run or failed */
    DataPathWarmUp.Result warmUpResult() {
        return warmUp;
    }

    /**
     * Unconfirmed flows are checked every quarter of their timeout (from 50 ms to 1 s): the list is ordered, so a
     * check costs only what expires. Confirmed flows are swept every quarter of theirs (at least 50 ms), a pass over
     * the worker's flow table; the §4.2 tables likewise, on a thread of their own.
     */
    private void scheduleSweeps(long unconfirmedIdle, long confirmedIdle) {
        long unconfirmedSweep = Math.max(MIN_SWEEP_MILLIS,
                Math.min(MAX_UNCONFIRMED_SWEEP_MILLIS, TimeUnit.NANOSECONDS.toMillis(unconfirmedIdle) / 4));
        long confirmedSweep = Math.max(MIN_SWEEP_MILLIS, TimeUnit.NANOSECONDS.toMillis(confirmedIdle) / 4);
        for (Worker worker : workers) {
            worker.eventLoop().scheduleAtFixedRate(worker::expireUnconfirmed, unconfirmedSweep, unconfirmedSweep,
                    TimeUnit.MILLISECONDS);
            worker.eventLoop().scheduleAtFixedRate(worker::expireConfirmed, confirmedSweep, confirmedSweep,
                    TimeUnit.MILLISECONDS);
        }
        long decisionSweep = Math.max(MIN_SWEEP_MILLIS,
                Math.min(MAX_UNCONFIRMED_SWEEP_MILLIS, TimeUnit.NANOSECONDS.toMillis(confirmedIdle) / 4));
        sweeper = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("quiclb-decisions", true));
        DecisionTables tables = decisions;
        sweeper.scheduleAtFixedRate(() -> tables.expire(System.nanoTime() - confirmedIdle), decisionSweep,
                decisionSweep, TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() throws Exception {
        if (group == null) {
            return;
        }
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
        for (Worker worker : workers) {
            if (worker.eventLoop().isShuttingDown()) {
                continue;
            }
            // The worker's listeners change on its event loop (wildcard destinations): read them there.
            for (Channel channel : worker.eventLoop().submit(worker::listeners).get(2, TimeUnit.SECONDS)) {
                if (channel != null && channel.eventLoop() == worker.eventLoop()) {
                    channel.close().await(2, TimeUnit.SECONDS);
                }
            }
            // Wait for the upstream sockets to close before the event loops go: io_uring closes lazily.
            for (ChannelFuture closing : worker.eventLoop().submit(worker::closeAll).get(2, TimeUnit.SECONDS)) {
                closing.await(2, TimeUnit.SECONDS);
            }
        }
        if (listeners != null) {
            for (Channel extra : listeners.extras()) {
                extra.close().await(2, TimeUnit.SECONDS);
            }
        }
        // A short quiet period lets io_uring complete the reads it had in flight and release their buffers.
        group.shutdownGracefully(50, 2000, TimeUnit.MILLISECONDS).await(5, TimeUnit.SECONDS);
        group = null;
    }

    /**
     * After a change of the routing state: has every worker re-key its decoder for the route table in force, each
     * on its own event loop, so the first datagram after a configuration change does not pay for new AES key
     * schedules; and follows the flow limit to the new number of targets. Workers re-key on their own when a
     * datagram meets a new table first; this only moves the work off the data path.
     */
    public void prepareWorkers() {
        RouteTable table = routing.current();
        for (Worker worker : workers) {
            if (!worker.eventLoop().isShuttingDown()) {
                worker.eventLoop().execute(() -> worker.prepare(table));
            }
        }
        Capacity before = capacity;
        if (before != null && limits != null) {
            Set<InetSocketAddress> targets = targets(table);
            int sources = Capacity.sourcesPerTarget(settings.upstreamSourceAddresses(), targets);
            if (targets.size() != before.targets() || sources != before.sources()) {
                Capacity after = Capacity.compute(before.descriptorLimit(), before.descriptorsInUse(),
                        settings.workers(), listenerSockets, sources, targets.size(), targets.size(),
                        before.portsPerSource(), settings.maxFlows(), settings.maxHandshakes());
                capacity = after;
                limits.setMaxFlows(after.effectiveMaxFlows());
                limits.handshakes.setMax(after.maxHandshakes());
                limits.sockets.setMax((int) Math.min(Integer.MAX_VALUE, after.socketBudget()));
                LOG.info("forwarder {} (the servers changed)", after.describe());
            }
        }
    }

    /** @return distinct target addresses of the table's servers: their addresses and thread sockets */
    static Set<InetSocketAddress> targets(RouteTable table) {
        Set<InetSocketAddress> targets = new HashSet<>();
        for (ServerHandle server : table.servers()) {
            targets.add(server.address());
            targets.addAll(server.threadSockets());
        }
        return targets;
    }

    /** @return the listener addresses as bound (port 0 replaced by the port the kernel chose) */
    public List<InetSocketAddress> boundAddresses() {
        return listeners == null ? List.of() : listeners.boundAddresses();
    }

    /** @return whether every configured listener socket of every listening worker is open and bound */
    public boolean isBound() {
        return group != null && !workers.isEmpty() && listeners != null && listeners.isBound();
    }

    /** @return the transport in use, or null before {@link #start} */
    public Transport transport() {
        return transport;
    }

    /** @return what the machine allows, as measured at startup (targets as now); null before {@link #start} */
    public Capacity capacity() {
        return capacity;
    }

    /** @return the counters of each worker */
    public List<WorkerCounters> workerCounters() {
        List<WorkerCounters> counters = new ArrayList<>();
        for (Worker worker : workers) {
            counters.add(worker.counters());
        }
        return counters;
    }

    /** @return the event loop of worker {@code index}; for tests that need to hold a worker still */
    EventLoop workerEventLoop(int index) {
        return workers.get(index).eventLoop();
    }

    /**
     * @param counter a counter
     * @return its sum over workers
     */
    public long total(ForwarderCounter counter) {
        long sum = 0;
        for (Worker worker : workers) {
            sum += worker.counters().get(counter);
        }
        return sum;
    }

    /**
     * @param gauge {@link WorkerCounters#UNCONFIRMED_FLOWS} or {@link WorkerCounters#CONFIRMED_FLOWS}
     * @return its sum over workers
     */
    public long totalGauge(int gauge) {
        long sum = 0;
        for (Worker worker : workers) {
            sum += worker.counters().gauge(gauge);
        }
        return sum;
    }

    /**
     * @param configId 0..6
     * @return datagrams routed by CIDs of that configuration, over all workers
     */
    public long routedByConfig(int configId) {
        long sum = 0;
        for (Worker worker : workers) {
            sum += worker.counters().routedByConfig(configId);
        }
        return sum;
    }

    /** @return NAT flows open now, over all workers */
    public long flows() {
        return limits == null ? 0 : limits.flows();
    }

    /** @return flows opened by unroutable DCIDs and not yet confirmed, over all workers */
    public long handshakes() {
        return limits == null ? 0 : limits.handshakes.inProgress();
    }

    /** @return upstream sockets open now, over all workers */
    public long upstreamSockets() {
        return limits == null ? 0 : limits.sockets.open();
    }

    /** @return entries in the §4.2 tables now */
    public long decisionEntries() {
        return decisions == null ? 0 : decisions.size();
    }
}

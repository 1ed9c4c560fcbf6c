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
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.decision.DecisionTables;
import io.quiclb.appliance.guard.HandshakeBudget;
import io.quiclb.appliance.route.RouteTable;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.appliance.route.ServerHandle;
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
public final class Forwarder implements Managed, Destinations {
    private static final Logger LOG = LoggerFactory.getLogger(Forwarder.class);
    /** Datagrams read per system call where the transport batches receives. */
    private static final int RECEIVE_BATCH = 16;
    private static final int LISTENER_RCVBUF = 4 << 20;
    private static final long MIN_SWEEP_MILLIS = 50;
    private static final long MAX_UNCONFIRMED_SWEEP_MILLIS = 1000;
    /** How often wildcard listeners look for new interface addresses. */
    static final long RESCAN_SECONDS = 10;

    private final ForwarderSettings settings;
    private final RoutingService routing;
    private final List<Worker> workers = new ArrayList<>();
    private final List<InetSocketAddress> boundAddresses = new ArrayList<>();
    private final List<InetSocketAddress> boundWildcards = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Per worker: the sockets of the configured listeners (wildcards and specific addresses), for isBound. */
    private final List<List<Channel>> configured = new ArrayList<>();
    private final LocalAddresses locals = new LocalAddresses();
    private final java.util.concurrent.atomic.AtomicLong lastRescan = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong lastListenFailureLog =
            new java.util.concurrent.atomic.AtomicLong(Long.MIN_VALUE / 2);
    private boolean gro;
    private MultiThreadIoEventLoopGroup group;
    private ScheduledExecutorService sweeper;
    private Transport transport;
    private DecisionTables decisions;
    private FlowLimits limits;
    private volatile Capacity capacity;

    /**
     * @param settings the forwarder section of config.yml
     * @param routing  where route tables come from
     */
    public Forwarder(ForwarderSettings settings, RoutingService routing) {
        this.settings = settings;
        this.routing = routing;
    }

    @Override
    public void start() throws Exception {
        transport = Transport.select(settings.transport());
        int workerCount = settings.workers();
        int targets = targets(routing.current());
        capacity = Capacity.measure(workerCount, settings.listeners().size(), settings.upstreamSources().size(),
                targets, targets, settings.maxFlows(), settings.maxHandshakes());
        if (capacity.clamped()) {
            LOG.warn("forwarder {}", capacity.describe());
        } else {
            LOG.info("forwarder {}", capacity.describe());
        }
        limits = new FlowLimits(capacity.effectiveMaxFlows(),
                new HandshakeBudget(capacity.maxHandshakes(), settings.maxHandshakesPerPrefix()),
                new SocketBudget((int) Math.min(Integer.MAX_VALUE, capacity.socketBudget())));
        long maxTableEntries = Math.min(Integer.MAX_VALUE / 2, settings.maxFlows());
        decisions = new DecisionTables((int) maxTableEntries);
        long confirmedIdle = settings.flowIdleTimeout().toNanoseconds();
        long unconfirmedIdle = settings.unconfirmedFlowIdleTimeout().toNanoseconds();
        Worker.Shared shared = new Worker.Shared(routing, decisions, locals, limits,
                settings.upstreamSourceAddresses(), maxTableEntries, unconfirmedIdle, confirmedIdle,
                settings.maxDatagramSize());
        group = new MultiThreadIoEventLoopGroup(workerCount, new DefaultThreadFactory("quiclb-worker"),
                transport.ioHandlerFactory());
        // What the settings ask for and the transport can do: decided once, used for every worker and listener.
        boolean gso = settings.gso() && transport.supportsGso();
        boolean gro = settings.gro() && transport.supportsGro();
        int index = 0;
        for (EventExecutor executor : group) {
            EventLoop eventLoop = (EventLoop) executor;
            ChannelPortOpener opener = new ChannelPortOpener(eventLoop, transport, settings.maxDatagramSize());
            Worker worker = new Worker(index++, eventLoop, opener, shared);
            opener.setWorker(worker);
            worker.setGso(gso);
            workers.add(worker);
            configured.add(new java.util.concurrent.CopyOnWriteArrayList<>());
        }
        scheduleSweeps(unconfirmedIdle, confirmedIdle);
        try {
            bindListeners(gro);
        } catch (Exception e) {
            stop();
            throw e;
        }
        LOG.info("forwarder: {} worker(s) on {}, listening on {}, UDP GSO sends {}, UDP GRO receives {}",
                workerCount, transport, boundAddresses, gso ? "on" : "off", gro ? "on" : "off");
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
        sweeper.scheduleWithFixedDelay(this::rescan, RESCAN_SECONDS, RESCAN_SECONDS, TimeUnit.SECONDS);
    }

    /**
     * Binds every listener on every worker: first the specific addresses, numbered in the order of
     * {@code forwarder.listeners}; then each wildcard, with a socket of its own for every address of the host's
     * interfaces of its family (numbered after them), so replies leave from the address a client sent to. Port 0
     * lets the first socket pick the port; the others join it.
     *
     * @param gro whether the listeners take UDP GRO receives (the transport can)
     */
    private void bindListeners(boolean gro) throws Exception {
        this.gro = gro;
        List<InetSocketAddress> wildcards = new ArrayList<>();
        for (HostPort listener : settings.listeners()) {
            InetSocketAddress address = listener.resolve();
            if (address.getAddress().isAnyLocalAddress()) {
                wildcards.add(address);
                continue;
            }
            boundAddresses.add(listenEverywhere(address, true));
        }
        for (InetSocketAddress wildcard : wildcards) {
            InetSocketAddress bound = wildcard;
            for (Worker worker : listeningWorkers()) {
                InetSocketAddress at = bound;
                Channel channel = onLoop(worker, () -> openListener(worker, at, new ListenerHandler(worker, this), true));
                configured.get(worker.index()).add(channel);
                if (bound.getPort() == 0) {
                    bound = new InetSocketAddress(wildcard.getAddress(), ((InetSocketAddress) channel.localAddress())
                            .getPort());
                }
            }
            boundAddresses.add(bound);
            boundWildcards.add(bound);
            for (java.net.InetAddress local : interfaceAddresses(wildcard.getAddress() instanceof java.net.Inet6Address)) {
                InetSocketAddress destination = new InetSocketAddress(local, bound.getPort());
                try {
                    listenEverywhere(destination, false);
                } catch (Exception e) {
                    LOG.warn("forwarder: cannot listen on {}, an address of wildcard listener {} ({}); its datagrams"
                            + " count as dropped.unknown-destination", destination, bound, String.valueOf(e));
                }
            }
        }
    }

    /**
     * Binds a specific address on every worker that listens (with NIO, the first only, whose socket the others
     * reply through) and numbers it; each socket gets its handler in the same event-loop task that binds it.
     *
     * @return the address as bound
     */
    private InetSocketAddress listenEverywhere(InetSocketAddress address, boolean configuredListener)
            throws Exception {
        InetSocketAddress bound = address;
        int local = locals.indexOf(address);
        for (Worker worker : listeningWorkers()) {
            if (local >= 0 && worker.hasListener(local)) {
                continue;
            }
            InetSocketAddress at = bound;
            int known = local;
            int[] assigned = {known};
            Channel channel = onLoop(worker, () -> {
                Channel opened = openListener(worker, at, null, false);
                int number = known >= 0 ? known : locals.register((InetSocketAddress) opened.localAddress());
                opened.pipeline().addLast(new ListenerHandler(worker, number));
                worker.setListener(number, opened);
                assigned[0] = number;
                return opened;
            });
            local = assigned[0];
            bound = (InetSocketAddress) channel.localAddress();
            if (configuredListener) {
                configured.get(worker.index()).add(channel);
            }
        }
        if (!transport.reusePort()) {
            // Without SO_REUSEPORT only the first worker listens; the others reply through its socket.
            Channel first = workers.get(0).listeners()[local];
            int number = local;
            for (Worker worker : workers.subList(1, workers.size())) {
                onLoop(worker, () -> {
                    worker.setListener(number, first);
                    return first;
                });
            }
        }
        return bound;
    }

    /** @return the workers that bind listener sockets: all, or the first only without SO_REUSEPORT */
    private List<Worker> listeningWorkers() {
        return transport.reusePort() ? workers : workers.subList(0, 1);
    }

    /**
     * Opens a listener socket on the worker's event loop (registering and binding complete there at once).
     *
     * @param handler its handler, or null to add one later
     */
    private Channel openListener(Worker worker, InetSocketAddress address, ListenerHandler handler, boolean wildcard)
            throws Exception {
        int slot = transport.receiveSlot(settings.maxDatagramSize(), gro);
        io.netty.channel.socket.DatagramChannel channel = transport.channelFactory(address).newChannel();
        channel.config().setOption(ChannelOption.SO_RCVBUF, LISTENER_RCVBUF);
        channel.config().setOption(ChannelOption.RECVBUF_ALLOCATOR, listenerAllocator(transport, gro, slot));
        transport.configureListener(channel.config(), settings.maxDatagramSize(), gro, wildcard);
        if (handler != null) {
            channel.pipeline().addLast(handler);
        }
        ChannelFuture registered = worker.eventLoop().register(channel);
        if (!registered.isSuccess()) {
            channel.unsafe().closeForcibly();
            throw new IllegalStateException("listener " + address + ": register failed", registered.cause());
        }
        ChannelFuture bound = channel.bind(address);
        if (!bound.isSuccess()) {
            channel.close();
            Throwable cause = bound.cause();
            throw cause instanceof Exception e ? e : new IllegalStateException(cause);
        }
        return channel;
    }

    private static <T> T onLoop(Worker worker, java.util.concurrent.Callable<T> task) throws Exception {
        if (worker.eventLoop().inEventLoop()) {
            return task.call();
        }
        try {
            return worker.eventLoop().submit(task).get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    @Override
    public int localFor(Worker worker, InetSocketAddress destination) {
        int local = locals.indexOf(destination);
        if (local >= 0 && worker.hasListener(local)) {
            return local;
        }
        local = locals.register(destination);
        if (!listenHere(worker, local, destination)) {
            return -1;
        }
        for (Worker other : workers) {
            if (other != worker && transport.reusePort()) {
                int number = local;
                other.eventLoop().execute(() -> listenHere(other, number, destination));
            }
        }
        return local;
    }

    /** Binds this worker's socket for a destination found behind a wildcard; on its event loop. */
    private boolean listenHere(Worker worker, int local, InetSocketAddress destination) {
        if (worker.hasListener(local)) {
            return true;
        }
        try {
            worker.setListener(local, openListener(worker, destination, new ListenerHandler(worker, local), false));
            if (worker.index() == 0) {
                LOG.info("forwarder: listening on {} too, a destination behind wildcard listener {}", destination,
                        boundWildcards);
            }
            return true;
        } catch (Exception e) {
            long now = System.nanoTime();
            long last = lastListenFailureLog.get();
            if (now - last > TimeUnit.SECONDS.toNanos(IntervalLog.INTERVAL_SECONDS)
                    && lastListenFailureLog.compareAndSet(last, now)) {
                LOG.warn("forwarder worker {}: cannot listen on {}, a destination behind a wildcard listener ({});"
                        + " its datagrams count as dropped.unknown-destination", worker.index(), destination,
                        String.valueOf(e));
            }
            return false;
        }
    }

    @Override
    public void unknownDestination() {
        long now = System.nanoTime();
        long last = lastRescan.get();
        if (sweeper != null && now - last > TimeUnit.SECONDS.toNanos(1) && lastRescan.compareAndSet(last, now)) {
            sweeper.execute(this::rescan);
        }
    }

    /**
     * Listens on every address of the host's interfaces of each wildcard listener's family, on every worker, that has
     * no socket yet: at startup, every {@value #RESCAN_SECONDS} s, and soon after a wildcard listener got a datagram
     * whose destination its transport does not report.
     */
    private void rescan() {
        for (InetSocketAddress wildcard : boundWildcards) {
            boolean ipv6 = wildcard.getAddress() instanceof java.net.Inet6Address;
            for (java.net.InetAddress address : interfaceAddresses(ipv6)) {
                InetSocketAddress destination = new InetSocketAddress(address, wildcard.getPort());
                int local = locals.register(destination);
                for (Worker worker : listeningWorkers()) {
                    if (worker.eventLoop().isShuttingDown()) {
                        continue;
                    }
                    worker.eventLoop().execute(() -> listenHere(worker, local, destination));
                }
            }
        }
    }

    /**
     * @param ipv6 the family
     * @return the unicast addresses of the host's interfaces that are up, link-local ones excepted
     */
    static List<java.net.InetAddress> interfaceAddresses(boolean ipv6) {
        List<java.net.InetAddress> addresses = new ArrayList<>();
        try {
            for (java.net.NetworkInterface network : java.util.Collections.list(
                    java.net.NetworkInterface.getNetworkInterfaces())) {
                if (!network.isUp()) {
                    continue;
                }
                for (java.net.InetAddress address : java.util.Collections.list(network.getInetAddresses())) {
                    if ((address instanceof java.net.Inet6Address) == ipv6 && !address.isLinkLocalAddress()
                            && !address.isMulticastAddress() && !address.isAnyLocalAddress()) {
                        addresses.add(ipv6 ? java.net.InetAddress.getByAddress(address.getAddress()) : address);
                    }
                }
            }
        } catch (java.io.IOException e) {
            LOG.warn("forwarder: cannot list the host's interface addresses ({})", String.valueOf(e));
        }
        return addresses;
    }

    /**
     * Batched receives (recvmmsg, {@value #RECEIVE_BATCH} slots of one datagram each), or with GRO one coalesced
     * receive per slot-sized buffer: Netty's batched receive hands a coalesced receive on unsplit, so GRO takes the
     * one-message path, and reads on while datagrams wait rather than stopping when one did not fill its buffer.
     */
    private static FixedRecvByteBufAllocator listenerAllocator(Transport transport, boolean gro, int slot) {
        if (gro) {
            FixedRecvByteBufAllocator allocator = new FixedRecvByteBufAllocator(slot);
            allocator.respectMaybeMoreData(false);
            allocator.maxMessagesPerRead(RECEIVE_BATCH);
            return allocator;
        }
        return new FixedRecvByteBufAllocator(transport.reusePort() ? slot * RECEIVE_BATCH : slot);
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
            for (Channel channel : worker.listeners()) {
                if (channel != null && channel.eventLoop() == worker.eventLoop()) {
                    channel.close().await(2, TimeUnit.SECONDS);
                }
            }
            if (!worker.eventLoop().isShuttingDown()) {
                // Wait for the upstream sockets to close before the event loops go: io_uring closes lazily.
                for (ChannelFuture closing : worker.eventLoop().submit(worker::closeAll).get(2, TimeUnit.SECONDS)) {
                    closing.await(2, TimeUnit.SECONDS);
                }
            }
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
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
            int targets = targets(table);
            if (targets != before.targets()) {
                Capacity after = Capacity.compute(before.descriptorLimit(), before.descriptorsInUse(),
                        settings.workers(), settings.listeners().size(), settings.upstreamSources().size(), targets,
                        targets, before.portsPerSource(), settings.maxFlows(), settings.maxHandshakes());
                capacity = after;
                limits.setMaxFlows(after.effectiveMaxFlows());
                limits.handshakes.setMax(after.maxHandshakes());
                LOG.info("forwarder {} (the servers changed)", after.describe());
            }
        }
    }

    /** @return distinct target addresses of the table's servers: their addresses and thread sockets */
    static int targets(RouteTable table) {
        Set<InetSocketAddress> targets = new HashSet<>();
        for (ServerHandle server : table.servers()) {
            targets.add(server.address());
            targets.addAll(server.threadSockets());
        }
        return targets.size();
    }

    /** @return the listener addresses as bound (port 0 replaced by the port the kernel chose) */
    public List<InetSocketAddress> boundAddresses() {
        return List.copyOf(boundAddresses);
    }

    /** @return whether every configured listener socket of every listening worker is open and bound */
    public boolean isBound() {
        if (group == null || workers.isEmpty()) {
            return false;
        }
        int expected = settings.listeners().size();
        for (Worker worker : listeningWorkers()) {
            List<Channel> channels = configured.get(worker.index());
            if (channels.size() != expected) {
                return false;
            }
            for (Channel channel : channels) {
                if (!channel.isActive()) {
                    return false;
                }
            }
        }
        return true;
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

package io.quiclb.appliance.forward;

import io.netty.channel.Channel;
import io.quiclb.appliance.config.ForwarderSettings;
import io.quiclb.appliance.config.HostInterfaces;
import io.quiclb.appliance.config.HostPort;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The forwarder's listener sockets: for each address of {@code forwarder.listeners} a socket on every worker
 * (SO_REUSEPORT; with NIO, the first worker's only), and for a wildcard listener a socket on every worker for each
 * destination address behind it, so replies leave from the address the client sent to: the host's interface
 * addresses at startup and every {@value #RESCAN_SECONDS} s, and, where the transport reports a datagram's
 * destination (epoll, IPv4), each destination as it arrives ({@link Destinations}). Local addresses are numbered once
 * for the appliance ({@link LocalAddresses}).
 *
 * <p>A socket is opened on its worker's event loop, where registering and binding complete at once, and gets its
 * handler in the same event-loop task, so no datagram reaches it before the handler does. The sockets for the host's
 * interface addresses behind a wildcard, opened at startup, are in the capacity's reserve; one for a destination
 * found later (a rescan, a datagram) takes a unit of the upstream socket budget, so a sender spreading datagrams over
 * many destinations cannot take the descriptors kept for the admin and API connectors; at most
 * {@value #MAX_LOCAL_ADDRESSES} local addresses are numbered, and a destination that could not get a socket is not
 * tried again for {@value IntervalLog#INTERVAL_SECONDS} s.
 *
 * <p><b>Thread safety:</b> {@link #bind} runs once, at startup; {@link #localFor} on the calling worker's event loop;
 * {@link #unknownDestination}, {@link #rescan} and the accessors from any thread.
 */
final class ListenerSockets implements Destinations {
    private static final Logger LOG = LoggerFactory.getLogger(ListenerSockets.class);
    /** How often wildcard listeners look for new interface addresses. */
    static final long RESCAN_SECONDS = 10;
    /**
     * Local addresses numbered at most: destinations behind wildcard listeners beyond it get no socket. Each takes a
     * socket per worker from the socket budget until shutdown, so the bound also bounds what a sender spraying
     * destinations (a host with AnyIP routes) can take from the flows.
     */
    static final int MAX_LOCAL_ADDRESSES = 1024;
    /** Datagrams read per system call where the transport batches receives. */

    private final ForwarderSettings settings;
    private final Transport transport;
    private final List<Worker> workers;
    private final LocalAddresses locals;
    private final boolean gro;
    private final Executor rescans;
    private final List<InetSocketAddress> boundAddresses = new ArrayList<>();
    private final List<InetSocketAddress> boundWildcards = new CopyOnWriteArrayList<>();
    /** Per worker: the sockets of the configured listeners (wildcards and specific addresses). */
    private final List<List<Channel>> configured = new ArrayList<>();
    private final SocketBudget sockets;
    private final InheritedSockets inherited;
    /** Inherited sockets beyond one per worker and address: read by a worker, never replied through. */
    private final List<Channel> extras = new CopyOnWriteArrayList<>();
    /** Destinations that could not get a socket, and until when they are not tried again. */
    private final ConcurrentHashMap<InetSocketAddress, Long> refused =
            new ConcurrentHashMap<>();
    private final AtomicLong lastRescan = new AtomicLong();
    private final AtomicLong lastListenFailureLog = new AtomicLong(Long.MIN_VALUE / 2);

    /**
     * @param settings  the forwarder section
     * @param transport the transport
     * @param workers   the workers, in index order
     * @param locals    the local address numbering the workers route with
     * @param gro       whether listeners take UDP GRO receives
     * @param rescans   where rescans of the interface addresses run (off the event loops)
     * @param sockets   the socket budget the sockets for destinations behind wildcards take from
     * @param inherited sockets received from the appliance taken over, adopted instead of binding new ones
     */
    ListenerSockets(ForwarderSettings settings, Transport transport, List<Worker> workers, LocalAddresses locals,
                    boolean gro, Executor rescans, SocketBudget sockets, InheritedSockets inherited) {
        this.inherited = inherited;
        this.sockets = sockets;
        this.settings = settings;
        this.transport = transport;
        this.workers = workers;
        this.locals = locals;
        this.gro = gro;
        this.rescans = rescans;
        for (int i = 0; i < workers.size(); i++) {
            configured.add(new CopyOnWriteArrayList<>());
        }
    }

    /**
     * Binds every listener on every worker: first the specific addresses, numbered in the order of
     * {@code forwarder.listeners}; then each wildcard, with a socket of its own for every address of the host's
     * interfaces of its family (numbered after them), so replies leave from the address a client sent to. Port 0
     * lets the first socket pick the port; the others join it.
     *
     * @param gro whether the listeners take UDP GRO receives (the transport can)
     */
    void bind() throws Exception {
        List<InetSocketAddress> wildcards = new ArrayList<>();
        for (HostPort listener : settings.listeners()) {
            InetSocketAddress address = listener.resolve();
            if (address.getAddress().isAnyLocalAddress()) {
                wildcards.add(address);
                continue;
            }
            boundAddresses.add(listenEverywhere(address, true, false));
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
            for (InetAddress local : HostInterfaces.addresses(wildcard.getAddress() instanceof Inet6Address)) {
                InetSocketAddress destination = new InetSocketAddress(local, bound.getPort());
                try {
                    listenEverywhere(destination, false, false);
                } catch (Exception e) {
                    LOG.warn("forwarder: cannot listen on {}, an address of wildcard listener {} ({}); its datagrams"
                            + " count as dropped.unknown-destination", destination, bound, String.valueOf(e));
                }
            }
        }
        adoptRemaining();
    }

    /**
     * Inherited sockets no worker took (the old appliance had more workers, or destinations behind a wildcard this
     * one has not met yet): each is adopted by a worker in turn and read like its own, so no socket of the
     * {@code SO_REUSEPORT} group is left unread.
     */
    private void adoptRemaining() throws Exception {
        List<Worker> listening = listeningWorkers();
        int next = 0;
        for (var entry : inherited.takeRemaining().entrySet()) {
            if (!listensOn(entry.getKey())) {
                LOG.info("forwarder: closing {} inherited socket(s) on {}: not a listener of this configuration",
                        entry.getValue().size(), entry.getKey());
                for (int fd : entry.getValue()) {
                    try {
                        new io.netty.channel.unix.FileDescriptor(fd).close();
                    } catch (java.io.IOException e) {
                        LOG.warn("forwarder: closing inherited socket {} failed ({})", fd, String.valueOf(e));
                    }
                }
                continue;
            }
            for (int fd : entry.getValue()) {
                Worker worker = listening.get(next++ % listening.size());
                InetSocketAddress address = entry.getKey();
                extras.add(onLoop(worker, () -> {
                    int local = locals.indexOf(address);
                    if (local < 0 && !address.getAddress().isAnyLocalAddress()) {
                        local = locals.register(address);
                    }
                    ListenerHandler handler = local < 0 ? new ListenerHandler(worker, this)
                            : new ListenerHandler(worker, local);
                    Channel channel = openListener(worker, address, fd, handler, local < 0);
                    if (local >= 0 && !worker.hasListener(local)) {
                        worker.setListener(local, channel);
                    }
                    return channel;
                }));
            }
        }
    }

    /** @return whether the address is a configured listener, or a destination behind a configured wildcard */
    private boolean listensOn(InetSocketAddress address) {
        if (boundAddresses.contains(address)) {
            return true;
        }
        for (InetSocketAddress wildcard : boundWildcards) {
            if (wildcard.getPort() == address.getPort()
                    && (wildcard.getAddress() instanceof Inet6Address) == (address.getAddress() instanceof Inet6Address)) {
                return true;
            }
        }
        return false;
    }

    /** @return the inherited sockets adopted beyond one per worker and address */
    List<Channel> extras() {
        return List.copyOf(extras);
    }

    /** @return the worker's sockets of the configured listeners */
    List<Channel> configured(Worker worker) {
        return List.copyOf(configured.get(worker.index()));
    }

    /**
     * Binds a specific address on every worker that listens (with NIO, the first only, whose socket the others
     * reply through) and numbers it; each socket gets its handler in the same event-loop task that binds it.
     *
     * @param configuredListener whether the address is a listener of the configuration (not one behind a wildcard)
     * @param budgeted           whether each socket takes a unit of the socket budget (a destination behind a wildcard
     *                           found after startup; those found at startup are in the capacity's reserve)
     * @return the address as bound
     */
    private InetSocketAddress listenEverywhere(InetSocketAddress address, boolean configuredListener,
                                               boolean budgeted) throws Exception {
        InetSocketAddress bound = address;
        int local = locals.indexOf(address);
        for (Worker worker : listeningWorkers()) {
            if (local >= 0 && worker.hasListener(local)) {
                continue;
            }
            InetSocketAddress at = bound;
            int known = local;
            int[] assigned = {known};
            if (budgeted && !sockets.tryAcquire()) {
                throw new IllegalStateException("the socket budget is spent");
            }
            Channel channel = onLoop(worker, () -> {
                Channel opened;
                try {
                    opened = openListener(worker, at, null, false);
                } catch (Exception e) {
                    if (budgeted) {
                        sockets.release();
                    }
                    throw e;
                }
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
        return openListener(worker, address, inherited.take(address, worker.index()), handler, wildcard);
    }

    /** @param fd an inherited socket bound to {@code address} to adopt, or null to bind a new one */
    private Channel openListener(Worker worker, InetSocketAddress address, Integer fd, ListenerHandler handler,
                                 boolean wildcard) throws Exception {
        return ListenerOpener.open(transport, worker, address, fd, handler,
                new ListenerOpener.Options(settings.maxDatagramSize(), gro, wildcard));
    }

    private static <T> T onLoop(Worker worker, Callable<T> task) throws Exception {
        if (worker.eventLoop().inEventLoop()) {
            return task.call();
        }
        try {
            return worker.eventLoop().submit(task).get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    @Override
    public int localFor(Worker worker, InetSocketAddress destination) {
        int local = locals.indexOf(destination);
        if (local >= 0 && worker.hasListener(local)) {
            return local;
        }
        Long refusedUntil = refused.get(destination);
        if (refusedUntil != null && System.nanoTime() - refusedUntil < 0) {
            return -1; // it failed a moment ago: no socket attempt per datagram
        }
        if (local < 0 && locals.size() >= MAX_LOCAL_ADDRESSES) {
            refuse(worker, destination, "more than " + MAX_LOCAL_ADDRESSES + " local addresses");
            return -1;
        }
        local = locals.register(destination);
        if (!listenHere(worker, local, destination)) {
            return -1;
        }
        for (Worker other : workers) {
            if (other != worker && transport.reusePort()) {
                int number = local;
                execute(other, () -> listenHere(other, number, destination));
            }
        }
        return local;
    }

    /** Runs a task on a worker's event loop, unless it is shutting down. */
    private static void execute(Worker worker, Runnable task) {
        try {
            worker.eventLoop().execute(task);
        } catch (RejectedExecutionException e) {
            // Shutting down: nothing to listen on any more.
        }
    }

    /** Remembers that a destination could not get a socket, and says so at most once per interval. */
    private void refuse(Worker worker, InetSocketAddress destination, String why) {
        if (refused.size() >= MAX_LOCAL_ADDRESSES) {
            refused.clear();
        }
        refused.put(destination, System.nanoTime() + TimeUnit.SECONDS.toNanos(IntervalLog.INTERVAL_SECONDS));
        long now = System.nanoTime();
        long last = lastListenFailureLog.get();
        if (now - last > TimeUnit.SECONDS.toNanos(IntervalLog.INTERVAL_SECONDS)
                && lastListenFailureLog.compareAndSet(last, now)) {
            LOG.warn("forwarder worker {}: cannot listen on {}, a destination behind a wildcard listener ({}); its"
                    + " datagrams count as dropped.unknown-destination; tried again after {} s", worker.index(),
                    destination, why, IntervalLog.INTERVAL_SECONDS);
        }
    }

    /** Binds this worker's socket for a destination found behind a wildcard; on its event loop. */
    private boolean listenHere(Worker worker, int local, InetSocketAddress destination) {
        if (worker.hasListener(local)) {
            return true;
        }
        if (!sockets.tryAcquire()) {
            refuse(worker, destination, "the socket budget is spent");
            return false;
        }
        try {
            worker.setListener(local, openListener(worker, destination, new ListenerHandler(worker, local), false));
            if (worker.index() == 0) {
                LOG.info("forwarder: listening on {} too, a destination behind wildcard listener {}", destination,
                        boundWildcards);
            }
            return true;
        } catch (Exception e) {
            sockets.release();
            refuse(worker, destination, String.valueOf(e));
            return false;
        }
    }

    @Override
    public void unknownDestination() {
        long now = System.nanoTime();
        long last = lastRescan.get();
        if (now - last > TimeUnit.SECONDS.toNanos(1) && lastRescan.compareAndSet(last, now)) {
            try {
                rescans.execute(this::rescan);
            } catch (RejectedExecutionException e) {
                // Shutting down.
            }
        }
    }

    /**
     * Listens on every address of the host's interfaces of each wildcard listener's family, on every worker, that has
     * no socket yet: at startup, every {@value #RESCAN_SECONDS} s, and soon after a wildcard listener got a datagram
     * whose destination its transport does not report.
     */
    void rescan() {
        for (InetSocketAddress wildcard : boundWildcards) {
            boolean ipv6 = wildcard.getAddress() instanceof Inet6Address;
            for (InetAddress address : HostInterfaces.addresses(ipv6)) {
                InetSocketAddress destination = new InetSocketAddress(address, wildcard.getPort());
                if (locals.indexOf(destination) < 0 && locals.size() >= MAX_LOCAL_ADDRESSES) {
                    continue;
                }
                int local = locals.register(destination);
                for (Worker worker : listeningWorkers()) {
                    if (worker.eventLoop().isShuttingDown()) {
                        continue;
                    }
                    execute(worker, () -> listenHere(worker, local, destination));
                }
            }
        }
    }


    /** @return the configured listener addresses as bound (port 0 replaced by the port the kernel chose) */
    List<InetSocketAddress> boundAddresses() {
        return List.copyOf(boundAddresses);
    }

    /** @return whether every configured listener socket of every listening worker is open and bound */
    boolean isBound() {
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
}

package io.quiclb.appliance.forward;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.quiclb.appliance.config.AesKeyHex;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.QuicLbSettings;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.decision.DecisionTables;
import io.quiclb.appliance.guard.HandshakeBudget;
import io.quiclb.appliance.route.RouteTable;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.Hex;
import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Runs the forwarder's data path on loopback traffic before the listeners open, so that HotSpot has compiled it,
 * with profiles of every path, before the first client datagram: first flights routed by the fallback and by the
 * draft-21 §4.2 tables, short headers routed by CID, UDP GSO runs, replies (long headers whose server CIDs are
 * learned, short headers), drops, flow expiry. Without it the first minutes of traffic meet code compiled for what
 * came first and deoptimised when the rest comes (docs/performance.md, issue 14).
 *
 * <p>The warm-up is a worker of its own on a real event loop of the forwarder, with a listener and upstream sockets
 * of the forwarder's transport, all bound to loopback, a route table with the shapes of the configurations in force
 * (config IDs, lengths, algorithm; a random key of its own where they have one) and two servers of
 * {@link WarmUpTraffic} on loopback. It shares nothing with the real workers: its own §4.2 tables, flow limits,
 * local addresses and counters; the real route table's servers, counters and metrics never see it. Everything it
 * opens is closed before it returns.
 *
 * <p><b>Thread safety:</b> {@link #run} blocks the calling thread (not the event loop's) for the warm-up's duration;
 * the worker it builds runs on the event loop, as real workers do.
 */
final class DataPathWarmUp {
    /** Flows the warm-up worker holds at most; more are evicted, oldest unconfirmed first. */
    private static final long MAX_FLOWS = 4096;
    private static final long MAX_HANDSHAKES = 1024;
    private static final int UPSTREAM_SOCKETS = 1024;
    private static final int DECISION_ENTRIES = 8192;
    private static final long UNCONFIRMED_IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long CONFIRMED_IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long SWEEP_MILLIS = 100;
    private static final int SERVERS = 2;
    private static final int CIDS_PER_SERVER = 16;
    /** Seconds each step on the event loop may take: opening the listener, closing everything, the counters. */
    private static final int STEP_SECONDS = 5;

    /**
     * What the warm-up did.
     *
     * @param sent        datagrams the clients sent
     * @param answered    replies the clients received
     * @param counters    the warm-up worker's counters, by {@link ForwarderCounter#ordinal()}
     * @param elapsedNanos how long it ran
     */
    record Result(long sent, long answered, long[] counters, long elapsedNanos) {
        /** Keeps a copy of the counters. */
        Result {
            counters = counters.clone();
        }

        long count(ForwarderCounter counter) {
            return counters[counter.ordinal()];
        }

        /** @return one line for the log: the time, what the clients sent and got back, every counter not zero */
        String describe() {
            StringBuilder line = new StringBuilder().append(TimeUnit.NANOSECONDS.toMillis(elapsedNanos))
                    .append(" ms: ").append(sent).append(" datagrams sent, ").append(answered).append(" answered;");
            for (ForwarderCounter counter : ForwarderCounter.values()) {
                if (count(counter) != 0) {
                    line.append(' ').append(counter.metricName()).append('=').append(count(counter));
                }
            }
            return line.toString();
        }
    }

    private DataPathWarmUp() {
    }

    /**
     * @param eventLoop  the event loop to run the warm-up worker on (one of the forwarder's)
     * @param transport  the forwarder's transport
     * @param live       the route table in force: the warm-up copies its configurations' shapes
     * @param options    the listener options: the real listeners' datagram size and GRO, not a wildcard
     * @param gso        whether the real workers send UDP GSO runs
     * @param nanos      how long to send traffic
     * @return what it did
     * @throws Exception when a loopback socket cannot be opened or the event loop refuses the work; everything
     *                   opened is closed first
     */
    static Result run(EventLoop eventLoop, Transport transport, RouteTable live, ListenerOpener.Options options,
                      boolean gso, long nanos) throws Exception {
        long started = System.nanoTime();
        List<LbConfigEntry> entries = shapes(live);
        List<QuicLbConfig> configs = entries.stream().map(LbConfigEntry::toQuicLbConfig).toList();
        List<List<byte[]>> cids = new ArrayList<>();
        List<Map<Integer, String>> serverIds = new ArrayList<>();
        for (int s = 0; s < SERVERS; s++) {
            Map<Integer, String> ids = new LinkedHashMap<>();
            List<byte[]> own = new ArrayList<>();
            for (QuicLbConfig config : configs) {
                // Unique per config too: a plaintext and an encrypted config of one server ID length must not
                // share server IDs (draft-21 §9.7; RoutingConfigCheck refuses such a table).
                byte[] id = new byte[config.serverIdLength()];
                Arrays.fill(id, (byte) (s + 1));
                id[0] = (byte) (config.configId() << 4 | (s + 1));
                ids.put(config.configId(), Hex.encode(id));
                CidEncoder encoder = new CidEncoder(config, ServerId.of(id), 0);
                for (int i = 0; i < CIDS_PER_SERVER; i++) {
                    own.add(encoder.nextConnectionId());
                }
            }
            serverIds.add(ids);
            cids.add(own);
        }
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (WarmUpTraffic traffic = new WarmUpTraffic()) {
            List<InetSocketAddress> addresses = traffic.start(cids);
            List<ServerEntry> servers = new ArrayList<>();
            for (int s = 0; s < SERVERS; s++) {
                servers.add(new ServerEntry("warm-up-" + s, new HostPort(loopback.getHostAddress(),
                        addresses.get(s).getPort()), serverIds.get(s), List.of()));
            }
            RoutingService routing = new RoutingService(1, new QuicLbSettings(entries), servers);
            LocalAddresses locals = new LocalAddresses();
            FlowLimits limits = new FlowLimits(MAX_FLOWS, new HandshakeBudget(MAX_HANDSHAKES, 0),
                    new SocketBudget(UPSTREAM_SOCKETS));
            OwnUpstreamPorts ownPorts = new OwnUpstreamPorts(Set.of(loopback));
            DecisionTables decisions = new DecisionTables(DECISION_ENTRIES);
            Worker.Shared shared = new Worker.Shared(routing, decisions, locals, limits, List.of(loopback), MAX_FLOWS,
                    UNCONFIRMED_IDLE_NANOS, CONFIRMED_IDLE_NANOS, options.maxDatagramSize(), ownPorts);
            ChannelPortOpener opener = new ChannelPortOpener(eventLoop, transport, options.maxDatagramSize(),
                    ownPorts);
            Worker worker = new Worker(0, eventLoop, opener, shared);
            opener.setWorker(worker);
            worker.setGso(gso);
            Channel listener = null;
            ScheduledFuture<?> unconfirmed = null;
            ScheduledFuture<?> confirmed = null;
            try {
                listener = eventLoop.submit(() -> openListener(transport, worker, locals, loopback, options))
                        .get(STEP_SECONDS, TimeUnit.SECONDS);
                unconfirmed = eventLoop.scheduleAtFixedRate(worker::expireUnconfirmed, SWEEP_MILLIS, SWEEP_MILLIS,
                        TimeUnit.MILLISECONDS);
                confirmed = eventLoop.scheduleAtFixedRate(() -> {
                    worker.expireConfirmed();
                    decisions.expire(System.nanoTime() - CONFIRMED_IDLE_NANOS);
                }, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
                traffic.run((InetSocketAddress) listener.localAddress(), cids, started + nanos);
            } finally {
                if (unconfirmed != null) {
                    unconfirmed.cancel(false);
                }
                if (confirmed != null) {
                    confirmed.cancel(false);
                }
                close(eventLoop, worker);
            }
            long[] counters = eventLoop.submit(() -> snapshot(worker.counters())).get(STEP_SECONDS, TimeUnit.SECONDS);
            return new Result(traffic.sent(), traffic.answered(), counters, System.nanoTime() - started);
        }
    }

    /** The configurations in force, each with a random key of the warm-up's own where it has a key. */
    private static List<LbConfigEntry> shapes(RouteTable live) {
        SecureRandom random = new SecureRandom();
        List<LbConfigEntry> shapes = new ArrayList<>();
        for (int id = 0; id <= QuicLbConfig.MAX_CONFIG_ID; id++) {
            QuicLbConfig config = live.config(id);
            if (config == null) {
                continue;
            }
            AesKeyHex key = null;
            if (config.hasKey()) {
                byte[] octets = new byte[QuicLbConfig.KEY_LENGTH];
                random.nextBytes(octets);
                key = AesKeyHex.parse(Hex.encode(octets));
            }
            shapes.add(new LbConfigEntry(id, config.serverIdLength(), config.nonceLength(), config.threadIdLength(),
                    key, config.lengthSelfEncoded()));
        }
        return shapes;
    }

    private static Channel openListener(Transport transport, Worker worker, LocalAddresses locals,
                                        InetAddress loopback, ListenerOpener.Options options) throws Exception {
        Channel channel = ListenerOpener.open(transport, worker, new InetSocketAddress(loopback, 0), null, null,
                options);
        int local = locals.register((InetSocketAddress) channel.localAddress());
        channel.pipeline().addLast(new ListenerHandler(worker, local));
        Channel[] listeners = new Channel[local + 1];
        listeners[local] = channel;
        worker.setListeners(listeners);
        return channel;
    }

    /**
     * Closes the warm-up worker's listener (one that finished opening late included: the task runs after it on the
     * event loop), flows and upstream sockets, and waits for them, {@value #STEP_SECONDS} s at most in all, whether
     * or not this thread was interrupted (the interrupt is kept).
     */
    private static void close(EventLoop eventLoop, Worker worker) {
        boolean interrupted = Thread.interrupted();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STEP_SECONDS);
        try {
            Future<List<ChannelFuture>> closing = eventLoop.submit(() -> {
                List<ChannelFuture> futures = new ArrayList<>();
                for (Channel channel : worker.listeners()) {
                    if (channel != null) {
                        futures.add(channel.close());
                    }
                }
                futures.addAll(worker.closeAll());
                return futures;
            });
            if (!closing.awaitUninterruptibly(remainingMillis(deadline)) || !closing.isSuccess()) {
                return;
            }
            for (ChannelFuture future : closing.getNow()) {
                future.awaitUninterruptibly(remainingMillis(deadline));
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static long remainingMillis(long deadline) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }

    private static long[] snapshot(WorkerCounters counters) {
        long[] values = new long[ForwarderCounter.values().length];
        for (ForwarderCounter counter : ForwarderCounter.values()) {
            values[counter.ordinal()] = counters.get(counter);
        }
        return values;
    }
}

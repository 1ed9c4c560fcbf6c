package io.quiclb.appliance.health;

import io.dropwizard.lifecycle.Managed;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.util.concurrent.Future;
import io.quiclb.appliance.config.HealthSettings;
import io.quiclb.appliance.config.ProbeKind;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.control.ControlPlane;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.appliance.route.ServerHandle;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes every server and thread socket every {@code health.interval}, each the way its server asks
 * ({@code servers[].probe}): a QUIC Version Negotiation probe ({@link VersionNegotiationProbe}, the default), a real
 * QUIC v1 handshake ({@link HandshakeProbe}), or not at all ({@code none}: always up). A target that does not
 * answer within {@code health.timeout} {@code health.unhealthyThreshold} times in a row is down;
 * {@code health.healthyThreshold} answers in a row bring it back. A server is down when its own address is: it then
 * takes no new first flights (the fallback hash skips it, unless too few servers are up: panic mode, see
 * {@code health.panicThreshold}), while datagrams whose CIDs name it are still forwarded. A thread socket that is down
 * takes no new first flights (its thread still gets the datagrams of the connections it owns).
 *
 * <p>Targets start healthy, so a new appliance routes at once. Each Version Negotiation target has its own connected
 * socket, so an ICMP port unreachable counts as a failure right away.
 *
 * <p><b>Thread safety:</b> runs on its own thread; {@link #isHealthy} may be called from any thread.
 */
public final class HealthProber implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(HealthProber.class);

    private final HealthSettings settings;
    private final RoutingService routing;
    private final ControlPlane control;
    private final Map<InetSocketAddress, Target> targets = new HashMap<>();
    private final Map<InetSocketAddress, Boolean> healthy = new java.util.concurrent.ConcurrentHashMap<>();
    private final SplittableRandom random = new SplittableRandom();
    private final ByteBuffer receive = ByteBuffer.allocate(2048);
    private volatile boolean running;
    private Thread thread;
    private Selector selector;
    private HandshakeProbe handshakes;
    private boolean handshakesUnavailable;

    /**
     * @param settings the health section
     * @param routing  where the current servers come from
     * @param control  where health changes go, and each server's probe kind
     */
    public HealthProber(HealthSettings settings, RoutingService routing, ControlPlane control) {
        this.settings = settings;
        this.routing = routing;
        this.control = control;
    }

    @Override
    public void start() throws IOException {
        if (!settings.enabled()) {
            LOG.info("health probes are off (health.enabled: false)");
            return;
        }
        selector = Selector.open();
        running = true;
        thread = new Thread(this::run, "quiclb-health");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void stop() throws InterruptedException, IOException {
        running = false;
        if (thread != null) {
            selector.wakeup();
            thread.join(TimeUnit.SECONDS.toMillis(5));
            for (Target target : targets.values()) {
                target.close();
            }
            selector.close();
            if (handshakes != null) {
                handshakes.close();
            }
        }
    }

    /**
     * @param address a server's address or thread socket
     * @return whether its last probes succeeded (true until proven otherwise, and for servers not probed)
     */
    public boolean isHealthy(InetSocketAddress address) {
        return healthy.getOrDefault(address, true);
    }

    private void run() {
        long interval = settings.interval().toNanoseconds();
        while (running) {
            long started = System.nanoTime();
            try {
                probeRound();
            } catch (IOException | RuntimeException | LinkageError e) {
                LOG.warn("health probe round failed", e);
            } catch (InterruptedException e) {
                return;
            }
            long sleep = interval - (System.nanoTime() - started);
            if (sleep > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(sleep);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** @return each server's probe kind, by name, as the control plane holds it */
    private Map<String, ProbeKind> probeKinds() {
        Map<String, ProbeKind> kinds = new HashMap<>();
        for (ServerEntry server : control.state().servers()) {
            kinds.put(server.name(), server.probe());
        }
        return kinds;
    }

    private void probeRound() throws IOException, InterruptedException {
        Map<String, ProbeKind> kinds = probeKinds();
        Map<InetSocketAddress, Target> wanted = new HashMap<>();
        for (ServerHandle server : routing.current().servers()) {
            ProbeKind kind = kinds.getOrDefault(server.name(), ProbeKind.VERSION_NEGOTIATION);
            if (kind == ProbeKind.NONE) {
                continue;
            }
            wanted.putIfAbsent(server.address(), new Target(server.address(), server.name(), kind));
            for (InetSocketAddress socket : server.threadSockets()) {
                wanted.putIfAbsent(socket, new Target(socket, server.name() + " thread socket", kind));
            }
        }
        for (Iterator<Map.Entry<InetSocketAddress, Target>> it = targets.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<InetSocketAddress, Target> entry = it.next();
            Target want = wanted.get(entry.getKey());
            if (want == null || want.kind != entry.getValue().kind) {
                entry.getValue().close();
                healthy.remove(entry.getKey());
                it.remove();
            }
        }
        Map<Target, Future<QuicChannel>> handshaking = new HashMap<>();
        for (Map.Entry<InetSocketAddress, Target> entry : wanted.entrySet()) {
            Target target = targets.get(entry.getKey());
            if (target == null) {
                target = entry.getValue();
                target.open();
                targets.put(entry.getKey(), target);
            }
            if (target.kind != ProbeKind.HANDSHAKE) {
                target.send();
                continue;
            }
            HandshakeProbe probe = handshakes();
            if (probe != null) {
                handshaking.put(target, probe.start(target.address));
            }
        }
        long deadline = System.nanoTime() + settings.timeout().toNanoseconds();
        Set<Target> answered = new HashSet<>();
        int negotiating = 0;
        for (Target target : targets.values()) {
            negotiating += target.kind == ProbeKind.VERSION_NEGOTIATION ? 1 : 0;
        }
        while (running && answered.size() < negotiating) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0 || selector.select(left) < 0) {
                break;
            }
            for (Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                SelectionKey key = it.next();
                it.remove();
                Target target = (Target) key.attachment();
                if (target.readAnswer()) {
                    answered.add(target);
                }
            }
        }
        for (Map.Entry<Target, Future<QuicChannel>> entry : handshaking.entrySet()) {
            long left = deadline - System.nanoTime();
            if (entry.getValue().await(Math.max(0, left), TimeUnit.NANOSECONDS) && entry.getValue().isSuccess()) {
                answered.add(entry.getKey());
            }
        }
        for (Target target : targets.values()) {
            target.record(answered.contains(target));
        }
        Set<InetSocketAddress> downSockets = new HashSet<>();
        for (ServerHandle server : routing.current().servers()) {
            control.setHealthy(server.name(), isHealthy(server.address()));
            for (InetSocketAddress socket : server.threadSockets()) {
                if (!isHealthy(socket)) {
                    downSockets.add(socket);
                }
            }
        }
        control.setDownThreadSockets(downSockets);
    }

    /**
     * @return the handshake prober, made on first use; null when it cannot be (Netty QUIC's native library does not
     *         load, no socket): said once, and handshake targets then fail their probes
     */
    private HandshakeProbe handshakes() throws InterruptedException {
        if (handshakes == null && !handshakesUnavailable) {
            try {
                handshakes = new HandshakeProbe(settings.handshakeAlpn(),
                        TimeUnit.NANOSECONDS.toMillis(settings.timeout().toNanoseconds()));
            } catch (RuntimeException | LinkageError e) {
                handshakesUnavailable = true;
                LOG.error("handshake probes cannot run here ({}): servers with probe: handshake will be reported down;"
                        + " use probe: versionNegotiation or none for them", String.valueOf(e));
            }
        }
        return handshakes;
    }

    /** One probed address, with its run of results; a Version Negotiation target has its own connected socket. */
    private final class Target {
        final InetSocketAddress address;
        final String description;
        final ProbeKind kind;
        final byte[] dcid = new byte[VersionNegotiationProbe.CID_LENGTH];
        final byte[] scid = new byte[VersionNegotiationProbe.CID_LENGTH];
        DatagramChannel channel;
        int successes;
        int failures;

        Target(InetSocketAddress address, String description, ProbeKind kind) {
            this.address = address;
            this.description = description;
            this.kind = kind;
        }

        void open() throws IOException {
            if (kind == ProbeKind.VERSION_NEGOTIATION) {
                channel = DatagramChannel.open();
                channel.configureBlocking(false);
                channel.connect(address);
                channel.register(selector, SelectionKey.OP_READ, this);
            }
        }

        void close() throws IOException {
            if (channel != null) {
                channel.close();
            }
        }

        void send() {
            random.nextBytes(dcid);
            random.nextBytes(scid);
            try {
                channel.write(ByteBuffer.wrap(VersionNegotiationProbe.probe(dcid, scid)));
            } catch (IOException e) {
                // ICMP unreachable from an earlier probe, or no route: this round fails for the target.
            }
        }

        boolean readAnswer() {
            boolean answer = false;
            while (true) {
                receive.clear();
                int length;
                try {
                    length = channel.read(receive);
                } catch (IOException e) {
                    return answer; // port unreachable: no answer
                }
                if (length <= 0) {
                    return answer;
                }
                answer |= VersionNegotiationProbe.answers(receive.array(), length, scid);
            }
        }

        void record(boolean success) {
            boolean wasHealthy = isHealthy(address);
            if (success) {
                successes++;
                failures = 0;
                if (!wasHealthy && successes >= settings.healthyThreshold()) {
                    healthy.put(address, true);
                    LOG.info("{} {} is up: {} {} probes answered", description, address, successes,
                            kind.configName());
                }
            } else {
                failures++;
                successes = 0;
                if (wasHealthy && failures >= settings.unhealthyThreshold()) {
                    healthy.put(address, false);
                    LOG.warn("{} {} is down: {} {} probes unanswered", description, address, failures,
                            kind.configName());
                }
            }
        }
    }
}

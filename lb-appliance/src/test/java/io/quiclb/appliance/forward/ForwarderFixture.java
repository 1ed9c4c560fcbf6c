package io.quiclb.appliance.forward;

import io.dropwizard.util.Duration;
import io.quiclb.appliance.config.ForwarderSettings;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.QuicLbSettings;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.config.TransportKind;
import io.quiclb.appliance.route.RoutingService;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * A running forwarder on 127.0.0.1 (port chosen by the kernel) with its routing service, for tests. Everything it
 * starts, it stops in {@link #close()}.
 */
final class ForwarderFixture implements AutoCloseable {
    /**
     * A short data-path warm-up for the fixtures built from a transport and sizes (checked for internal errors
     * like the workers), without 2 s per test; those built from settings run the settings' warm-up.
     */
    static final Duration WARM_UP = Duration.milliseconds(100);
    final RoutingService routing;
    final Forwarder forwarder;
    final InetSocketAddress address;
    private final List<UdpClient> clients = new ArrayList<>();

    ForwarderFixture(TransportKind transport, int workers, Duration idle, long maxFlows, List<LbConfigEntry> configs,
                     List<ServerEntry> servers) throws Exception {
        this(transport, workers, idle, maxFlows, configs, servers, false);
    }

    /** @param gro whether the listeners take UDP GRO receives (forwarder.gro) */
    ForwarderFixture(TransportKind transport, int workers, Duration idle, long maxFlows, List<LbConfigEntry> configs,
                     List<ServerEntry> servers, boolean gro) throws Exception {
        this(new ForwarderSettings(transport, workers, List.of(HostPort.parse("127.0.0.1:0")), idle, maxFlows, 2048,
                null, gro, null, null, null, null, null, null, WARM_UP), configs, servers);
    }

    /** A forwarder with these settings; {@link #address} is its first listener as bound. */
    ForwarderFixture(ForwarderSettings settings, List<LbConfigEntry> configs, List<ServerEntry> servers)
            throws Exception {
        this.routing = new RoutingService(settings.workers(), new QuicLbSettings(configs), servers);
        this.forwarder = new Forwarder(settings, routing);
        forwarder.start();
        this.address = forwarder.boundAddresses().get(0);
    }

    static ForwarderFixture start(TransportKind transport, List<LbConfigEntry> configs, List<ServerEntry> servers)
            throws Exception {
        return new ForwarderFixture(transport, 2, Duration.seconds(60), 1_000_000, configs, servers);
    }

    UdpClient client() throws IOException {
        UdpClient client = new UdpClient(address);
        clients.add(client);
        return client;
    }

    static ServerEntry server(String name, UdpBackend backend, Map<Integer, String> serverIds,
                              UdpBackend... threadSockets) {
        List<HostPort> sockets = new ArrayList<>();
        for (UdpBackend socket : threadSockets) {
            sockets.add(HostPort.parse(socket.address()));
        }
        return new ServerEntry(name, HostPort.parse(backend.address()), serverIds, sockets);
    }

    /** Waits until the condition holds, at most 10 s; returns whether it did. */
    static boolean await(BooleanSupplier condition) throws InterruptedException {
        return io.quiclb.appliance.Await.until(condition);
    }

    /** @return received minus every outcome counter (routed and dropped): 0 when every datagram is counted once */
    long unaccounted() {
        long sum = 0;
        for (ForwarderCounter counter : ForwarderCounter.values()) {
            if (counter.isOutcome()) {
                sum += forwarder.total(counter);
            }
        }
        return forwarder.total(ForwarderCounter.RECEIVED) - sum;
    }

    /** @return every non-zero counter, for assertion messages */
    String describe() {
        StringBuilder text = new StringBuilder();
        for (ForwarderCounter counter : ForwarderCounter.values()) {
            long value = forwarder.total(counter);
            if (value != 0) {
                text.append(counter.metricName()).append('=').append(value).append(' ');
            }
        }
        return text.toString().trim();
    }

    @Override
    public void close() {
        clients.forEach(UdpClient::close);
        DataPathWarmUp.Result warmUp = forwarder.warmUpResult();
        long internalErrors = forwarder.total(ForwarderCounter.DROPPED_INTERNAL_ERROR)
                + (warmUp == null ? 0 : warmUp.count(ForwarderCounter.DROPPED_INTERNAL_ERROR));
        try {
            forwarder.stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            throw new IllegalStateException("forwarder did not stop", e);
        }
        if (internalErrors != 0) {
            throw new AssertionError("the data path threw " + internalErrors + " time(s); see the log");
        }
    }
}

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
import io.quiclb.appliance.config.ForwarderSettings;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.route.RoutingService;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UDP data plane: {@code forwarder.workers} event loops, each binding its own socket on every listener
 * address (SO_REUSEPORT; the kernel spreads clients over them by 4-tuple), routing each datagram with the
 * current {@link io.quiclb.appliance.route.RouteTable} and relaying it through a NAT flow. Started and stopped
 * by Dropwizard as a {@link Managed}.
 *
 * <p>With NIO, which has no SO_REUSEPORT, only the first worker binds the listeners.
 *
 * <p><b>Thread safety:</b> {@link #start} and {@link #stop} are called once each by Dropwizard; the accessors may
 * be called from any thread.
 */
public final class Forwarder implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(Forwarder.class);
    /** Datagrams read per system call where the transport batches receives. */
    private static final int RECEIVE_BATCH = 16;
    private static final int LISTENER_RCVBUF = 4 << 20;

    private final ForwarderSettings settings;
    private final RoutingService routing;
    private final AtomicLong flowCount = new AtomicLong();
    private final List<Worker> workers = new ArrayList<>();
    private final List<InetSocketAddress> boundAddresses = new ArrayList<>();
    private MultiThreadIoEventLoopGroup group;
    private Transport transport;

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
        group = new MultiThreadIoEventLoopGroup(workerCount, new DefaultThreadFactory("quiclb-worker"),
                transport.ioHandlerFactory());
        int maxTableEntries = (int) Math.min(Integer.MAX_VALUE / 2, settings.maxFlows());
        // What the settings ask for and the transport can do: decided once, used for every worker and listener.
        boolean gso = settings.gso() && transport.supportsGso();
        boolean gro = settings.gro() && transport.supportsGro();
        int index = 0;
        for (EventExecutor executor : group) {
            EventLoop eventLoop = (EventLoop) executor;
            Worker worker = new Worker(index++, eventLoop,
                    new BootstrapUpstreamOpener(eventLoop, transport, settings.maxDatagramSize()), routing, flowCount,
                    settings.maxFlows(), maxTableEntries, settings.maxDatagramSize());
            worker.setGso(gso);
            workers.add(worker);
        }
        try {
            bindListeners(gro);
        } catch (Exception e) {
            stop();
            throw e;
        }
        long idleNanos = settings.flowIdleTimeout().toNanoseconds();
        long sweepMillis = Math.max(50, Math.min(1000, TimeUnit.NANOSECONDS.toMillis(idleNanos) / 4));
        for (Worker worker : workers) {
            worker.eventLoop().scheduleAtFixedRate(() -> worker.expire(idleNanos), sweepMillis, sweepMillis,
                    TimeUnit.MILLISECONDS);
        }
        LOG.info("forwarder: {} worker(s) on {}, listening on {}, UDP GSO sends {}, UDP GRO receives {}",
                workerCount, transport, boundAddresses, gso ? "on" : "off", gro ? "on" : "off");
    }

    /** @param gro whether the listeners take UDP GRO receives (the transport can) */
    private void bindListeners(boolean gro) throws InterruptedException {
        List<HostPort> listeners = settings.listeners();
        Channel[][] channels = new Channel[workers.size()][listeners.size()];
        for (int l = 0; l < listeners.size(); l++) {
            InetSocketAddress address = listeners.get(l).resolve();
            for (Worker worker : workers) {
                if (worker.index() > 0 && !transport.reusePort()) {
                    continue;
                }
                int slot = transport.receiveSlot(settings.maxDatagramSize(), gro);
                Bootstrap bootstrap = new Bootstrap().group(worker.eventLoop())
                        .channelFactory(transport.channelFactory(address))
                        .option(ChannelOption.SO_RCVBUF, LISTENER_RCVBUF)
                        .option(ChannelOption.RECVBUF_ALLOCATOR, listenerAllocator(transport, gro, slot))
                        .handler(new ListenerHandler(worker, l));
                transport.configureListener(bootstrap, settings.maxDatagramSize(), gro);
                Channel channel = bootstrap.bind(address).sync().channel();
                channels[worker.index()][l] = channel;
                if (address.getPort() == 0) {
                    // Port 0: the first socket picks the port, the other workers join it.
                    address = (InetSocketAddress) channel.localAddress();
                }
            }
            boundAddresses.add(address);
        }
        for (Worker worker : workers) {
            Channel[] own = channels[worker.index()];
            // Without SO_REUSEPORT the other workers reply through the first worker's sockets.
            worker.setListeners(own[0] != null || listeners.isEmpty() ? own : channels[0]);
        }
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
     * Has every worker re-key its decoder for the route table in force, each on its own event loop, so the first
     * datagram after a configuration change does not pay for new AES key schedules. Workers re-key on their own
     * when a datagram meets a new table first; this only moves the work off the data path.
     */
    public void prepareWorkers() {
        for (Worker worker : workers) {
            if (!worker.eventLoop().isShuttingDown()) {
                worker.eventLoop().execute(() -> worker.prepare(routing.current()));
            }
        }
    }

    /** @return the listener addresses as bound (port 0 replaced by the port the kernel chose) */
    public List<InetSocketAddress> boundAddresses() {
        return List.copyOf(boundAddresses);
    }

    /** @return whether every listener socket is open and bound */
    public boolean isBound() {
        if (group == null || workers.isEmpty()) {
            return false;
        }
        for (Worker worker : workers) {
            for (Channel channel : worker.listeners()) {
                if (channel == null || !channel.isActive()) {
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
        return flowCount.get();
    }
}

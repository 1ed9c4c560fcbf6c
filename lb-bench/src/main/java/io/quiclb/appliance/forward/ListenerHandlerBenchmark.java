package io.quiclb.appliance.forward;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.QuicLbSettings;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.decision.DecisionTables;
import io.quiclb.appliance.guard.HandshakeBudget;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.ServerId;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The forwarder's channel handler and worker for one routed datagram, on {@link EmbeddedChannel}s: a
 * {@link DatagramPacket} (a pooled direct buffer, as a transport delivers it) enters the listener pipeline, is
 * routed by its CID to an existing flow and written, addressed to its target, and flushed to the flow's upstream
 * port, from whose outbound queue the benchmark takes and releases it. B/op counts the envelope the benchmark creates
 * per datagram (what a transport allocates) plus whatever the worker allocates: the envelope that addresses the
 * datagram to its target on the shared, unconnected port.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "-Dio.netty.leakDetection.level=disabled"})
@State(Scope.Thread)
public class ListenerHandlerBenchmark {
    private static final InetSocketAddress LISTENER = new InetSocketAddress("127.0.0.1", 4433);

    private final InetSocketAddress client = new InetSocketAddress("127.0.0.1", 40000);
    private EmbeddedChannel listener;
    private EmbeddedChannel upstream;
    private ChannelPipeline pipeline;
    private Queue<Object> sent;
    private ByteBuf datagram;

    @Setup
    public void setUp() {
        LbConfigEntry config = new LbConfigEntry(0, 2, 6, 0, null, true);
        RoutingService routing = new RoutingService(1, new QuicLbSettings(List.of(config)),
                List.of(new ServerEntry("a", HostPort.parse("127.0.0.1:5001"), Map.of(0, "0a01"), List.of())));
        listener = new EmbeddedChannel();
        FlowLimits limits = new FlowLimits(10, new HandshakeBudget(10, 0), new SocketBudget(10));
        Worker.Shared shared = new Worker.Shared(routing, new DecisionTables(10), LocalAddresses.of(List.of(LISTENER)),
                limits, List.of(), 10, TimeUnit.SECONDS.toNanos(5), TimeUnit.SECONDS.toNanos(60), 2048,
                new OwnUpstreamPorts(java.util.Set.of()));
        Worker[] self = new Worker[1];
        Worker worker = new Worker(0, listener.eventLoop(), (port, bindAddress) -> {
            upstream = new EmbeddedChannel(new UpstreamHandler(self[0], port));
            return upstream;
        }, shared);
        self[0] = worker;
        listener.pipeline().addLast(new ListenerHandler(worker, 0));
        worker.setListeners(new Channel[] {listener});
        pipeline = listener.pipeline();
        byte[] cid = new CidEncoder(config.toQuicLbConfig(), ServerId.fromHex("0a01"), 0).nextConnectionId();
        datagram = PooledByteBufAllocator.DEFAULT.directBuffer(1200);
        datagram.writeByte(0x43).writeBytes(cid).writeZero(1200 - 1 - cid.length);
        forward(); // opens the flow
        sent = upstream.outboundMessages();
    }

    @Benchmark
    public int forward() {
        pipeline.fireChannelRead(new DatagramPacket(datagram.retainedDuplicate(), LISTENER, client));
        pipeline.fireChannelReadComplete();
        DatagramPacket out = (DatagramPacket) (sent == null ? upstream.outboundMessages() : sent).poll();
        int length = out.content().readableBytes();
        out.release();
        return length;
    }

    @TearDown
    public void tearDown() {
        datagram.release();
        listener.finishAndReleaseAll();
        upstream.finishAndReleaseAll();
    }
}

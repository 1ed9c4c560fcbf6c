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
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one routed datagram as the number of NAT flows grows (issue 11: it must stay flat): a worker holds
 * {@code flows} flows, each a distinct client (127.x.y.z:port) routed by CID to one of 1,000 servers, and the
 * benchmark forwards a datagram of a client picked at random (a 64-bit LCG, the same sequence for every size). As a
 * transport would, it makes the client's address and the envelope afresh for each datagram (so they are in cache, and
 * their allocation is in B/op), and the datagram's octets come from one buffer per server (1,000 in all, whatever
 * {@code flows} is), so what grows with {@code flows} is the worker's state alone. The datagram goes through
 * the listener handler to its flow's upstream port, taking and releasing what was sent. The flows share 1,000
 * targets, so {@code flows / 1000} upstream ports carry them (each port takes one flow per target); every port writes
 * to one {@link EmbeddedChannel}, so what grows with {@code flows} is the worker's own state (flow and reply tables,
 * flows, ports), not the number of channels a test harness keeps. Each client's CID was decoded
 * when its flow opened; per datagram the router decodes it again (a plaintext config, so this measures the tables,
 * not AES).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "-Xms6g", "-Xmx6g", "-Dio.netty.leakDetection.level=disabled"})
@State(Scope.Thread)
public class FlowTableBenchmark {
    private static final InetSocketAddress LISTENER = new InetSocketAddress("127.0.0.1", 4433);
    private static final int SERVERS = 1000;

    @Param({"1000", "10000", "100000", "1000000"})
    public int flows;

    private EmbeddedChannel upstream;
    private EmbeddedChannel listener;
    private ChannelPipeline pipeline;
    private int[] clientAddresses;
    private ByteBuf[] datagrams;
    private long random = 1;

    @Setup
    public void setUp() throws UnknownHostException {
        LbConfigEntry config = new LbConfigEntry(0, 2, 6, 0, null, true);
        List<ServerEntry> servers = new ArrayList<>();
        List<CidEncoder> encoders = new ArrayList<>();
        for (int i = 0; i < SERVERS; i++) {
            String sid = String.format("%04x", i + 1);
            servers.add(new ServerEntry("s" + i, HostPort.parse("10.0." + (i >> 8) + "." + (i & 0xff) + ":443"),
                    Map.of(0, sid), List.of()));
            encoders.add(new CidEncoder(config.toQuicLbConfig(), ServerId.fromHex(sid), 0));
        }
        RoutingService routing = new RoutingService(1, new QuicLbSettings(List.of(config)), servers);
        listener = new EmbeddedChannel();
        FlowLimits limits = new FlowLimits(flows, new HandshakeBudget(flows, 0), new SocketBudget(flows));
        Worker.Shared shared = new Worker.Shared(routing, new DecisionTables(flows), LocalAddresses.of(List.of(LISTENER)),
                limits, List.of(), flows, TimeUnit.HOURS.toNanos(1), TimeUnit.HOURS.toNanos(1), 2048,
                new OwnUpstreamPorts(java.util.Set.of()));
        Worker[] self = new Worker[1];
        upstream = new EmbeddedChannel();
        Worker worker = new Worker(0, listener.eventLoop(), (port, bindAddress) -> upstream, shared);
        self[0] = worker;
        listener.pipeline().addLast(new ListenerHandler(worker, 0));
        worker.setListeners(new Channel[] {listener});
        pipeline = listener.pipeline();
        clientAddresses = new int[flows];
        datagrams = new ByteBuf[SERVERS];
        for (int i = 0; i < SERVERS; i++) {
            byte[] cid = encoders.get(i).nextConnectionId();
            ByteBuf datagram = PooledByteBufAllocator.DEFAULT.directBuffer(1200);
            datagram.writeByte(0x43).writeBytes(cid).writeZero(1200 - 1 - cid.length);
            datagrams[i] = datagram;
        }
        for (int i = 0; i < flows; i++) {
            clientAddresses[i] = 0x7f010000 + i;
            if (forward(i) == 0) { // opens the client's flow
                throw new IllegalStateException("client " + i + "'s datagram was not sent");
            }
        }
        if (limits.flows() != flows) {
            throw new IllegalStateException("opened " + limits.flows() + " of " + flows + " flows");
        }
    }

    @Benchmark
    public int forwardToAnExistingFlow() {
        random = random * 6364136223846793005L + 1442695040888963407L;
        return forward((int) ((random >>> 33) % flows));
    }

    private int forward(int client) {
        int address = clientAddresses[client];
        InetSocketAddress sender;
        try {
            sender = new InetSocketAddress(InetAddress.getByAddress(new byte[] {(byte) (address >>> 24),
                    (byte) (address >>> 16), (byte) (address >>> 8), (byte) address}), 10_000 + client % 50_000);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        pipeline.fireChannelRead(new DatagramPacket(datagrams[client % SERVERS].retainedDuplicate(), LISTENER, sender));
        pipeline.fireChannelReadComplete();
        DatagramPacket out = upstream.readOutbound();
        if (out == null) {
            return 0;
        }
        int length = out.content().readableBytes();
        out.release();
        return length;
    }

    @TearDown
    public void tearDown() {
        for (ByteBuf datagram : datagrams) {
            datagram.release();
        }
        listener.finishAndReleaseAll();
        upstream.finishAndReleaseAll();
    }
}

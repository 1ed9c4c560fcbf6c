package io.quiclb.bench;

import io.quiclb.appliance.config.AesKeyHex;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.QuicLbSettings;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.appliance.decision.DecisionTables;
import io.quiclb.appliance.forward.LocalAddresses;
import io.quiclb.appliance.forward.Router;
import io.quiclb.appliance.route.RouteTable;
import io.quiclb.appliance.route.RoutingService;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.Hex;
import io.quiclb.codec.ServerId;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The forwarder's routing decision for one datagram, without sockets: {@link Router#route} over the datagram's
 * first octets, as a worker calls it (RFC 8999 header parse, CID decode, server ID lookup, tables).
 *
 * <ul>
 *   <li>{@code routableShort}: a short header whose DCID decodes to a server (1024 distinct CIDs, 16 servers);</li>
 *   <li>{@code routableShortMiss}: the same from 65,536 distinct CIDs (3 MB of headers), so the headers come from
 *       memory rather than L1/L2, as with many connections per worker; it measured the decode-cache prototype's
 *       miss cost (docs/performance.md, issue 14);</li>
 *   <li>{@code unroutableLong}: a long header with a client-chosen DCID, after its first flight was recorded
 *       (a 4-tuple‖SCID table hit, the steady state of a first flight);</li>
 *   <li>{@code junk}: random octets, dropped by reason.</li>
 * </ul>
 * keyed=false is a plaintext 2/6 config; keyed=true four-pass 2/6 (3 AES passes).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC"})
@State(Scope.Thread)
public class RouterBenchmark {
    private static final int DATAGRAMS = 1024;
    private static final int MISSES = 65_536;

    @Param({"false", "true"})
    public boolean keyed;

    private RouteTable table;
    private final Router router = new Router(new DecisionTables(100_000),
            LocalAddresses.of(List.of(new InetSocketAddress("127.0.0.1", 4433))));
    private final InetSocketAddress client = new InetSocketAddress("127.0.0.1", 40000);
    private final byte[][] routable = new byte[DATAGRAMS][];
    private final byte[][] junk = new byte[DATAGRAMS][];
    private final byte[][] many = new byte[MISSES][];
    private byte[] initial;
    private int next;

    @Setup
    public void setUp() {
        LbConfigEntry config = new LbConfigEntry(0, 2, 6, 0, keyed ? AesKeyHex.parse(Hex.encode(CodecShape.KEY)) : null,
                true);
        List<ServerEntry> servers = new ArrayList<>();
        List<CidEncoder> encoders = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            String sid = String.format("0a%02x", i);
            servers.add(new ServerEntry("s" + i, HostPort.parse("127.0.0.1:" + (5001 + i)), Map.of(0, sid), List.of()));
            encoders.add(new CidEncoder(config.toQuicLbConfig(), ServerId.fromHex(sid), 0));
        }
        table = new RoutingService(1, new QuicLbSettings(List.of(config)), servers).current();
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < DATAGRAMS; i++) {
            byte[] cid = encoders.get(i % 16).nextConnectionId();
            routable[i] = new byte[Router.HEADER_PREFIX_LENGTH];
            routable[i][0] = 0x43;
            System.arraycopy(cid, 0, routable[i], 1, cid.length);
            junk[i] = new byte[Router.HEADER_PREFIX_LENGTH];
            random.nextBytes(junk[i]);
        }
        for (int i = 0; i < MISSES; i++) {
            byte[] cid = encoders.get(i % 16).nextConnectionId();
            many[i] = new byte[Router.HEADER_PREFIX_LENGTH];
            many[i][0] = 0x43;
            System.arraycopy(cid, 0, many[i], 1, cid.length);
        }
        initial = new byte[Router.HEADER_PREFIX_LENGTH];
        initial[0] = (byte) 0xc3;
        initial[4] = 1;
        initial[5] = 8;
        for (int i = 0; i < 8; i++) {
            initial[6 + i] = (byte) (0xe0 + i);
        }
        initial[14] = 4;
        router.route(table, initial, initial.length, client, 0, 0);
        router.recordDecision(initial, client, 0, 0); // as the worker does: later routes are §4.2 table hits
    }

    @Benchmark
    public int routableShort() {
        byte[] header = routable[next++ & (DATAGRAMS - 1)];
        return router.route(table, header, header.length, client, 0, 0).ordinal() + router.target().getPort();
    }

    @Benchmark
    public int routableShortMiss() {
        byte[] header = many[next++ & (MISSES - 1)];
        return router.route(table, header, header.length, client, 0, 0).ordinal() + router.target().getPort();
    }

    @Benchmark
    public int unroutableLong() {
        return router.route(table, initial, initial.length, client, 0, 0).ordinal() + router.target().getPort();
    }

    @Benchmark
    public int junk() {
        byte[] header = junk[next++ & (DATAGRAMS - 1)];
        return router.route(table, header, header.length, client, 0, 0).ordinal();
    }
}

package io.quiclb.bench;

import io.quiclb.codec.CidDecoder;
import io.quiclb.codec.CidEncoder;
import io.quiclb.codec.QuicLbConfig;
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
 * {@link CidDecoder#decode} per algorithm and shape, over 1024 different CIDs issued by the encoder (as
 * shared/cidbench does), so neither branch prediction nor a single cached CID flatters the result.
 *
 * <p>keyed=false is plaintext; keyed=true is single-pass for 8/8 and four-pass otherwise (3 AES passes when the
 * server ID and thread ID fit in the left half, else 4).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC"})
@State(Scope.Thread)
public class CidDecoderBenchmark {
    private static final int CIDS = 1024;

    @Param({"3/4", "8/8", "10/5", "9/9", "15/4", "4/15", "2/6t1", "4/15t2"})
    public String shape;

    @Param({"false", "true"})
    public boolean keyed;

    private CidDecoder decoder;
    private final byte[][] cids = new byte[CIDS][];
    private final byte[] serverId = new byte[QuicLbConfig.MAX_SERVER_ID_LENGTH];
    private int next;

    @Setup
    public void setUp() {
        QuicLbConfig config = CodecShape.config(shape, keyed);
        CidEncoder encoder = new CidEncoder(config, CodecShape.serverId(config), config.threadIdLength() > 0 ? 1 : 0);
        for (int i = 0; i < CIDS; i++) {
            cids[i] = encoder.nextConnectionId();
        }
        decoder = new CidDecoder(config);
    }

    @Benchmark
    public int decode() {
        byte[] cid = cids[next++ & (CIDS - 1)];
        return decoder.decode(cid, 0, cid.length, serverId, 0) + decoder.threadId();
    }
}

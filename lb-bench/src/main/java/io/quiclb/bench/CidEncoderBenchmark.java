package io.quiclb.bench;

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
 * {@link CidEncoder#encode} per algorithm and shape. Plaintext configurations pay for the four-pass permutation
 * that keeps their nonces unique and unlinkable (4 AES blocks under a local key).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC"})
@State(Scope.Thread)
public class CidEncoderBenchmark {
    @Param({"3/4", "8/8", "10/5", "9/9", "15/4", "4/15", "2/6t1", "4/15t2"})
    public String shape;

    @Param({"false", "true"})
    public boolean keyed;

    private CidEncoder encoder;
    private final byte[] cid = new byte[20];

    @Setup
    public void setUp() {
        QuicLbConfig config = CodecShape.config(shape, keyed);
        encoder = new CidEncoder(config, CodecShape.serverId(config), config.threadIdLength() > 0 ? 1 : 0);
    }

    @Benchmark
    public int encode() {
        return encoder.encode(cid, 0) + cid[1];
    }
}

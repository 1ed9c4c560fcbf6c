package io.quiclb.bench;

import io.quiclb.codec.AesBlockCipher;
import io.quiclb.codec.AesEngine;
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
 * One AES-128 block through the codec's {@link AesBlockCipher}: the physical floor of the encrypted decoders.
 * {@code encryptChained} feeds each output back as the next input, so it measures latency, which is what the
 * sequential Feistel passes pay (shared/cidbench reports the same "dependent chain" for C with AES-NI).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC"})
@State(Scope.Thread)
public class AesBlockBenchmark {
    @Param({"JDK", "BOUNCY_CASTLE"})
    public AesEngine engine;

    private AesBlockCipher cipher;
    private final byte[] in = new byte[16];
    private final byte[] out = new byte[16];
    private final byte[] chain = new byte[16];
    private final byte[] chainOut = new byte[16];

    @Setup
    public void setUp() {
        cipher = engine.newCipher(CodecShape.KEY);
        for (int i = 0; i < 16; i++) {
            in[i] = (byte) i;
        }
    }

    @Benchmark
    public byte encrypt() {
        cipher.encrypt(in, 0, out, 0);
        return out[0];
    }

    @Benchmark
    public byte decrypt() {
        cipher.decrypt(in, 0, out, 0);
        return out[0];
    }

    @Benchmark
    public byte encryptChained() {
        cipher.encrypt(chain, 0, chainOut, 0);
        System.arraycopy(chainOut, 0, chain, 0, 16);
        return chain[0];
    }
}

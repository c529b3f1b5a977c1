package org.lrn4j.bench;

import java.util.concurrent.TimeUnit;

import org.lrn4j.backend.Backend;
import org.lrn4j.backend.NativeBackend;
import org.lrn4j.kernels.NativeKernels;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What one kernel call costs besides its arithmetic: the bare JNI crossing, and a 1x1 column sum through
 * the validated {@link Backend} facade (argument checks + address lookup + crossing + dispatch).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class KernelCallBenchmark {
    private Backend backend;
    private Tensor a;
    private Tensor out;

    @Setup(Level.Trial)
    public void setUp() {
        backend = NativeBackend.load();
        a = Tensor.host(DType.FLOAT32, 1, 1);
        out = Tensor.host(DType.FLOAT32, 1);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.close();
        out.close();
    }

    @Benchmark
    public int jniCrossing() {
        return NativeKernels.abiVersion();
    }

    @Benchmark
    public void tinyKernelThroughBackend() {
        backend.colSum(1, 1, a, 0, 1, false, out);
    }
}

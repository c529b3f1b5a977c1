package org.lrn4j.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.lrn4j.backend.Backend;
import org.lrn4j.backend.Backends;
import org.lrn4j.nn.Lrn;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The LRN layer, forward and forward+backward, on tensors allocated once. Run with {@code -prof gc} to
 * see what a steady-state call allocates on the Java heap.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LrnLayerBenchmark {
    @Param({"native", "java"})
    public String backend;

    /** batch x steps x input x hidden. */
    @Param({"32x128x256x256"})
    public String shape;

    private Backend b;
    private Lrn lrn;
    private Tensor x;
    private Tensor dy;
    private Lrn.Result result;
    private Lrn.Gradients gradients;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split("x");
        int batch = Integer.parseInt(p[0]);
        int steps = Integer.parseInt(p[1]);
        int input = Integer.parseInt(p[2]);
        int hidden = Integer.parseInt(p[3]);
        b = Backends.byName(backend);
        lrn = Lrn.builder().backend(b).inputSize(input).hiddenSize(hidden).seed(7).build();
        x = random(b, 11, steps, batch, input);
        dy = random(b, 13, steps, batch, hidden);
        result = lrn.forward(x, null, null);
        gradients = lrn.backward(result, dy, null);
    }

    private static Tensor random(Backend b, long seed, long... shape) {
        SplittableRandom rng = new SplittableRandom(seed);
        try (Tensor host = Tensor.host(DType.FLOAT32, shape)) {
            double[] v = new double[(int) host.numel()];
            for (int i = 0; i < v.length; i++) {
                v[i] = rng.nextDouble() * 2 - 1;
            }
            host.write(0, v, 0, v.length);
            return b.copyOf(host);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        gradients.close();
        result.close();
        x.close();
        dy.close();
        lrn.close();
    }

    /** A fresh result per call (its storage comes from the layer's workspace). */
    @Benchmark
    public void forward(Blackhole bh) {
        try (Lrn.Result r = lrn.forward(x, null, null)) {
            b.synchronize();
            bh.consume(r);
        }
    }

    @Benchmark
    public void forwardBackward(Blackhole bh) {
        try (Lrn.Result r = lrn.forward(x, null, null);
             Lrn.Gradients g = lrn.backward(r, dy, null)) {
            b.synchronize();
            bh.consume(g);
        }
    }

    /** The steady state of a serving loop: the result of the previous call is overwritten. */
    @Benchmark
    public Lrn.Result forwardReused() {
        Lrn.Result r = lrn.forward(x, null, null, result);
        b.synchronize();
        return r;
    }

    /** The steady state of a training loop. */
    @Benchmark
    public Lrn.Gradients forwardBackwardReused() {
        Lrn.Gradients g = lrn.backward(lrn.forward(x, null, null, result), dy, null, gradients);
        b.synchronize();
        return g;
    }
}

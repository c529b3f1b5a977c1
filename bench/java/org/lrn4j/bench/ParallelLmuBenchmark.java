package org.lrn4j.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.lrn4j.backend.Backend;
import org.lrn4j.backend.Backends;
import org.lrn4j.lmu.MemoryMode;
import org.lrn4j.lmu.ParallelLmu;
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

/**
 * The parallel LMU's memory modes (docs/LMU.md): the full-sequence forward and forward+backward in BLOCKED
 * and FFT, the final-step forward and forward+backward (LAST_STEP, the same for both modes) and the RNN form, in the steady state (results and
 * gradients reused). The default shape is the psMNIST one: 784 steps, one input, one memory channel of order
 * 256, hidden 212. Compare the times of BLOCKED and FFT with {@link ParallelLmu#blockedSeconds} and
 * {@link ParallelLmu#fftSeconds}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class ParallelLmuBenchmark {
    @Param({"native", "java"})
    public String backend;

    @Param({"BLOCKED", "FFT"})
    public String mode;

    /** batch x steps x input x memoryD x order x hidden. */
    @Param({"32x784x1x1x256x212"})
    public String shape;

    private Backend b;
    private ParallelLmu lmu;
    /** The same sizes with AUTO, whose forwardFinal computes only the last step's memory. */
    private ParallelLmu lastStep;
    private Tensor x;
    private Tensor dy;
    private ParallelLmu.Result result;
    private ParallelLmu.Result finalResult;
    private ParallelLmu.Gradients gradients;
    private ParallelLmu.Gradients finalGradients;
    private Tensor dyFinal;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split("x");
        int batch = Integer.parseInt(p[0]);
        int steps = Integer.parseInt(p[1]);
        int input = Integer.parseInt(p[2]);
        int memoryD = Integer.parseInt(p[3]);
        int order = Integer.parseInt(p[4]);
        int hidden = Integer.parseInt(p[5]);
        b = Backends.byName(backend);
        lmu = ParallelLmu.builder().backend(b).inputSize(input).memoryD(memoryD).order(order).theta(steps)
                .hiddenSize(hidden).mode(MemoryMode.valueOf(mode)).seed(7).build();
        x = random(b, 11, steps, batch, input);
        dy = random(b, 13, steps, batch, hidden);
        result = lmu.forward(x);
        gradients = lmu.backward(result, dy);
        lastStep = ParallelLmu.builder().backend(b).inputSize(input).memoryD(memoryD).order(order).theta(steps)
                .hiddenSize(hidden).seed(7).build();
        dyFinal = random(b, 17, batch, hidden);
        finalResult = lastStep.forwardFinal(x);
        finalGradients = lastStep.backward(finalResult, dyFinal);
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
        finalGradients.close();
        finalResult.close();
        dyFinal.close();
        lastStep.close();
        x.close();
        dy.close();
        lmu.close();
    }

    @Benchmark
    public ParallelLmu.Result forward() {
        result = lmu.forward(x, result);
        b.synchronize();
        return result;
    }

    @Benchmark
    public ParallelLmu.Gradients forwardBackward() {
        result = lmu.forward(x, result);
        gradients = lmu.backward(result, dy, gradients);
        b.synchronize();
        return gradients;
    }

    /** The final step only (LAST_STEP: one GEMM for the memory). */
    @Benchmark
    public ParallelLmu.Result forwardFinal() {
        finalResult = lastStep.forwardFinal(x, finalResult);
        b.synchronize();
        return finalResult;
    }

    @Benchmark
    public ParallelLmu.Gradients forwardBackwardFinal() {
        finalResult = lastStep.forwardFinal(x, finalResult);
        finalGradients = lastStep.backward(finalResult, dyFinal, finalGradients);
        b.synchronize();
        return finalGradients;
    }

    /** All steps as an RNN: two GEMMs per step on B·memoryD rows. */
    @Benchmark
    public void forwardRecurrent() {
        try (Tensor out = lmu.forwardRecurrent(x)) {
            b.synchronize();
        }
    }
}

package org.lrn4j.lmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lrn4j.TestData;
import org.lrn4j.backend.ActivationKind;
import org.lrn4j.backend.ReferenceBackend;
import org.lrn4j.nn.Parameter;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * The parallel LMU in double precision on the reference backend: the three memory modes agree with each other
 * and with the layer run as an RNN (sequence at once and step by step), at a realistic order and θ comparable
 * to the length; the final-step forms read the last row of the full forward; the cost model's choices.
 */
class ParallelLmuTest {

    private static ParallelLmu layer(int inputSize, int memoryD, int order, double theta, int hidden,
                                     ActivationKind f1, ActivationKind f2, MemoryMode mode, String disc, int block) {
        ParallelLmu.Builder b = ParallelLmu.builder().backend(ReferenceBackend.INSTANCE).dtype(DType.FLOAT64)
                .inputSize(inputSize).memoryD(memoryD).order(order).theta(theta).hiddenSize(hidden)
                .inputActivation(f1).outputActivation(f2).mode(mode).discretisation(disc).seed(7);
        if (block > 0) {
            b.blockLength(block);
        }
        ParallelLmu lmu = b.build();
        // non-zero biases
        SplittableRandom rng = new SplittableRandom(3);
        for (Parameter p : lmu.parameters()) {
            if (p.name().endsWith("bias")) {
                for (long i = 0; i < p.value().numel(); i++) {
                    p.value().set(i, rng.nextDouble() - 0.5);
                }
            }
        }
        return lmu;
    }

    /** max |got − want| / max |want|. */
    static double relativeError(double[] want, double[] got) {
        assertEquals(want.length, got.length);
        double err = 0;
        double scale = 0;
        for (int i = 0; i < want.length; i++) {
            err = Math.max(err, Math.abs(got[i] - want[i]));
            scale = Math.max(scale, Math.abs(want[i]));
        }
        assertTrue(scale > 0, "the reference output is all zero");
        return err / scale;
    }

    @ParameterizedTest(name = "T={0}, d={1}, theta={2}, {5}, {6}")
    @CsvSource({
        "10, 64, 10, 1e-8, 0, zoh, IDENTITY",
        "10, 64, 10, 1e-8, 3, zoh, TANH",
        "10, 16, 200, 1e-8, 4, euler, TANH",
        "1000, 128, 1000, 1e-6, 0, zoh, IDENTITY",
        "1000, 128, 700, 1e-6, 0, zoh, TANH",
        "37, 8, 12, 1e-8, 5, zoh, SIGMOID"
    })
    void parallelModesAgreeWithTheRecurrentForm(int steps, int order, double theta, double tol, int block,
                                                String disc, ActivationKind f2) {
        int batch = 2;
        int inputSize = 3;
        SplittableRandom rng = new SplittableRandom(11);
        try (Tensor x = TestData.random(rng, DType.FLOAT64, -1, 1, steps, batch, inputSize)) {
            double[] recurrent;
            double[] stepwise;
            double[][] parallel = new double[2][];
            double[][] finals = new double[3][];
            try (ParallelLmu lmu = layer(inputSize, 2, order, theta, 5, ActivationKind.TANH, f2, MemoryMode.BLOCKED,
                    disc, block)) {
                try (Tensor out = lmu.forwardRecurrent(x)) {
                    recurrent = out.toDoubleArray();
                }
                stepwise = stepByStep(lmu, x, steps, batch, inputSize);
                try (ParallelLmu.Result r = lmu.forward(x)) {
                    assertEquals(MemoryMode.BLOCKED, r.mode());
                    parallel[0] = r.output().toDoubleArray();
                }
                try (ParallelLmu.Result r = lmu.forwardFinal(x)) {
                    finals[0] = r.output().toDoubleArray();
                }
            }
            for (MemoryMode mode : new MemoryMode[] {MemoryMode.FFT, MemoryMode.LAST_STEP}) {
                try (ParallelLmu lmu = layer(inputSize, 2, order, theta, 5, ActivationKind.TANH, f2, mode, disc,
                        block)) {
                    if (mode == MemoryMode.FFT) {
                        try (ParallelLmu.Result r = lmu.forward(x)) {
                            assertEquals(MemoryMode.FFT, r.mode());
                            parallel[1] = r.output().toDoubleArray();
                        }
                    }
                    try (ParallelLmu.Result r = lmu.forwardFinal(x)) {
                        assertEquals(mode, r.mode());
                        finals[mode == MemoryMode.FFT ? 1 : 2] = r.output().toDoubleArray();
                    }
                }
            }
            assertTrue(relativeError(recurrent, stepwise) <= 1e-12, "step by step vs sequence recurrent");
            for (int m = 0; m < 2; m++) {
                double e = relativeError(recurrent, parallel[m]);
                assertTrue(e <= tol, (m == 0 ? "BLOCKED" : "FFT") + " vs recurrent: relative error " + e);
            }
            double[] lastRow = new double[batch * 5];
            System.arraycopy(recurrent, (steps - 1) * batch * 5, lastRow, 0, lastRow.length);
            for (int m = 0; m < 3; m++) {
                double e = relativeError(lastRow, finals[m]);
                assertTrue(e <= tol, "final step, mode " + m + ": relative error " + e);
            }
        }
    }

    private static double[] stepByStep(ParallelLmu lmu, Tensor x, int steps, int batch, int inputSize) {
        int hidden = lmu.hiddenSize();
        double[] all = new double[steps * batch * hidden];
        double[] row = new double[batch * inputSize];
        try (ParallelLmu.State state = lmu.newState(batch);
             Tensor xt = Tensor.host(DType.FLOAT64, batch, inputSize);
             Tensor out = Tensor.host(DType.FLOAT64, batch, hidden)) {
            for (int t = 0; t < steps; t++) {
                x.read((long) t * batch * inputSize, row, 0, row.length);
                xt.write(0, row, 0, row.length);
                lmu.step(xt, state, out);
                out.read(0, all, t * batch * hidden, batch * hidden);
            }
        }
        return all;
    }

    /**
     * FLOAT32 on java and native at 1,000 steps, d = 128, θ = 1000: BLOCKED, FFT and the RNN form against the
     * FLOAT64 reference. Tolerance 1e-5 of the largest output: the float memory of the RNN form goes through
     * 1,000 products with Ā (its eigenvalues lie inside the unit circle, so old rounding errors decay rather than
     * grow) and each blocked step through sums of L·d + d = 8,320 terms; errors of random sign grow like a few
     * float ulps (6e-8) times the square root of the sum length, ~1e-5 at worst. Measured: BLOCKED 1.3e-7 (java)
     * and 7.4e-7 (native), the RNN form 1.2e-6 (native); FFT computes in double and only rounds the result.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"java", "native"})
    void float32ModesAgreeAtAThousandSteps(String name) {
        int steps = 1000;
        int batch = 2;
        SplittableRandom rng = new SplittableRandom(4);
        try (Tensor x = TestData.random(rng, DType.FLOAT32, -1, 1, steps, batch, 3);
             Tensor x64 = Tensor.ofDoubles(x.toDoubleArray(), steps, batch, 3)) {
            double[] want;
            try (ParallelLmu ref = layer(3, 2, 128, 1000, 5, ActivationKind.IDENTITY, ActivationKind.IDENTITY,
                    MemoryMode.BLOCKED, "zoh", 0)) {
                try (ParallelLmu.Result r = ref.forward(x64)) {
                    want = r.output().toDoubleArray();
                }
                for (MemoryMode mode : new MemoryMode[] {MemoryMode.BLOCKED, MemoryMode.FFT}) {
                    try (ParallelLmu lmu = ParallelLmu.builder().backend(org.lrn4j.backend.Backends.byName(name))
                            .inputSize(3).memoryD(2).order(128).theta(1000).hiddenSize(5)
                            .outputActivation(ActivationKind.IDENTITY).mode(mode).seed(7).build()) {
                        for (int p = 0; p < lmu.parameters().size(); p++) {
                            double[] v = ref.parameters().get(p).value().toDoubleArray();
                            lmu.parameters().get(p).value().write(0, v, 0, v.length);
                        }
                        try (ParallelLmu.Result r = lmu.forward(x)) {
                            double e = relativeError(want, r.output().toDoubleArray());
                            assertTrue(e <= 1e-5, name + " " + mode + ": relative error " + e);
                        }
                        if (mode == MemoryMode.BLOCKED) {
                            try (Tensor out = lmu.forwardRecurrent(x)) {
                                double e = relativeError(want, out.toDoubleArray());
                                assertTrue(e <= 1e-5, name + " recurrent: relative error " + e);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void reusedResultsGiveTheSameOutput() {
        SplittableRandom rng = new SplittableRandom(8);
        try (ParallelLmu lmu = layer(3, 2, 6, 9, 4, ActivationKind.TANH, ActivationKind.TANH, MemoryMode.BLOCKED,
                "zoh", 4);
             Tensor x = TestData.random(rng, DType.FLOAT64, -1, 1, 9, 2, 3);
             Tensor dy = TestData.random(rng, DType.FLOAT64, -1, 1, 9, 2, 4)) {
            ParallelLmu.Result first = lmu.forward(x);
            double[] want = first.output().toDoubleArray();
            ParallelLmu.Gradients g = lmu.backward(first, dy);
            double[] dxWant = g.input().toDoubleArray();
            ParallelLmu.Result second = lmu.forward(x, first);
            assertTrue(first.output().isClosed(), "the reused result is closed");
            assertEquals(0.0, relativeError(want, second.output().toDoubleArray()));
            ParallelLmu.Gradients g2 = lmu.backward(second, dy, g);
            assertEquals(0.0, relativeError(dxWant, g2.input().toDoubleArray()));
            second.close();
            g2.close();
        }
    }

    @Test
    void autoPicksTheLastStepForFinalOutputsAndFollowsTheCostModel() {
        try (ParallelLmu lmu = ParallelLmu.builder().backend(org.lrn4j.backend.Backends.byName("native"))
                .inputSize(1).memoryD(1).order(256).theta(784).hiddenSize(212).build()) {
            assertEquals(64, lmu.blockLength());
            assertEquals(lmu.fftSeconds(784, 100) < lmu.blockedSeconds(784, 100) ? MemoryMode.FFT : MemoryMode.BLOCKED,
                    lmu.chooseMode(784, 100));
            try (Tensor x = Tensor.host(DType.FLOAT32, 5, 2, 1); ParallelLmu.Result r = lmu.forwardFinal(x)) {
                assertEquals(MemoryMode.LAST_STEP, r.mode());
            }
        }
        try (ParallelLmu lmu = ParallelLmu.builder().backend(org.lrn4j.backend.Backends.byName("native"))
                .inputSize(1).memoryD(1).order(4).theta(784).hiddenSize(8).build()) {
            // at d = 4 the blocked convolution is a few FLOPs per step: never worth the host FFT
            assertEquals(MemoryMode.BLOCKED, lmu.chooseMode(784, 100));
        }
    }
}

package org.lrn4j.lmu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lrn4j.TestData;
import org.lrn4j.backend.ActivationKind;
import org.lrn4j.backend.ReferenceBackend;
import org.lrn4j.nn.Parameter;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * Central finite differences in double precision against the backward pass of every memory mode, full
 * sequence and final step only: every element of Uₓ, b_u, W_m, Wₓ, b_o and of the input. T = 7 with blocks of
 * 3 leaves a partial last block, so the blocked adjoint's carry and its tail are both exercised.
 * Loss = Σ output ⊙ R for a fixed random R.
 */
class ParallelLmuGradientCheckTest {
    private static final int T = 7;
    private static final int B = 2;
    private static final int D = 3;
    private static final int M = 2;
    private static final int ORDER = 4;
    private static final int H = 3;
    private static final double EPS = 1e-5;

    @ParameterizedTest(name = "{0}, final only {1}, f1 {2}, f2 {3}")
    @CsvSource({
        "BLOCKED, false, TANH, TANH",
        "BLOCKED, true, IDENTITY, SIGMOID",
        "FFT, false, SIGMOID, IDENTITY",
        "FFT, true, TANH, TANH",
        "LAST_STEP, true, TANH, TANH",
        "LAST_STEP, true, IDENTITY, IDENTITY",
        "AUTO, false, IDENTITY, TANH"
    })
    void backwardMatchesFiniteDifferences(MemoryMode mode, boolean finalOnly, ActivationKind f1, ActivationKind f2) {
        SplittableRandom rng = new SplittableRandom(21);
        try (ParallelLmu lmu = ParallelLmu.builder().backend(ReferenceBackend.INSTANCE).dtype(DType.FLOAT64)
                .inputSize(D).memoryD(M).order(ORDER).theta(5.0).hiddenSize(H).inputActivation(f1)
                .outputActivation(f2).mode(mode).blockLength(3).seed(5).build();
             Tensor x = TestData.random(rng, DType.FLOAT64, -1, 1, T, B, D);
             Tensor r = finalOnly ? TestData.random(rng, DType.FLOAT64, -1, 1, B, H)
                     : TestData.random(rng, DType.FLOAT64, -1, 1, T, B, H)) {
            for (Parameter p : lmu.parameters()) {
                if (p.name().endsWith("bias")) {
                    for (long i = 0; i < p.value().numel(); i++) {
                        p.value().set(i, rng.nextDouble() - 0.5);
                    }
                }
            }
            lmu.zeroGrad();
            double[] dx;
            try (ParallelLmu.Result res = finalOnly ? lmu.forwardFinal(x) : lmu.forward(x);
                 ParallelLmu.Gradients g = lmu.backward(res, r)) {
                dx = g.input().toDoubleArray();
            }
            for (Parameter p : lmu.parameters()) {
                double[] analytic = p.grad().toDoubleArray();
                for (int i = 0; i < analytic.length; i++) {
                    check(p.name() + "[" + i + "]", analytic[i], numeric(lmu, x, r, finalOnly, p.value(), i));
                }
            }
            for (int i = 0; i < dx.length; i++) {
                check("x[" + i + "]", dx[i], numeric(lmu, x, r, finalOnly, x, i));
            }
        }
    }

    private static double numeric(ParallelLmu lmu, Tensor x, Tensor r, boolean finalOnly, Tensor t, int i) {
        double v = t.get(i);
        t.set(i, v + EPS);
        double plus = loss(lmu, x, r, finalOnly);
        t.set(i, v - EPS);
        double minus = loss(lmu, x, r, finalOnly);
        t.set(i, v);
        return (plus - minus) / (2 * EPS);
    }

    private static double loss(ParallelLmu lmu, Tensor x, Tensor r, boolean finalOnly) {
        try (ParallelLmu.Result res = finalOnly ? lmu.forwardFinal(x) : lmu.forward(x)) {
            double[] o = res.output().toDoubleArray();
            double[] w = r.toDoubleArray();
            double s = 0;
            for (int k = 0; k < o.length; k++) {
                s += o[k] * w[k];
            }
            return s;
        }
    }

    private static void check(String what, double analytic, double numeric) {
        double err = Math.abs(analytic - numeric);
        assertTrue(err <= 1e-7 + 1e-6 * Math.abs(numeric),
                what + ": backward " + analytic + ", finite differences " + numeric + " (error " + err + ")");
    }
}

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
 * Finite differences in double precision against backpropagation through time of the original LMU cell: every
 * parameter (the memory encoders and biases set away from their zero initialisation), every input element and
 * both initial states, at odd small sizes with several memory channels. Loss = Σ output ⊙ R + Σ h_T ⊙ S +
 * Σ m_T ⊙ Q for fixed random R, S, Q, so that the output and both final-state gradients are exercised.
 */
class LmuCellGradientCheckTest {
    private static final int T = 5;
    private static final int B = 3;
    private static final int D = 3;
    private static final int H = 4;
    private static final double EPS = 1e-6;

    @ParameterizedTest(name = "{0}, channels {1}, order {2}, initial states {3}")
    @CsvSource({"TANH, 1, 3, true", "TANH, 2, 3, true", "IDENTITY, 2, 5, true", "SIGMOID, 3, 2, false",
        "TANH, 3, 2, false"})
    void backwardMatchesFiniteDifferences(ActivationKind act, int channels, int order, boolean initialStates) {
        SplittableRandom rng = new SplittableRandom(5);
        try (LmuCell cell = LmuCell.builder().backend(ReferenceBackend.INSTANCE).dtype(DType.FLOAT64).inputSize(D)
                .hiddenSize(H).memoryD(channels).order(order).theta(3.5).activation(act).seed(3).build()) {
            int mem = cell.memorySize();
            for (Parameter p : cell.parameters()) {
                for (long i = 0; i < p.value().numel(); i++) {
                    p.value().set(i, p.value().get(i) + (rng.nextDouble() - 0.5) * 0.6);
                }
            }
            try (Tensor x = TestData.random(rng, DType.FLOAT64, -1, 1, T, B, D);
                 Tensor h0 = initialStates ? TestData.random(rng, DType.FLOAT64, -0.5, 0.5, B, H) : null;
                 Tensor m0 = initialStates ? TestData.random(rng, DType.FLOAT64, -0.5, 0.5, B, mem) : null;
                 Tensor r = TestData.random(rng, DType.FLOAT64, -1, 1, T, B, H);
                 Tensor s = TestData.random(rng, DType.FLOAT64, -1, 1, B, H);
                 Tensor q = TestData.random(rng, DType.FLOAT64, -1, 1, B, mem)) {
                cell.zeroGrad();
                LmuCell.Gradients grads;
                try (LmuCell.Result res = cell.forward(x, h0, m0)) {
                    grads = cell.backward(res, r, s, q);
                }
                try (grads) {
                    for (Parameter p : cell.parameters()) {
                        check(cell, x, h0, m0, r, s, q, p.value(), p.grad(), p.name());
                    }
                    check(cell, x, h0, m0, r, s, q, x, grads.input(), "input");
                    if (initialStates) {
                        check(cell, x, h0, m0, r, s, q, h0, grads.initialHidden(), "initial hidden");
                        check(cell, x, h0, m0, r, s, q, m0, grads.initialMemory(), "initial memory");
                    }
                }
            }
        }
    }

    private static double loss(LmuCell cell, Tensor x, Tensor h0, Tensor m0, Tensor r, Tensor s, Tensor q) {
        try (LmuCell.Result res = cell.forward(x, h0, m0)) {
            return dot(res.output(), 0, r) + dot(res.output(), res.finalHiddenOffset(), s)
                    + dot(res.memory(), res.finalMemoryOffset(), q);
        }
    }

    private static double dot(Tensor a, long offset, Tensor b) {
        double sum = 0;
        for (long i = 0; i < b.numel(); i++) {
            sum += a.get(offset + i) * b.get(i);
        }
        return sum;
    }

    private static void check(LmuCell cell, Tensor x, Tensor h0, Tensor m0, Tensor r, Tensor s, Tensor q,
                              Tensor value, Tensor grad, String what) {
        double maxGrad = 0;
        for (long i = 0; i < value.numel(); i++) {
            double v = value.get(i);
            value.set(i, v + EPS);
            double plus = loss(cell, x, h0, m0, r, s, q);
            value.set(i, v - EPS);
            double minus = loss(cell, x, h0, m0, r, s, q);
            value.set(i, v);
            double numeric = (plus - minus) / (2 * EPS);
            double analytic = grad.get(i);
            maxGrad = Math.max(maxGrad, Math.abs(numeric));
            assertTrue(Math.abs(numeric - analytic) <= 1e-7 + 1e-6 * Math.abs(numeric),
                    what + "[" + i + "]: backward " + analytic + ", finite difference " + numeric);
        }
        assertTrue(maxGrad > 1e-3, what + ": gradient is (nearly) zero everywhere; the check would prove nothing");
    }
}

package org.lrn4j.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lrn4j.TestData;
import org.lrn4j.backend.Activation;
import org.lrn4j.backend.ReferenceBackend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * Finite differences in double precision against the whole layer's backward pass, LRN and oLRN (output
 * gate): every weight, bias and layer-norm gain, every input element and every initial-state element, with
 * ragged lengths, stacked and bidirectional. Loss = Σ output ⊙ R + Σ finalState ⊙ S for fixed random R, S.
 */
class LrnGradientCheckTest {
    private static final int T = 5;
    private static final int B = 3;
    private static final int D = 3;
    private static final int H = 4;
    private static final int[] LENGTHS = {5, 2, 4};
    /**
     * Step of the central differences. Their error grows with the third derivative; layer norm over groups of
     * four values sharpens the curvature, and with the output gate a step of 1e-5 already missed the
     * tolerance by 3x (input gradient of a bidirectional two-layer oLRN with layer norm), while 2e-6 keeps
     * truncation and rounding error (~1e-10 in double) well below it.
     */
    private static final double EPS = 2e-6;

    @ParameterizedTest(name = "{0}, layer norm {1}, bidirectional {2}, layers {3}, output gate {4}")
    @CsvSource({
        "TANH, false, false, 1, false",
        "IDENTITY, false, false, 1, false",
        "TANH, true, true, 2, false",
        "IDENTITY, true, true, 2, false",
        "TANH, false, true, 2, false",
        "IDENTITY, true, false, 2, false",
        "TANH, false, false, 1, true",
        "IDENTITY, false, false, 1, true",
        "TANH, true, true, 2, true",
        "IDENTITY, true, true, 2, true",
        "TANH, false, true, 2, true",
        "IDENTITY, true, false, 2, true"
    })
    void backwardMatchesFiniteDifferences(Activation act, boolean layerNorm, boolean bidirectional, int layers,
                                          boolean outputGate) {
        SplittableRandom rng = new SplittableRandom(42);
        try (Lrn lrn = Lrn.builder().backend(ReferenceBackend.INSTANCE).dtype(DType.FLOAT64).inputSize(D).hiddenSize(H)
                .layers(layers).bidirectional(bidirectional).activation(act).layerNorm(layerNorm)
                .outputGate(outputGate).initScale(0.6).seed(9).build()) {
            int states = layers * lrn.directions();
            // Non-trivial biases and gains, so their gradients are exercised away from the initial values.
            for (Parameter p : lrn.parameters()) {
                if (!p.name().endsWith("weight")) {
                    for (long i = 0; i < p.value().numel(); i++) {
                        p.value().set(i, p.value().get(i) + (rng.nextDouble() - 0.5) * 0.4);
                    }
                }
            }
            try (Tensor x = TestData.random(rng, DType.FLOAT64, -1, 1, T, B, D);
                 Tensor h0 = TestData.random(rng, DType.FLOAT64, -0.5, 0.5, states, B, H);
                 Tensor r = TestData.random(rng, DType.FLOAT64, -1, 1, T, B, lrn.outputSize());
                 Tensor s = TestData.random(rng, DType.FLOAT64, -1, 1, states, B, H)) {
                lrn.zeroGrad();
                Lrn.Gradients grads;
                try (Lrn.Result res = lrn.forward(x, LENGTHS, h0)) {
                    grads = lrn.backward(res, r, s);
                }
                try (grads) {
                    for (Parameter p : lrn.parameters()) {
                        check(lrn, x, h0, r, s, p.value(), p.grad(), p.name());
                    }
                    check(lrn, x, h0, r, s, x, grads.input(), "input");
                    check(lrn, x, h0, r, s, h0, grads.initialState(), "initial state");
                }
            }
        }
    }

    private static double loss(Lrn lrn, Tensor x, Tensor h0, Tensor r, Tensor s) {
        try (Lrn.Result res = lrn.forward(x, LENGTHS, h0)) {
            return dot(res.output(), r) + dot(res.finalState(), s);
        }
    }

    private static double dot(Tensor a, Tensor b) {
        double sum = 0;
        for (long i = 0; i < a.numel(); i++) {
            sum += a.get(i) * b.get(i);
        }
        return sum;
    }

    private static void check(Lrn lrn, Tensor x, Tensor h0, Tensor r, Tensor s, Tensor value, Tensor grad, String what) {
        double maxErr = 0;
        double maxGrad = 0;
        for (long i = 0; i < value.numel(); i++) {
            double v = value.get(i);
            value.set(i, v + EPS);
            double plus = loss(lrn, x, h0, r, s);
            value.set(i, v - EPS);
            double minus = loss(lrn, x, h0, r, s);
            value.set(i, v);
            double numeric = (plus - minus) / (2 * EPS);
            double analytic = grad.get(i);
            double err = Math.abs(numeric - analytic);
            maxErr = Math.max(maxErr, err);
            maxGrad = Math.max(maxGrad, Math.abs(numeric));
            assertTrue(err <= 1e-7 + 1e-6 * Math.abs(numeric),
                    what + "[" + i + "]: backward " + analytic + ", finite difference " + numeric);
        }
        assertTrue(maxGrad > 1e-3, what + ": gradient is (nearly) zero everywhere; the check would prove nothing");
    }
}

package org.lrn4j.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lrn4j.TestData;
import org.lrn4j.backend.ReferenceBackend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * Finite differences in double precision (FLOAT64 on the reference backend) against the whole backward
 * pass of each comparison cell: every parameter, every input element and every initial-state element, with
 * ragged lengths, two stacked layers, bidirectional or not. Loss = Σ output ⊙ R + Σ finalState ⊙ S for fixed
 * random R, S. An input width equal to the hidden size puts the SRU's highway on x itself (layer 0; and
 * layer 1 when unidirectional), another width on a projection.
 */
class CellGradientCheckTest {
    private static final int T = 5;
    private static final int B = 3;
    private static final int H = 4;
    private static final int[] LENGTHS = {5, 2, 4};
    private static final double EPS = 1e-5;

    @ParameterizedTest(name = "{0}, input {1}, bidirectional {2}")
    @CsvSource({
        "LSTM, 3, true", "LSTM, 4, false",
        "GRU, 3, true", "GRU, 4, false",
        "ATR, 3, true", "ATR, 4, false",
        "SRU, 4, true", "SRU, 3, false", "SRU, 4, false",
        "SRU_TANH, 3, true", "SRU_TANH, 4, false"
    })
    void backwardMatchesFiniteDifferences(CellKind kind, int inputSize, boolean bidirectional) {
        SplittableRandom rng = new SplittableRandom(42);
        try (CellLayer layer = kind.build(ReferenceBackend.INSTANCE, DType.FLOAT64, inputSize, H, 2, bidirectional,
                0.6, 9)) {
            int states = 2 * layer.directions();
            // Non-trivial biases (and SRU's v), so their gradients are exercised away from the initial values.
            for (Parameter p : layer.parameters()) {
                if (!p.name().endsWith("weight")) {
                    for (long i = 0; i < p.value().numel(); i++) {
                        p.value().set(i, p.value().get(i) + (rng.nextDouble() - 0.5) * 0.8);
                    }
                }
            }
            try (Tensor x = TestData.random(rng, DType.FLOAT64, -1, 1, T, B, inputSize);
                 Tensor h0 = TestData.random(rng, DType.FLOAT64, -0.5, 0.5, states, B, layer.stateSize());
                 Tensor r = TestData.random(rng, DType.FLOAT64, -1, 1, T, B, layer.outputSize());
                 Tensor s = TestData.random(rng, DType.FLOAT64, -1, 1, states, B, layer.stateSize())) {
                layer.zeroGrad();
                Recurrent.Gradients grads;
                try (Recurrent.Result res = layer.forward(x, LENGTHS, h0)) {
                    grads = layer.backward(res, r, s);
                }
                try (grads) {
                    for (Parameter p : layer.parameters()) {
                        check(layer, x, h0, r, s, p.value(), p.grad(), kind + " " + p.name());
                    }
                    check(layer, x, h0, r, s, x, grads.input(), kind + " input");
                    check(layer, x, h0, r, s, h0, grads.initialState(), kind + " initial state");
                }
            }
        }
    }

    private static double loss(CellLayer layer, Tensor x, Tensor h0, Tensor r, Tensor s) {
        try (Recurrent.Result res = layer.forward(x, LENGTHS, h0)) {
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

    private static void check(CellLayer layer, Tensor x, Tensor h0, Tensor r, Tensor s, Tensor value, Tensor grad,
                              String what) {
        double maxGrad = 0;
        for (long i = 0; i < value.numel(); i++) {
            double v = value.get(i);
            value.set(i, v + EPS);
            double plus = loss(layer, x, h0, r, s);
            value.set(i, v - EPS);
            double minus = loss(layer, x, h0, r, s);
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

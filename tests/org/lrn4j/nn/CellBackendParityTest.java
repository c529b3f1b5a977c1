package org.lrn4j.nn;

import static org.lrn4j.TestData.assertClose;

import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.lrn4j.TestData;
import org.lrn4j.TestData.On;
import org.lrn4j.backend.Backend;
import org.lrn4j.backend.ReferenceBackend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * Each comparison cell, forward and backward, on java, native and CUDA against the double-precision
 * reference backend, on odd sizes: stacked and bidirectional with ragged lengths (T 7, B 3, input 13,
 * hidden 33), and a single sequence of one layer whose input width equals the hidden size (the SRU's
 * highway on x). Every output, state, input gradient and parameter gradient is compared.
 */
class CellBackendParityTest {
    static List<String> backends() {
        return TestData.acceleratedBackends();
    }

    private record Shape(int steps, int batch, int input, int hidden, int layers, boolean bidirectional, int[] lengths) {
        @Override
        public String toString() {
            return "T" + steps + " B" + batch + " D" + input + " H" + hidden + " layers " + layers
                    + (bidirectional ? " bidirectional" : "") + " lengths " + java.util.Arrays.toString(lengths);
        }
    }

    private static final Shape[] SHAPES = {
        new Shape(7, 3, 13, 33, 2, true, new int[] {7, 2, 5}),
        new Shape(6, 1, 9, 9, 1, false, null),
        new Shape(4, 5, 1, 1, 2, false, new int[] {4, 1, 3, 4, 2}),
    };

    @ParameterizedTest
    @MethodSource("backends")
    void forwardAndBackwardMatchTheReference(String name) {
        Backend backend = TestData.backendOrSkip(name);
        for (CellKind kind : CellKind.values()) {
            for (Shape shape : SHAPES) {
                run(backend, kind, shape);
            }
        }
    }

    private static double[][] pass(Backend backend, CellKind kind, Shape s, Tensor x, Tensor h0, Tensor dy,
                                   Tensor dLast) {
        try (CellLayer layer = kind.build(backend, s.input, s.hidden, s.layers, s.bidirectional, 21);
             On on = new On(backend)) {
            try (Recurrent.Result r = layer.forward(on.put(x), s.lengths, on.put(h0));
                 Recurrent.Gradients g = layer.backward(r, on.put(dy), on.put(dLast))) {
                double[][] out = new double[4 + layer.parameters().size()][];
                out[0] = on.get(r.output());
                out[1] = on.get(r.finalState());
                out[2] = on.get(g.input());
                out[3] = on.get(g.initialState());
                for (int i = 0; i < layer.parameters().size(); i++) {
                    out[4 + i] = on.get(layer.parameters().get(i).grad());
                }
                return out;
            }
        }
    }

    private static void run(Backend backend, CellKind kind, Shape s) {
        SplittableRandom rng = new SplittableRandom(17);
        int states = s.layers * (s.bidirectional ? 2 : 1);
        int stateSize = kind == CellKind.LSTM ? 2 * s.hidden : s.hidden;
        int out = (s.bidirectional ? 2 : 1) * s.hidden;
        try (Tensor x = TestData.random(rng, DType.FLOAT32, -1, 1, s.steps, s.batch, s.input);
             Tensor h0 = TestData.random(rng, DType.FLOAT32, -1, 1, states, s.batch, stateSize);
             Tensor dy = TestData.random(rng, DType.FLOAT32, -1, 1, s.steps, s.batch, out);
             Tensor dLast = TestData.random(rng, DType.FLOAT32, -1, 1, states, s.batch, stateSize)) {
            double[][] want = pass(ReferenceBackend.INSTANCE, kind, s, x, h0, dy, dLast);
            double[][] got = pass(backend, kind, s, x, h0, dy, dLast);
            String[] names = {"output", "final state", "d input", "d initial state"};
            for (int i = 0; i < want.length; i++) {
                String what = backend.name() + " " + kind + " " + s + " " + (i < 4 ? names[i] : "param grad " + (i - 4));
                assertClose(what, want[i], got[i], 2e-4, 2e-4);
            }
        }
    }
}

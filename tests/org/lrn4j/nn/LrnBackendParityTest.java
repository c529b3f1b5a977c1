package org.lrn4j.nn;

import static org.lrn4j.TestData.assertClose;

import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.lrn4j.TestData;
import org.lrn4j.TestData.On;
import org.lrn4j.backend.Activation;
import org.lrn4j.backend.Backend;
import org.lrn4j.backend.ReferenceBackend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * The whole layer, LRN and oLRN (stacked, bidirectional, layer norm, ragged), on java, native and CUDA against
 * the reference.
 */
class LrnBackendParityTest {
    static java.util.List<String> backends() {
        return TestData.acceleratedBackends();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void forwardAndBackwardMatchTheReference(String name) {
        Backend backend = TestData.backendOrSkip(name);
        for (Activation act : Activation.values()) {
            for (boolean ln : new boolean[] {false, true}) {
                for (boolean outputGate : new boolean[] {false, true}) {
                    run(backend, act, ln, outputGate);
                }
            }
        }
    }

    private static double[][] pass(Backend backend, Activation act, boolean ln, boolean outputGate, Tensor x, Tensor h0,
                                   Tensor dy, int[] lengths) {
        try (Lrn lrn = Lrn.builder().backend(backend).inputSize(13).hiddenSize(33).layers(2).bidirectional(true)
                .activation(act).layerNorm(ln).outputGate(outputGate).seed(21).build();
             On on = new On(backend)) {
            try (Lrn.Result r = lrn.forward(on.put(x), lengths, on.put(h0));
                 Lrn.Gradients g = lrn.backward(r, on.put(dy), null)) {
                double[][] out = new double[4 + lrn.parameters().size()][];
                out[0] = on.get(r.output());
                out[1] = on.get(r.finalState());
                out[2] = on.get(g.input());
                out[3] = on.get(g.initialState());
                for (int i = 0; i < lrn.parameters().size(); i++) {
                    out[4 + i] = on.get(lrn.parameters().get(i).grad());
                }
                return out;
            }
        }
    }

    private static void run(Backend backend, Activation act, boolean ln, boolean outputGate) {
        SplittableRandom rng = new SplittableRandom(17);
        int[] lengths = {7, 2, 5};
        try (Tensor x = TestData.random(rng, DType.FLOAT32, -1, 1, 7, 3, 13);
             Tensor h0 = TestData.random(rng, DType.FLOAT32, -1, 1, 4, 3, 33);
             Tensor dy = TestData.random(rng, DType.FLOAT32, -1, 1, 7, 3, 66)) {
            double[][] want = pass(ReferenceBackend.INSTANCE, act, ln, outputGate, x, h0, dy, lengths);
            double[][] got = pass(backend, act, ln, outputGate, x, h0, dy, lengths);
            String[] names = {"output", "final state", "d input", "d initial state"};
            for (int i = 0; i < want.length; i++) {
                String what = backend.name() + (outputGate ? " olrn " : " ") + act + (ln ? " ln " : " ")
                        + (i < 4 ? names[i] : "param grad " + (i - 4));
                assertClose(what, want[i], got[i], 2e-4, 2e-4);
            }
        }
    }
}

package org.lrn4j.lmu;

import static org.lrn4j.TestData.assertClose;

import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.lrn4j.TestData;
import org.lrn4j.TestData.On;
import org.lrn4j.backend.ActivationKind;
import org.lrn4j.backend.Backend;
import org.lrn4j.backend.ReferenceBackend;
import org.lrn4j.nn.Parameter;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/** The original LMU cell, forward and backward, on java, native and CUDA against the reference, at odd sizes. */
class LmuCellBackendParityTest {
    static List<String> backends() {
        return TestData.acceleratedBackends();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void forwardAndBackwardMatchTheReference(String name) {
        Backend backend = TestData.backendOrSkip(name);
        for (ActivationKind act : ActivationKind.values()) {
            run(backend, act, 1, 17);
            run(backend, act, 3, 7);
        }
    }

    private static double[][] pass(Backend backend, ActivationKind act, int channels, int order, Tensor x, Tensor h0,
                                   Tensor m0, Tensor dy, Tensor dm) {
        try (LmuCell cell = LmuCell.builder().backend(backend).inputSize(5).hiddenSize(33).memoryD(channels)
                .order(order).theta(9).activation(act).seed(21).build();
             On on = new On(backend)) {
            // non-zero memory encoders, so that every recurrent path carries a gradient
            Parameter em = cell.parameters().get(2);
            try (Tensor host = TestData.random(new SplittableRandom(4), DType.FLOAT32, -0.3, 0.3,
                    em.value().shape())) {
                em.value().copyFrom(host);
            }
            try (LmuCell.Result r = cell.forward(on.put(x), on.put(h0), on.put(m0));
                 LmuCell.Gradients g = cell.backward(r, on.put(dy), null, on.put(dm))) {
                List<Parameter> ps = cell.parameters();
                double[][] out = new double[5 + ps.size()][];
                out[0] = on.get(r.output());
                out[1] = on.get(r.memory());
                out[2] = on.get(g.input());
                out[3] = on.get(g.initialHidden());
                out[4] = on.get(g.initialMemory());
                for (int i = 0; i < ps.size(); i++) {
                    out[5 + i] = on.get(ps.get(i).grad());
                }
                return out;
            }
        }
    }

    private static void run(Backend backend, ActivationKind act, int channels, int order) {
        SplittableRandom rng = new SplittableRandom(17);
        int steps = 13;
        int batch = 3;
        try (Tensor x = TestData.random(rng, DType.FLOAT32, -1, 1, steps, batch, 5);
             Tensor h0 = TestData.random(rng, DType.FLOAT32, -1, 1, batch, 33);
             Tensor m0 = TestData.random(rng, DType.FLOAT32, -1, 1, batch, channels * order);
             Tensor dy = TestData.random(rng, DType.FLOAT32, -1, 1, steps, batch, 33);
             Tensor dm = TestData.random(rng, DType.FLOAT32, -1, 1, batch, channels * order)) {
            double[][] want = pass(ReferenceBackend.INSTANCE, act, channels, order, x, h0, m0, dy, dm);
            double[][] got = pass(backend, act, channels, order, x, h0, m0, dy, dm);
            String[] names = {"output", "memory", "d input", "d h0", "d m0"};
            for (int i = 0; i < want.length; i++) {
                String what = backend.name() + " " + act + " q" + channels + " d" + order + " "
                        + (i < names.length ? names[i] : "param grad " + (i - names.length));
                assertClose(what, want[i], got[i], 5e-4, 5e-4);
            }
        }
    }
}

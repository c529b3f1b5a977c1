package org.lrn4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.lrn4j.TestData;
import org.lrn4j.backend.Activation;
import org.lrn4j.backend.JavaBackend;
import org.lrn4j.backend.ReferenceBackend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/** With identity g, Σ_k w[t][k] ⊙ v_k + u[t] ⊙ h0 reproduces every state h_t, both directions, ragged. */
class UnfoldedWeightsTest {
    @Test
    void weightsReproduceTheStates() {
        int steps = 6;
        int batch = 3;
        int hidden = 5;
        int[] lengths = {6, 1, 4};
        SplittableRandom rng = new SplittableRandom(8);
        try (Lrn lrn = Lrn.builder().backend(ReferenceBackend.INSTANCE).dtype(DType.FLOAT64).inputSize(4)
                .hiddenSize(hidden).layers(2).bidirectional(true).activation(Activation.IDENTITY).layerNorm(true)
                .initScale(0.5).seed(3).build();
             Tensor x = TestData.random(rng, DType.FLOAT64, -1, 1, steps, batch, 4);
             Tensor h0 = TestData.random(rng, DType.FLOAT64, -1, 1, 4, batch, hidden);
             Lrn.Result r = lrn.forward(x, lengths, h0)) {
            int width = 6 * hidden;
            int outWidth = 2 * hidden;
            for (int layer = 0; layer < 2; layer++) {
                double[] gates = r.gates(layer).toDoubleArray();
                double[] out = r.layerOutput(layer).toDoubleArray();
                for (int dir = 0; dir < 2; dir++) {
                    try (Lrn.UnfoldedWeights uw = lrn.unfoldedWeights(r, layer, dir)) {
                        for (int t = 0; t < steps; t++) {
                            for (int b = 0; b < batch; b++) {
                                for (int j = 0; j < hidden; j++) {
                                    double h = uw.initial().get(((long) t * batch + b) * hidden + j)
                                            * h0.get(((long) (layer * 2 + dir) * batch + b) * hidden + j);
                                    for (int k = 0; k < steps; k++) {
                                        double v = gates[(k * batch + b) * width + dir * 3 * hidden + 2 * hidden + j];
                                        h += uw.weights().get((((long) t * steps + k) * batch + b) * hidden + j) * v;
                                    }
                                    double want = out[(t * batch + b) * outWidth + dir * hidden + j];
                                    assertEquals(want, h, 1e-12, "layer " + layer + " dir " + dir + " t " + t
                                            + " b " + b + " j " + j);
                                }
                            }
                        }
                        // A token never weighs into states processed before it, and padding carries no weight.
                        for (int t = 0; t < steps; t++) {
                            for (int k = 0; k < steps; k++) {
                                boolean before = dir == 0 ? k > t : k < t;
                                boolean padding = k >= lengths[1];
                                if (before || padding) {
                                    assertEquals(0.0, uw.weights().get((((long) t * steps + k) * batch + 1) * hidden), 0.0);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void onlyForIdentity() {
        try (Lrn lrn = Lrn.builder().backend(JavaBackend.INSTANCE).inputSize(2).hiddenSize(2).build();
             Tensor x = Tensor.host(DType.FLOAT32, 3, 1, 2);
             Lrn.Result r = lrn.forward(x, null, null)) {
            assertThrows(IllegalStateException.class, () -> lrn.unfoldedWeights(r, 0, 0));
        }
    }

    @Test
    void notForTheOutputGate() {
        try (Lrn olrn = Lrn.builder().backend(JavaBackend.INSTANCE).inputSize(2).hiddenSize(2)
                .activation(Activation.IDENTITY).outputGate(true).build();
             Tensor x = Tensor.host(DType.FLOAT32, 3, 1, 2);
             Lrn.Result r = olrn.forward(x, null, null)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> olrn.unfoldedWeights(r, 0, 0));
            assertTrue(e.getMessage().contains("only for plain LRN"), e.getMessage());
        }
    }
}

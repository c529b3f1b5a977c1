package org.lrn4j.lmu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.lrn4j.TestData;
import org.lrn4j.backend.Backends;
import org.lrn4j.backend.ReferenceBackend;
import org.lrn4j.nn.Parameter;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/** The memory path against the Legendre system's impulse response, reuse of results, and bad input. */
class LmuCellTest {

    /**
     * With e_h = e_m = 0 and b_u = 0, u_t = x_t·e_x, and each memory channel is the causal convolution of its
     * u with the impulse response Ā^s B̄ (the form the parallel LMU computes); the cell gets there one step
     * at a time, so this checks the recurrence against LegendreSystem independently of the cell's code.
     */
    @Test
    void memoryIsTheConvolutionWithTheImpulseResponse() {
        int steps = 37;
        int batch = 2;
        int in = 3;
        int channels = 2;
        int order = 6;
        LegendreSystem sys = LegendreSystem.zeroOrderHold(order, 20);
        SplittableRandom rng = new SplittableRandom(8);
        try (LmuCell cell = LmuCell.builder().backend(ReferenceBackend.INSTANCE).dtype(DType.FLOAT64).inputSize(in)
                .hiddenSize(5).memoryD(channels).system(sys).build();
             Tensor x = TestData.random(rng, DType.FLOAT64, -1, 1, steps, batch, in)) {
            List<Parameter> ps = cell.parameters();
            ps.get(1).value().zero();
            ps.get(2).value().zero();
            ps.get(3).value().zero();
            double[] ex = ps.get(0).value().toDoubleArray();
            double[] xs = x.toDoubleArray();
            double[][] h = sys.impulseResponse(steps);
            try (LmuCell.Result r = cell.forward(x, null, null)) {
                double[] m = r.memory().toDoubleArray();
                for (int t = 0; t < steps; t++) {
                    for (int b = 0; b < batch; b++) {
                        for (int c = 0; c < channels; c++) {
                            for (int i = 0; i < order; i++) {
                                double want = 0;
                                for (int j = 0; j <= t; j++) {
                                    double u = 0;
                                    for (int k = 0; k < in; k++) {
                                        u += xs[(j * batch + b) * in + k] * ex[k * channels + c];
                                    }
                                    want += h[t - j][i] * u;
                                }
                                double got = m[((t * batch + b) * channels + c) * order + i];
                                assertEquals(want, got, 1e-12 + 1e-10 * Math.abs(want),
                                        "m[" + t + ", " + b + ", channel " + c + ", " + i + "]");
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void reusedResultsAndGradientsGiveTheSameValues() {
        SplittableRandom rng = new SplittableRandom(2);
        try (LmuCell cell = LmuCell.builder().backend(Backends.byName("java")).inputSize(3).hiddenSize(7)
                .memoryD(2).order(5).theta(6).build();
             Tensor x = TestData.random(rng, DType.FLOAT32, -1, 1, 9, 4, 3);
             Tensor dy = TestData.random(rng, DType.FLOAT32, -1, 1, 9, 4, 7);
             Tensor x2 = TestData.random(rng, DType.FLOAT32, -1, 1, 9, 4, 3)) {
            double[] out;
            double[] dx;
            try (LmuCell.Result r = cell.forward(x, null, null);
                 LmuCell.Gradients g = cell.backward(r, dy, null, null)) {
                out = r.output().toDoubleArray();
                dx = g.input().toDoubleArray();
            }
            try (LmuCell.Result r = cell.forward(x2, null, null);
                 LmuCell.Gradients g = cell.backward(r, dy, null, null)) {
                cell.forward(x, null, null, r);
                cell.backward(r, dy, null, null, g);
                assertArrayEquals(out, r.output().toDoubleArray());
                assertArrayEquals(dx, g.input().toDoubleArray());
            }
        }
    }

    @Test
    void badInputIsRejectedWithAMessage() {
        try (LmuCell cell = LmuCell.builder().backend(Backends.byName("java")).inputSize(3).hiddenSize(4).order(5)
                .theta(6).build();
             LmuCell other = LmuCell.builder().backend(Backends.byName("java")).inputSize(3).hiddenSize(4).order(5)
                     .theta(6).build();
             Tensor x = Tensor.host(DType.FLOAT32, 6, 2, 3);
             Tensor wrongWidth = Tensor.host(DType.FLOAT32, 6, 2, 4);
             Tensor rank2 = Tensor.host(DType.FLOAT32, 6, 3);
             Tensor doubles = Tensor.host(DType.FLOAT64, 6, 2, 3);
             Tensor h0 = Tensor.host(DType.FLOAT32, 3, 4);
             Tensor m0 = Tensor.host(DType.FLOAT32, 2, 4);
             Tensor x7 = Tensor.host(DType.FLOAT32, 7, 2, 3);
             Tensor dy5 = Tensor.host(DType.FLOAT32, 6, 2, 5)) {
            message(() -> cell.forward(wrongWidth, null, null), "x must be [T, B, 3]");
            message(() -> cell.forward(rank2, null, null), "rank 3");
            message(() -> cell.forward(doubles, null, null), "FLOAT64");
            message(() -> cell.forward(null, null, null), "x");
            message(() -> cell.forward(x, h0, null), "h0 must be [2, 4]");
            message(() -> cell.forward(x, null, m0), "m0 must be [2, 5]");
            try (LmuCell.Result r = cell.forward(x, null, null); LmuCell.Result o = other.forward(x, null, null)) {
                message(() -> cell.backward(r, null, null, null), "all null");
                message(() -> cell.backward(r, dy5, null, null), "dOutput must be [6, 2, 4]");
                message(() -> cell.backward(o, null, h0, null), "open result of this cell");
                message(() -> cell.forward(x7, null, null, r), "holds 6 steps");
            }
            LmuCell.Result closed = cell.forward(x, null, null);
            closed.close();
            message(() -> cell.backward(closed, x, null, null), "open result");
        }
        message(() -> LmuCell.builder().inputSize(0).hiddenSize(4).build(), "inputSize");
        message(() -> LmuCell.builder().inputSize(1).hiddenSize(4).memoryD(0).build(), "memoryD");
        message(() -> LmuCell.builder().inputSize(1).hiddenSize(4).theta(-1).build(), "theta");
        message(() -> LmuCell.builder().inputSize(1).hiddenSize(4).order(0).build(), "order");
    }

    private static void message(org.junit.jupiter.api.function.Executable call, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' should mention '" + part + "'");
    }
}

package org.lrn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lrn4j.TestData;
import org.lrn4j.backend.Backend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * For each comparison cell, a padded batch gives each sequence what it gets alone at its own length (the
 * reverse direction starts at the sequence's last token; stacked layers see the same inputs; final states
 * are those after the last token), and the outputs at padding are what each cell documents: the carried
 * h (forward) and the initial state (reverse) for LSTM, GRU and ATR, zeros for the SRU.
 */
class CellVariableLengthTest {
    private static final int T = 9;
    private static final int D = 5;
    private static final int H = 6;
    private static final int[] LENGTHS = {9, 4, 1, 7};

    @ParameterizedTest
    @ValueSource(strings = {"java", "native", "cuda"})
    void paddedBatchMatchesEachSequenceAlone(String name) {
        Backend backend = TestData.backendOrSkip(name);
        for (CellKind kind : CellKind.values()) {
            check(backend, kind);
        }
    }

    private static void check(Backend backend, CellKind kind) {
        int batch = LENGTHS.length;
        int out = 2 * H;
        SplittableRandom rng = new SplittableRandom(12);
        try (CellLayer layer = kind.build(backend, D, H, 2, true, 4);
             Tensor xHost = TestData.random(rng, DType.FLOAT32, -1, 1, T, batch, D);
             Tensor x = backend.copyOf(xHost);
             Recurrent.Result padded = layer.forward(x, LENGTHS, null)) {
            int s = layer.stateSize();
            float[] all = padded.output().toFloatArray();
            float[] states = padded.finalState().toFloatArray();
            float[] xs = xHost.toFloatArray();
            boolean sru = kind == CellKind.SRU || kind == CellKind.SRU_TANH;
            for (int b = 0; b < batch; b++) {
                int len = LENGTHS[b];
                float[] alone = new float[len * D];
                for (int t = 0; t < len; t++) {
                    System.arraycopy(xs, (t * batch + b) * D, alone, t * D, D);
                }
                String what = kind + " on " + backend.name() + ", sequence " + b;
                try (Tensor ah = Tensor.of(alone, len, 1, D);
                     Tensor a = backend.copyOf(ah);
                     Recurrent.Result single = layer.forward(a, null, null)) {
                    float[] o = single.output().toFloatArray();
                    float[] st = single.finalState().toFloatArray();
                    for (int t = 0; t < len; t++) {
                        float[] want = Arrays.copyOfRange(o, t * out, (t + 1) * out);
                        float[] got = Arrays.copyOfRange(all, (t * batch + b) * out, (t * batch + b + 1) * out);
                        assertArrayEquals(want, got, 1e-6f, what + " step " + t);
                    }
                    for (int k = 0; k < 4; k++) {
                        float[] want = Arrays.copyOfRange(st, k * s, (k + 1) * s);
                        float[] got = Arrays.copyOfRange(states, (k * batch + b) * s, (k * batch + b + 1) * s);
                        assertArrayEquals(want, got, 1e-6f, what + " final state " + k);
                    }
                }
                for (int t = len; t < T; t++) {
                    for (int j = 0; j < H; j++) {
                        float forward = all[(t * batch + b) * out + j];
                        float reverse = all[(t * batch + b) * out + H + j];
                        // forward direction: the h carried from the last token; SRU: 0
                        assertEquals(sru ? 0f : all[((len - 1) * batch + b) * out + j], forward, 0f, what + " padding");
                        // reverse direction: the initial state (zeros), its scan has not started; SRU: 0
                        assertEquals(0f, reverse, 0f, what + " padding, reverse");
                    }
                }
            }
        }
    }
}

package org.lrn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lrn4j.TestData;
import org.lrn4j.backend.Backend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * A padded batch gives each sequence exactly what it gets alone at its own length: the reverse direction
 * starts at the sequence's last token (not at the padding), stacked layers see the same inputs, and the
 * final states are those after the last token. Forward outputs at the padding repeat the carried state.
 * LRN and oLRN.
 */
class LrnVariableLengthTest {
    private static final int T = 9;
    private static final int D = 5;
    private static final int H = 6;
    private static final int[] LENGTHS = {9, 4, 1, 7};

    @ParameterizedTest(name = "{0}, output gate {1}")
    @CsvSource({"java, false", "native, false", "cuda, false", "java, true", "native, true", "cuda, true"})
    void paddedBatchMatchesEachSequenceAlone(String name, boolean outputGate) {
        Backend backend = TestData.backendOrSkip(name);
        int batch = LENGTHS.length;
        int out = 2 * H;
        SplittableRandom rng = new SplittableRandom(12);
        try (Lrn lrn = Lrn.builder().backend(backend).inputSize(D).hiddenSize(H).layers(2).bidirectional(true)
                .layerNorm(true).outputGate(outputGate).seed(4).build();
             Tensor xHost = TestData.random(rng, DType.FLOAT32, -1, 1, T, batch, D);
             Tensor x = backend.copyOf(xHost);
             Lrn.Result padded = lrn.forward(x, LENGTHS, null)) {
            float[] all = padded.output().toFloatArray();
            float[] states = padded.finalState().toFloatArray();
            float[] xs = xHost.toFloatArray();
            for (int b = 0; b < batch; b++) {
                int len = LENGTHS[b];
                float[] alone = new float[len * D];
                for (int t = 0; t < len; t++) {
                    System.arraycopy(xs, (t * batch + b) * D, alone, t * D, D);
                }
                try (Tensor ah = Tensor.of(alone, len, 1, D);
                     Tensor a = backend.copyOf(ah);
                     Lrn.Result single = lrn.forward(a, null, null)) {
                    float[] o = single.output().toFloatArray();
                    float[] s = single.finalState().toFloatArray();
                    for (int t = 0; t < len; t++) {
                        float[] want = java.util.Arrays.copyOfRange(o, t * out, (t + 1) * out);
                        float[] got = java.util.Arrays.copyOfRange(all, (t * batch + b) * out, (t * batch + b + 1) * out);
                        assertArrayEquals(want, got, 1e-6f, name + " sequence " + b + " step " + t);
                    }
                    for (int k = 0; k < 4; k++) {
                        float[] want = java.util.Arrays.copyOfRange(s, k * H, (k + 1) * H);
                        float[] got = java.util.Arrays.copyOfRange(states, (k * batch + b) * H, (k * batch + b + 1) * H);
                        assertArrayEquals(want, got, 1e-6f, name + " final state " + k + " of sequence " + b);
                    }
                }
                // Forward direction at the padding: the state after the last token, carried.
                for (int t = len; t < T; t++) {
                    for (int j = 0; j < H; j++) {
                        assertEquals(all[((len - 1) * batch + b) * out + j], all[(t * batch + b) * out + j], 0f);
                        // Reverse direction at the padding: the initial state (zeros), the scan has not started.
                        assertEquals(0f, all[(t * batch + b) * out + H + j], 0f);
                    }
                }
            }
        }
    }
}

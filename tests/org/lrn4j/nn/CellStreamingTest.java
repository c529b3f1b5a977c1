package org.lrn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lrn4j.TestData;
import org.lrn4j.backend.Backend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * Each comparison cell fed a sequence in chunks of 1, 3 and 17 steps, the state carried from chunk to
 * chunk (LSTM: h and c), gives exactly the result of feeding it whole.
 */
class CellStreamingTest {
    private static final int T = 40;
    private static final int B = 3;
    private static final int D = 7;
    private static final int H = 9;

    @ParameterizedTest
    @ValueSource(strings = {"java", "native", "cuda"})
    void chunksGiveTheWholeSequenceResult(String name) {
        Backend backend = TestData.backendOrSkip(name);
        for (CellKind kind : CellKind.values()) {
            check(backend, kind);
        }
    }

    private static void check(Backend backend, CellKind kind) {
        SplittableRandom rng = new SplittableRandom(3);
        try (CellLayer layer = kind.build(backend, D, H, 2, false, 5);
             Tensor xHost = TestData.random(rng, DType.FLOAT32, -1, 1, T, B, D);
             Tensor h0Host = TestData.random(rng, DType.FLOAT32, -1, 1, 2, B, layer.stateSize());
             Tensor x = backend.copyOf(xHost);
             Tensor h0 = backend.copyOf(h0Host)) {
            float[] wholeOut;
            float[] wholeState;
            try (Recurrent.Result r = layer.forward(x, null, h0);
                 Tensor out = r.output().copyToHost();
                 Tensor st = r.finalState().copyToHost()) {
                wholeOut = out.toFloatArray();
                wholeState = st.toFloatArray();
            }
            float[] x32 = xHost.toFloatArray();
            for (int chunk : new int[] {1, 3, 17}) {
                float[] streamed = new float[wholeOut.length];
                Tensor state = backend.copyOf(h0Host);
                for (int t0 = 0; t0 < T; t0 += chunk) {
                    int steps = Math.min(chunk, T - t0);
                    float[] part = new float[steps * B * D];
                    System.arraycopy(x32, t0 * B * D, part, 0, part.length);
                    try (Tensor ph = Tensor.of(part, steps, B, D);
                         Tensor pd = backend.copyOf(ph);
                         Recurrent.Result r = layer.forward(pd, null, state);
                         Tensor out = r.output().copyToHost()) {
                        float[] o = out.toFloatArray();
                        System.arraycopy(o, 0, streamed, t0 * B * H, o.length);
                        state.close();
                        state = backend.copyOf(r.finalState());
                    }
                }
                String what = kind + " in chunks of " + chunk + " on " + backend.name();
                try (Tensor last = state.copyToHost()) {
                    assertArrayEquals(wholeOut, streamed, "outputs, " + what);
                    assertArrayEquals(wholeState, last.toFloatArray(), "final state, " + what);
                } finally {
                    state.close();
                }
            }
        }
    }
}

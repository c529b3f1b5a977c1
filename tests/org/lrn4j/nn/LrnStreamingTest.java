package org.lrn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lrn4j.TestData;
import org.lrn4j.backend.Backend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/** Feeding a sequence in chunks of 1, 3 and 17 steps, state carried, equals feeding it whole: exactly (LRN and oLRN). */
class LrnStreamingTest {
    private static final int T = 40;
    private static final int B = 3;
    private static final int D = 7;
    private static final int H = 9;

    @ParameterizedTest(name = "{0}, output gate {1}")
    @CsvSource({"java, false", "native, false", "cuda, false", "java, true", "native, true", "cuda, true"})
    void chunksGiveTheWholeSequenceResult(String name, boolean outputGate) {
        Backend backend = TestData.backendOrSkip(name);
        SplittableRandom rng = new SplittableRandom(3);
        try (Lrn lrn = Lrn.builder().backend(backend).inputSize(D).hiddenSize(H).layers(2).layerNorm(true)
                .outputGate(outputGate).seed(5).build();
             Tensor xHost = TestData.random(rng, DType.FLOAT32, -1, 1, T, B, D);
             Tensor h0Host = TestData.random(rng, DType.FLOAT32, -1, 1, 2, B, H);
             Tensor x = backend.copyOf(xHost);
             Tensor h0 = backend.copyOf(h0Host)) {
            float[] wholeOut;
            float[] wholeState;
            try (Lrn.Result r = lrn.forward(x, null, h0);
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
                         Lrn.Result r = lrn.forward(pd, null, state);
                         Tensor out = r.output().copyToHost()) {
                        float[] o = out.toFloatArray();
                        System.arraycopy(o, 0, streamed, t0 * B * H, o.length);
                        state.close();
                        state = backend.copyOf(r.finalState());
                    }
                }
                try (Tensor last = state.copyToHost()) {
                    assertArrayEquals(wholeOut, streamed, "outputs, chunks of " + chunk + " on " + name);
                    assertArrayEquals(wholeState, last.toFloatArray(), "final state, chunks of " + chunk + " on " + name);
                } finally {
                    state.close();
                }
            }
        }
    }
}

package org.lrn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lrn4j.TestData;
import org.lrn4j.backend.Backend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * Reused activation and scratch storage holds stale values from the previous batch; results must not
 * depend on them, and handles of a closed result must not reach the reused memory.
 */
class LrnWorkspaceTest {
    private static final int[] LENGTHS = {6, 2, 5};

    private static float[][] step(Lrn lrn, Backend backend, Tensor xHost, Tensor dyHost) {
        try (Tensor x = backend.copyOf(xHost);
             Tensor dy = backend.copyOf(dyHost);
             Lrn.Result r = lrn.forward(x, LENGTHS, null);
             Lrn.Gradients g = lrn.backward(r, dy, r.finalState())) {
            return new float[][] {r.output().toFloatArray(), r.finalState().toFloatArray(),
                g.input().toFloatArray(), g.initialState().toFloatArray()};
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"java", "native", "cuda"})
    void reusedStorageNeverLeaksIntoResults(String name) {
        Backend backend = TestData.backendOrSkip(name);
        SplittableRandom rng = new SplittableRandom(31);
        try (Tensor x1 = TestData.random(rng, DType.FLOAT32, -3, 3, 6, 3, 7);
             Tensor dy1 = TestData.random(rng, DType.FLOAT32, -3, 3, 6, 3, 10);
             Tensor x2 = TestData.random(rng, DType.FLOAT32, -1, 1, 6, 3, 7);
             Tensor dy2 = TestData.random(rng, DType.FLOAT32, -1, 1, 6, 3, 10)) {
            float[][] fresh;
            try (Lrn lrn = build(backend)) {
                fresh = step(lrn, backend, x2, dy2);
            }
            try (Lrn lrn = build(backend)) {
                step(lrn, backend, x1, dy1);
                float[][] reused = step(lrn, backend, x2, dy2);
                for (int i = 0; i < fresh.length; i++) {
                    assertArrayEquals(fresh[i], reused[i], name + " result " + i + " after reuse");
                }
            }
        }
    }

    private static Lrn build(Backend backend) {
        return Lrn.builder().backend(backend).inputSize(7).hiddenSize(5).layers(2).bidirectional(true)
                .layerNorm(true).seed(2).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"java", "native"})
    void handlesOfAClosedResultAreClosed(String name) {
        Backend backend = TestData.backendOrSkip(name);
        try (Lrn lrn = build(backend);
             Tensor x = backend.allocate(DType.FLOAT32, 4, 3, 7)) {
            Lrn.Result r = lrn.forward(x, null, null);
            Tensor out = r.output();
            r.close();
            assertThrows(IllegalStateException.class, out::toFloatArray);
            assertThrows(IllegalStateException.class, r::output);
            try (Lrn.Result again = lrn.forward(x, null, null)) {
                assertThrows(IllegalStateException.class, () -> out.get(0));
                again.output().toFloatArray();
            }
        }
    }
}

package org.lrn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lrn4j.TestData;
import org.lrn4j.backend.Backend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * Results and gradients of each comparison cell passed back for reuse give exactly what fresh ones give,
 * whatever the previous call left in them (other data, lengths, final-state gradient); reuse is checked
 * before any kernel runs.
 */
class CellWorkspaceTest {
    private static final int[] LENGTHS = {6, 2, 5};

    private static CellLayer build(CellKind kind, Backend backend) {
        return kind.build(backend, 7, 5, 2, true, 2);
    }

    private static float[][] snapshot(CellLayer layer, Recurrent.Result r, Recurrent.Gradients g) {
        float[][] out = new float[4 + layer.parameters().size()][];
        out[0] = r.output().toFloatArray();
        out[1] = r.finalState().toFloatArray();
        out[2] = g.input().toFloatArray();
        out[3] = g.initialState().toFloatArray();
        for (int i = 0; i < layer.parameters().size(); i++) {
            out[4 + i] = layer.parameters().get(i).grad().toFloatArray();
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"java", "native", "cuda"})
    void reusedResultAndGradientsEqualFreshOnes(String name) {
        Backend backend = TestData.backendOrSkip(name);
        for (CellKind kind : CellKind.values()) {
            SplittableRandom rng = new SplittableRandom(37);
            try (Tensor x1 = backend.copyOf(TestData.random(rng, DType.FLOAT32, -3, 3, 6, 3, 7));
                 Tensor dy1 = backend.copyOf(TestData.random(rng, DType.FLOAT32, -3, 3, 6, 3, 10));
                 Tensor x2 = backend.copyOf(TestData.random(rng, DType.FLOAT32, -1, 1, 6, 3, 7));
                 Tensor dy2 = backend.copyOf(TestData.random(rng, DType.FLOAT32, -1, 1, 6, 3, 10))) {
                float[][] fresh;
                try (CellLayer layer = build(kind, backend);
                     Recurrent.Result r = layer.forward(x2, null, null);
                     Recurrent.Gradients g = layer.backward(r, dy2, null)) {
                    fresh = snapshot(layer, r, g);
                }
                try (CellLayer layer = build(kind, backend);
                     Recurrent.Result r = layer.forward(x1, LENGTHS, null);
                     Recurrent.Gradients g = layer.backward(r, dy1, r.finalState())) {
                    layer.zeroGrad();
                    // the second call drops the lengths and the final-state gradient of the first
                    assertSame(r, layer.forward(x2, null, null, r));
                    assertSame(g, layer.backward(r, dy2, null, g));
                    float[][] reused = snapshot(layer, r, g);
                    for (int i = 0; i < fresh.length; i++) {
                        assertArrayEquals(fresh[i], reused[i], name + " " + kind + " result " + i + " of a reused call");
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"java", "native"})
    void reuseIsCheckedBeforeAnyKernelRuns(String name) {
        Backend backend = TestData.backendOrSkip(name);
        for (CellKind kind : CellKind.values()) {
            try (CellLayer layer = build(kind, backend);
                 CellLayer other = build(kind, backend);
                 Tensor x = backend.allocate(DType.FLOAT32, 4, 3, 7);
                 Tensor longer = backend.allocate(DType.FLOAT32, 5, 3, 7);
                 Tensor dy = backend.allocate(DType.FLOAT32, 4, 3, 10);
                 Recurrent.Result r = layer.forward(x, null, null);
                 Recurrent.Result foreign = other.forward(x, null, null);
                 Recurrent.Gradients foreignGrads = other.backward(foreign, dy, null)) {
                assertThrows(IllegalArgumentException.class, () -> layer.forward(longer, null, null, r));
                assertThrows(IllegalArgumentException.class, () -> layer.forward(x, null, null, foreign));
                assertThrows(IllegalArgumentException.class, () -> layer.backward(r, dy, null, foreignGrads));
                assertThrows(IllegalArgumentException.class, () -> layer.backward(foreign, dy, null));
                // its own final state as the initial state of the call that overwrites it
                assertThrows(IllegalArgumentException.class, () -> layer.forward(x, null, r.finalState(), r));
                Recurrent.Result closed = layer.forward(x, null, null);
                closed.close();
                assertThrows(IllegalStateException.class, () -> layer.forward(x, null, null, closed));
                assertThrows(IllegalStateException.class, closed::output);
                Recurrent.Gradients closedGrads = layer.backward(r, dy, null);
                closedGrads.close();
                assertThrows(IllegalStateException.class, () -> layer.backward(r, dy, null, closedGrads));
                r.output().toFloatArray();
            }
        }
    }
}

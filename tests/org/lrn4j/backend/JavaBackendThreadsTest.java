package org.lrn4j.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.lrn4j.TestData;
import org.lrn4j.nn.Lrn;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/** The pure-Java kernels give bit-identical results with 1, 2 and 3 threads. */
class JavaBackendThreadsTest {
    private static final DType F = DType.FLOAT32;

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        JavaBackend java = JavaBackend.INSTANCE;
        int saved = java.threads();
        try {
            java.setThreads(1);
            List<double[]> want = run(java);
            for (int threads : new int[] {2, 3}) {
                java.setThreads(threads);
                List<double[]> got = run(java);
                for (int i = 0; i < want.size(); i++) {
                    assertArrayEquals(want.get(i), got.get(i), 0.0, "output " + i + " with " + threads + " threads");
                }
            }
        } finally {
            java.setThreads(saved);
        }
    }

    /**
     * A GEMM of many tiles with both transposes, and a whole layer (layer norm, two layers, both
     * directions, ragged, hidden size spanning several scan blocks) forward and backward.
     */
    private static List<double[]> run(Backend backend) {
        List<double[]> out = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(6);
        int m = 300;
        int n = 517;
        int k = 203;
        try (Tensor a = TestData.random(rng, F, -1, 1, k, m);
             Tensor b = TestData.random(rng, F, -1, 1, n, k);
             Tensor bias = TestData.random(rng, F, -1, 1, n);
             Tensor c = TestData.random(rng, F, -1, 1, m, n)) {
            backend.gemm(true, true, m, n, k, a, 0, m, b, 0, k, bias, true, c, 0, n);
            out.add(c.toDoubleArray());
        }
        int steps = 9;
        int batch = 3;
        int input = 37;
        int hidden = 300;
        try (Lrn lrn = Lrn.builder().backend(backend).inputSize(input).hiddenSize(hidden).layers(2)
                .bidirectional(true).layerNorm(true).seed(4).build();
             Tensor x = TestData.random(rng, F, -1, 1, steps, batch, input);
             Tensor dy = TestData.random(rng, F, -1, 1, steps, batch, 2 * hidden);
             Lrn.Result r = lrn.forward(x, new int[] {9, 4, 7}, null);
             Lrn.Gradients g = lrn.backward(r, dy, null)) {
            out.add(r.output().toDoubleArray());
            out.add(g.input().toDoubleArray());
            for (var p : lrn.parameters()) {
                out.add(p.grad().toDoubleArray());
            }
        }
        return out;
    }
}

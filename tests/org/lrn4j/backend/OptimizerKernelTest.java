package org.lrn4j.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.lrn4j.TestData.assertClose;
import static org.lrn4j.TestData.random;

import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.lrn4j.TestData;
import org.lrn4j.TestData.On;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * Adam and SGD steps and the sum of squares on every backend against the double-precision reference
 * (sizes around the vector width and the thread chunk); the float backends agree with each other bit for
 * bit; bad hyper-parameters and aliased tensors are rejected.
 */
class OptimizerKernelTest {
    private static final Backend REF = ReferenceBackend.INSTANCE;
    private static final int[] SIZES = {1, 7, 8, 9, 1000, 16385, 40000};

    static java.util.List<String> backends() {
        return TestData.acceleratedBackends();
    }

    /** Runs three Adam steps then two SGD steps on `b`; returns p, m, v, u. */
    private static double[][] steps(Backend b, Tensor p0, Tensor g0, Tensor m0, Tensor v0, Tensor u0) {
        try (On on = new On(b)) {
            Tensor p = on.put(p0);
            Tensor g = on.put(g0);
            Tensor m = on.put(m0);
            Tensor v = on.put(v0);
            Tensor u = on.put(u0);
            for (int t = 1; t <= 3; t++) {
                b.adamStep(p, g, m, v, 1e-2, 0.9, 0.999, 1e-8, t == 2 ? 0.01 : 0.0, t == 3 ? 0.5 : 1.0, t);
            }
            b.sgdStep(p, g, u, 0.1, 0.9, 1e-4, 1.0, false);
            b.sgdStep(p, g, u, 0.1, 0.9, 0.0, 0.7, true);
            return new double[][] {on.get(p), on.get(m), on.get(v), on.get(u)};
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void stepsAndNormsMatchTheReference(String name) {
        Backend backend = TestData.backendOrSkip(name);
        SplittableRandom rng = new SplittableRandom(12);
        for (int n : SIZES) {
            try (Tensor p = random(rng, DType.FLOAT32, -1, 1, n);
                 Tensor g = random(rng, DType.FLOAT32, -1, 1, n);
                 Tensor m = random(rng, DType.FLOAT32, -0.1, 0.1, n);
                 Tensor v = random(rng, DType.FLOAT32, 0, 0.01, n);
                 Tensor u = random(rng, DType.FLOAT32, -0.1, 0.1, n)) {
                double[][] want = steps(REF, p, g, m, v, u);
                double[][] got = steps(backend, p, g, m, v, u);
                String[] what = {"p", "m", "v", "u"};
                for (int k = 0; k < 4; k++) {
                    assertClose(name + " n=" + n + " " + what[k], want[k], got[k], 1e-6, 1e-5);
                }
                if (!name.equals("java")) {
                    // Java and the native/CUDA kernels do the same float operations in the same order.
                    double[][] java = steps(TestData.backendOrSkip("java"), p, g, m, v, u);
                    for (int k = 0; k < 4; k++) {
                        assertArrayEquals(java[k], got[k], name + " n=" + n + " " + what[k] + " equals java bitwise");
                    }
                }
                double sum = REF.sumOfSquares(g);
                try (On on = new On(backend)) {
                    assertEquals(sum, backend.sumOfSquares(on.put(g)), 1e-12 * sum, name + " sum of squares n=" + n);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void badInputIsRejected(String name) {
        Backend backend = TestData.backendOrSkip(name);
        try (On on = new On(backend)) {
            Tensor p = on.put(Tensor.host(DType.FLOAT32, 4));
            Tensor g = on.put(Tensor.host(DType.FLOAT32, 4));
            Tensor m = on.put(Tensor.host(DType.FLOAT32, 4));
            Tensor v = on.put(Tensor.host(DType.FLOAT32, 4));
            Tensor small = on.put(Tensor.host(DType.FLOAT32, 3));
            assertThrows(IllegalArgumentException.class, () -> backend.adamStep(p, g, m, m, 1e-3, 0.9, 0.999, 1e-8, 0, 1, 1));
            assertThrows(IllegalArgumentException.class, () -> backend.adamStep(p, small, m, v, 1e-3, 0.9, 0.999, 1e-8, 0, 1, 1));
            assertThrows(IllegalArgumentException.class, () -> backend.adamStep(p, g, m, v, 1e-3, 1.0, 0.999, 1e-8, 0, 1, 1));
            assertThrows(IllegalArgumentException.class, () -> backend.adamStep(p, g, m, v, Double.NaN, 0.9, 0.999, 1e-8, 0, 1, 1));
            assertThrows(IllegalArgumentException.class, () -> backend.adamStep(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, 0, 1, 0));
            assertThrows(IllegalArgumentException.class, () -> backend.adamStep(p, g, m, v, 1e-3, 0.9, 0.999, 0, 0, 1, 1));
            assertThrows(IllegalArgumentException.class, () -> backend.sgdStep(p, p, m, 0.1, 0.9, 0, 1, false));
            assertThrows(IllegalArgumentException.class, () -> backend.sgdStep(p, g, m, -0.1, 0.9, 0, 1, false));
            assertThrows(IllegalArgumentException.class, () -> backend.sgdStep(null, g, m, 0.1, 0.9, 0, 1, false));
            assertThrows(IllegalArgumentException.class, () -> backend.sumOfSquares(null));
        }
    }
}

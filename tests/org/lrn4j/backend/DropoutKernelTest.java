package org.lrn4j.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lrn4j.TestData.random;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.lrn4j.TestData;
import org.lrn4j.TestData.On;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * The dropout kernel on every backend: the same mask everywhere (a function of seed and index), kept
 * elements scaled by 1/(1 − p) (float backends bit-identical to each other, within float rounding of the
 * double reference), in place equal to out of place, the kept fraction near 1 − p, and bad input rejected.
 */
class DropoutKernelTest {
    private static final Backend REF = ReferenceBackend.INSTANCE;
    private static final int[] SIZES = {1, 7, 8, 9, 1000, 16385, 40001};
    private static final double[] RATES = {0.0, 0.1, 0.5, 0.9};

    static java.util.List<String> backends() {
        return TestData.acceleratedBackends();
    }

    private static double[] run(Backend b, Tensor x0, double p, long seed, boolean inPlace) {
        try (On on = new On(b)) {
            Tensor x = on.put(x0);
            if (inPlace) {
                b.dropout(x, x, p, seed);
                return on.get(x);
            }
            Tensor y = on.put(x0);
            b.dropout(x, y, p, seed);
            return on.get(y);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void matchesTheReferenceMask(String name) {
        Backend backend = TestData.backendOrSkip(name);
        SplittableRandom rng = new SplittableRandom(5);
        for (int n : SIZES) {
            try (Tensor x = random(rng, DType.FLOAT32, -2, 2, n)) {
                for (double p : RATES) {
                    long seed = rng.nextLong();
                    double[] want = run(REF, x, p, seed, false);
                    double[] got = run(backend, x, p, seed, false);
                    double[] xs = x.toDoubleArray();
                    for (int i = 0; i < n; i++) {
                        assertEquals(want[i] == 0 && xs[i] != 0, got[i] == 0 && xs[i] != 0,
                                name + " n=" + n + " p=" + p + " mask at " + i);
                        assertEquals(want[i], got[i], 1e-6 * Math.abs(want[i]), name + " value at " + i);
                    }
                    assertArrayEquals(got, run(backend, x, p, seed, true), name + " in place equals out of place");
                    if (!name.equals("java")) {
                        assertArrayEquals(run(TestData.backendOrSkip("java"), x, p, seed, false), got,
                                name + " n=" + n + " p=" + p + " equals java bitwise");
                    }
                }
            }
        }
    }

    @Test
    void keepsAboutOneMinusPAndSeedsDiffer() {
        int n = 200_000;
        for (double p : RATES) {
            int threshold = Backend.dropoutThreshold(p);
            long kept = 0;
            long agree = 0;
            for (int i = 0; i < n; i++) {
                boolean k = Backend.dropoutKeeps(17, i, threshold);
                kept += k ? 1 : 0;
                agree += k == Backend.dropoutKeeps(18, i, threshold) ? 1 : 0;
            }
            double sd = Math.sqrt(n * p * (1 - p));
            assertTrue(Math.abs(kept - n * (1 - p)) <= 5 * sd + 1e-9, "p=" + p + " kept " + kept + " of " + n);
            if (p == 0.5) {
                // Two seeds' masks agree on about half the elements (independent), not all of them.
                assertTrue(Math.abs(agree - n / 2.0) <= 5 * Math.sqrt(n / 4.0), "seeds 17 and 18 agree on " + agree);
            }
        }
        assertEquals(0, Backend.dropoutThreshold(0));
        assertEquals(-1, Backend.dropoutThreshold(Math.nextDown(1.0)), "the largest p maps to 2^32 - 1");
    }

    @Test
    void maskBitsFollowTheDocumentedFormula() {
        // bits(seed, j) for j below 2^32 and above: the halves of j and of the seed enter separately.
        assertNotEquals(Backend.dropoutBits(1, 5), Backend.dropoutBits(1, 5L + (1L << 32)));
        assertNotEquals(Backend.dropoutBits(1, 5), Backend.dropoutBits(1L + (1L << 32), 5));
        assertEquals(Backend.dropoutBits(99, 12345), Backend.dropoutBits(99, 12345));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void rejectsBadInput(String name) {
        Backend b = TestData.backendOrSkip(name);
        try (Tensor x = b.allocate(DType.FLOAT32, 10);
             Tensor y = b.allocate(DType.FLOAT32, 11);
             Tensor ids = b.allocate(DType.INT32, 10)) {
            assertThrows(IllegalArgumentException.class, () -> b.dropout(x, y, 0.5, 1), "size mismatch");
            assertThrows(IllegalArgumentException.class, () -> b.dropout(ids, ids, 0.5, 1), "int tensor");
            assertThrows(IllegalArgumentException.class, () -> b.dropout(x, x, 1.0, 1), "p = 1");
            assertThrows(IllegalArgumentException.class, () -> b.dropout(x, x, -0.1, 1), "p < 0");
            assertThrows(IllegalArgumentException.class, () -> b.dropout(x, x, Double.NaN, 1), "p NaN");
            assertThrows(IllegalArgumentException.class, () -> b.dropout(x, null, 0.5, 1), "null y");
        }
        Tensor closed = b.allocate(DType.FLOAT32, 10);
        closed.close();
        assertThrows(IllegalStateException.class, () -> b.dropout(closed, closed, 0.5, 1), "closed");
    }
}

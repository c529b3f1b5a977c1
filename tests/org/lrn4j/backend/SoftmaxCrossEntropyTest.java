package org.lrn4j.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lrn4j.TestData.assertClose;
import static org.lrn4j.TestData.poisoned;
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
 * The fused softmax cross-entropy: every backend against the double-precision reference on odd sizes,
 * ignored rows, wide and extreme logits, strides, in place and loss-only; the reference against finite
 * differences of its own loss in double; bad input.
 */
class SoftmaxCrossEntropyTest {
    private static final Backend REF = ReferenceBackend.INSTANCE;
    private static final int[] ROWS = {1, 3, 17};
    private static final int[] CLASSES = {1, 2, 7, 33, 1000};

    static java.util.List<String> backends() {
        return TestData.acceleratedBackends();
    }

    private static Tensor targets(SplittableRandom rng, int m, int n) {
        int[] t = new int[m];
        for (int i = 0; i < m; i++) {
            t[i] = i % 5 == 3 ? -1 : rng.nextInt(n);  // every fifth row from the fourth is ignored
        }
        return Tensor.ofInts(t);
    }

    /** Runs the kernel on `backend` and returns {loss, the whole dLogits buffer (or null)}. */
    private static double[][] run(Backend backend, Tensor logits, int ld, Tensor targets, double scale,
                                  boolean gradient, boolean inPlace, int m, int n) {
        try (On on = new On(backend)) {
            Tensor x = on.put(logits);
            Tensor t = on.put(targets);
            Tensor loss = on.put(poisoned(DType.FLOAT32, m));
            Tensor d = null;
            if (gradient) {
                d = inPlace ? x : on.put(poisoned(DType.FLOAT32, logits.numel()));
            }
            backend.softmaxCrossEntropy(m, n, x, 1, ld, t, scale, loss, d, 1, ld);
            return new double[][] {on.get(loss), d == null ? null : on.get(d)};
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void matchesTheReference(String name) {
        Backend backend = TestData.backendOrSkip(name);
        SplittableRandom rng = new SplittableRandom(17);
        for (int m : ROWS) {
            for (int n : CLASSES) {
                for (double spread : new double[] {3, 80}) {
                    int ld = n + 3;  // stride padding, and the view starts at offset 1
                    try (Tensor logits = random(rng, DType.FLOAT32, -spread, spread, 1 + m * ld);
                         Tensor t = targets(rng, m, n)) {
                        for (int mode = 0; mode < 3; mode++) {  // 0: separate gradient, 1: in place, 2: loss only
                            String what = name + " m=" + m + " n=" + n + " spread=" + spread + " mode=" + mode;
                            double[][] want = run(REF, logits, ld, t, 0.25, mode < 2, mode == 1, m, n);
                            double[][] got = run(backend, logits, ld, t, 0.25, mode < 2, mode == 1, m, n);
                            assertClose(what + " loss", want[0], got[0], 2e-5, 2e-6);
                            if (mode < 2) {
                                double[] init = mode == 1 ? logits.toDoubleArray() : new double[logits.toDoubleArray().length];
                                if (mode == 0) {
                                    java.util.Arrays.fill(init, Double.NaN);
                                }
                                assertClose(what + " dLogits", view(want[1], init, m, n, ld, what),
                                        view(got[1], init, m, n, ld, what), 1e-6, 1e-5);
                            }
                        }
                    }
                }
            }
        }
    }

    /** The m×n view at offset 1 with row stride ld; everything else must still hold its initial value. */
    private static double[] view(double[] buffer, double[] init, int m, int n, int ld, String what) {
        double[] v = new double[m * n];
        for (int i = 0; i < buffer.length; i++) {
            int r = (i - 1) / ld;
            int c = (i - 1) % ld;
            if (i >= 1 && r < m && c < n) {
                v[r * n + c] = buffer[i];
            } else if (Double.doubleToLongBits(buffer[i]) != Double.doubleToLongBits(init[i])) {
                throw new AssertionError(what + ": element " + i + " outside the view was written");
            }
        }
        return v;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void ignoredRowsAndExactSaturation(String name) {
        Backend backend = TestData.backendOrSkip(name);
        // a row far in the tails: two tied maxima and a target 200 below them; loss 200 + log 2
        try (Tensor logits = Tensor.of(new float[] {9, 100, 100, -100, 100, 5, 5}, 7);
             Tensor t = Tensor.ofInts(new int[] {2, -1})) {
            double[][] got = run(backend, logits, 3, t, 1.0, true, false, 2, 3);
            assertEquals(200 + Math.log(2), got[0][0], 1e-4, name + " saturated loss");
            assertEquals(0.0, got[0][1], name + " ignored row loss");
            for (int j = 4; j < 7; j++) {
                assertEquals(0.0, got[1][j], name + " ignored row gradient");
            }
            assertEquals(-1.0, got[1][3], 1e-6, name + " gradient at a target of probability ~0");
            assertEquals(0.5, got[1][2], 1e-6, name + " gradient at one of two tied maxima");
        }
    }

    /** The reference gradient is the derivative of scale·Σ loss (finite differences in double). */
    @Test
    void referenceGradientMatchesFiniteDifferences() {
        SplittableRandom rng = new SplittableRandom(5);
        int m = 4;
        int n = 6;
        double scale = 0.5;
        try (Tensor x = random(rng, DType.FLOAT64, -2, 2, m, n);
             Tensor t = Tensor.ofInts(new int[] {0, 5, -1, 3});
             Tensor loss = Tensor.host(DType.FLOAT64, m);
             Tensor d = Tensor.host(DType.FLOAT64, m, n)) {
            REF.softmaxCrossEntropy(m, n, x, 0, n, t, scale, loss, d, 0, n);
            double[] grad = d.toDoubleArray();
            for (int i = 0; i < m * n; i++) {
                double v = x.get(i);
                double h = 1e-6;
                x.set(i, v + h);
                double up = total(x, t, loss, m, n) * scale;
                x.set(i, v - h);
                double down = total(x, t, loss, m, n) * scale;
                x.set(i, v);
                assertEquals((up - down) / (2 * h), grad[i], 1e-8, "d loss / d x[" + i + "]");
            }
        }
    }

    private static double total(Tensor x, Tensor t, Tensor loss, int m, int n) {
        REF.softmaxCrossEntropy(m, n, x, 0, n, t, 1.0, loss, null, 0, n);
        double s = 0;
        for (double v : loss.toDoubleArray()) {
            s += v;
        }
        return s;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void badInputIsRejectedBeforeAnyKernelRuns(String name) {
        Backend backend = TestData.backendOrSkip(name);
        try (On on = new On(backend)) {
            Tensor x = on.put(Tensor.host(DType.FLOAT32, 2, 4));
            Tensor loss = on.put(Tensor.host(DType.FLOAT32, 2));
            Tensor d = on.put(Tensor.host(DType.FLOAT32, 2, 4));
            Tensor t = on.put(Tensor.ofInts(new int[] {1, 3}));
            Tensor shortTargets = on.put(Tensor.ofInts(new int[] {1}));
            Tensor floatTargets = on.put(Tensor.host(DType.FLOAT32, 2));
            assertThrows(IllegalArgumentException.class,
                    () -> backend.softmaxCrossEntropy(2, 0, x, 0, 4, t, 1, loss, d, 0, 4));
            assertThrows(IllegalArgumentException.class,
                    () -> backend.softmaxCrossEntropy(2, 4, x, 0, 4, shortTargets, 1, loss, d, 0, 4));
            assertThrows(IllegalArgumentException.class,
                    () -> backend.softmaxCrossEntropy(2, 4, x, 0, 4, floatTargets, 1, loss, d, 0, 4));
            assertThrows(IllegalArgumentException.class,
                    () -> backend.softmaxCrossEntropy(2, 4, x, 0, 4, t, Double.NaN, loss, d, 0, 4));
            assertThrows(IllegalArgumentException.class,
                    () -> backend.softmaxCrossEntropy(2, 4, x, 0, 4, t, 1, loss, x, 1, 4));  // overlap, not in place
            assertThrows(IllegalArgumentException.class,
                    () -> backend.softmaxCrossEntropy(2, 5, x, 0, 5, t, 1, loss, d, 0, 5));  // view past the end
            assertThrows(IllegalArgumentException.class,
                    () -> backend.softmaxCrossEntropy(2, 4, x, 0, 4, null, 1, loss, d, 0, 4));
            if (backend.device() == org.lrn4j.tensor.Device.HOST) {
                Tensor outOfRange = on.put(Tensor.ofInts(new int[] {1, 4}));
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> backend.softmaxCrossEntropy(2, 4, x, 0, 4, outOfRange, 1, loss, d, 0, 4));
                assertTrue(e.getMessage().contains("targets[1] = 4"), e.getMessage());
            }
        }
    }
}

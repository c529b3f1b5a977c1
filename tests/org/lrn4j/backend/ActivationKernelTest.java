package org.lrn4j.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lrn4j.TestData.random;

import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.lrn4j.TestData;
import org.lrn4j.TestData.On;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * The elementwise activation kernels on every backend against the double reference, on odd sizes and at
 * offsets inside larger tensors (poisoned around the view, so a write outside it fails): forward within the
 * float tanh/sigmoid approximations (2e-7 absolute; identity and relu exact), backward within float
 * rounding, in place equal to out of place, the reference against its closed forms, and bad input rejected.
 */
class ActivationKernelTest {
    private static final Backend REF = ReferenceBackend.INSTANCE;
    private static final int[] SIZES = {1, 7, 8, 9, 33, 1000, 16385, 40001};
    private static final int PAD = 3;

    static List<String> backends() {
        return TestData.acceleratedBackends();
    }

    /** f over the n elements at PAD of x (PAD + n + PAD elements), written at PAD of a poisoned y. */
    private static double[] forward(Backend b, ActivationKind kind, Tensor x, int n, boolean inPlace) {
        try (On on = new On(b); Tensor poison = TestData.poisoned(x.dtype(), x.numel())) {
            Tensor dx = on.put(x);
            if (inPlace) {
                b.activationForward(kind, n, dx, PAD, dx, PAD);
                return on.get(dx);
            }
            Tensor dy = on.put(poison);
            b.activationForward(kind, n, dx, PAD, dy, PAD);
            return on.get(dy);
        }
    }

    private static double[] backward(Backend b, ActivationKind kind, Tensor y, Tensor g, int n, boolean inPlace) {
        try (On on = new On(b); Tensor poison = TestData.poisoned(y.dtype(), y.numel())) {
            Tensor dy = on.put(y);
            Tensor dg = on.put(g);
            if (inPlace) {
                b.activationBackward(kind, n, dy, PAD, dg, PAD, dg, PAD);
                return on.get(dg);
            }
            Tensor dx = on.put(poison);
            b.activationBackward(kind, n, dy, PAD, dg, PAD, dx, PAD);
            return on.get(dx);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void matchesTheReference(String name) {
        Backend backend = TestData.backendOrSkip(name);
        SplittableRandom rng = new SplittableRandom(17);
        for (int n : SIZES) {
            try (Tensor x = random(rng, DType.FLOAT32, -6, 6, n + 2 * PAD);
                 Tensor g = random(rng, DType.FLOAT32, -1, 1, n + 2 * PAD)) {
                for (ActivationKind kind : ActivationKind.values()) {
                    String what = name + " " + kind + " n=" + n;
                    double[] want = forward(REF, kind, x, n, false);
                    double[] got = forward(backend, kind, x, n, false);
                    boolean exact = kind == ActivationKind.IDENTITY || kind == ActivationKind.RELU;
                    assertView(what + " forward", want, got, n, exact ? 0 : 2e-7);
                    assertArrayEquals(slice(got, n), slice(forward(backend, kind, x, n, true), n),
                            what + " forward in place");
                    // The backward pass from the float forward output: only the float rounding of the
                    // products separates the backends from the double reference.
                    try (Tensor y = Tensor.host(DType.FLOAT32, n + 2 * PAD)) {
                        double[] yv = got.clone();
                        for (int i = 0; i < PAD; i++) {
                            yv[i] = 0.5;
                            yv[n + PAD + i] = 0.5;
                        }
                        y.write(0, yv, 0, yv.length);
                        double[] dwant = backward(REF, kind, y, g, n, false);
                        double[] dgot = backward(backend, kind, y, g, n, false);
                        assertView(what + " backward", dwant, dgot, n, 3e-7);
                        assertArrayEquals(slice(dgot, n), slice(backward(backend, kind, y, g, n, true), n),
                                what + " backward in place");
                    }
                }
            }
        }
    }

    @Test
    void referenceFollowsTheFormulas() {
        double[] xs = {-3, -0.5, 0, 0.25, 2, Double.NaN};
        try (Tensor x = Tensor.host(DType.FLOAT64, xs.length); Tensor y = Tensor.host(DType.FLOAT64, xs.length);
             Tensor g = Tensor.host(DType.FLOAT64, xs.length); Tensor dx = Tensor.host(DType.FLOAT64, xs.length)) {
            x.write(0, xs, 0, xs.length);
            g.fill(2.0);
            for (ActivationKind kind : ActivationKind.values()) {
                REF.activationForward(kind, xs.length, x, 0, y, 0);
                REF.activationBackward(kind, xs.length, y, 0, g, 0, dx, 0);
                for (int i = 0; i < xs.length - 1; i++) {
                    double v = xs[i];
                    double f = switch (kind) {
                        case IDENTITY -> v;
                        case TANH -> Math.tanh(v);
                        case RELU -> Math.max(0, v);
                        case SIGMOID -> 1 / (1 + Math.exp(-v));
                    };
                    double slope = switch (kind) {
                        case IDENTITY -> 1;
                        case TANH -> 1 - Math.tanh(v) * Math.tanh(v);
                        case RELU -> v > 0 ? 1 : 0;
                        case SIGMOID -> f * (1 - f);
                    };
                    assertEquals(f, y.get(i), 1e-15, kind + " f(" + v + ")");
                    assertEquals(2 * slope, dx.get(i), 1e-15, kind + " f'(" + v + ")");
                }
                assertTrue(Double.isNaN(y.get(xs.length - 1)), kind + " keeps NaN");
            }
        }
    }

    @Test
    void badInputIsRejected() {
        Backend b = Backends.byName("java");
        try (Tensor x = Tensor.host(DType.FLOAT32, 10); Tensor y = Tensor.host(DType.FLOAT32, 10);
             Tensor d = Tensor.host(DType.FLOAT64, 10); Tensor ids = Tensor.host(DType.INT32, 10)) {
            assertThrows(NullPointerException.class, () -> b.activationForward(null, 10, x, 0, y, 0));
            assertThrows(IllegalArgumentException.class, () -> b.activationForward(ActivationKind.TANH, 11, x, 0, y, 0));
            assertThrows(IllegalArgumentException.class, () -> b.activationForward(ActivationKind.TANH, 5, x, 6, y, 0));
            assertThrows(IllegalArgumentException.class, () -> b.activationForward(ActivationKind.TANH, -1, x, 0, y, 0));
            assertThrows(IllegalArgumentException.class, () -> b.activationForward(ActivationKind.TANH, 10, x, 0, d, 0));
            assertThrows(IllegalArgumentException.class, () -> b.activationForward(ActivationKind.TANH, 10, ids, 0, y, 0));
            assertThrows(IllegalArgumentException.class, () -> b.activationForward(ActivationKind.TANH, 10, x, 0, null, 0));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> b.activationForward(ActivationKind.TANH, 6, x, 0, x, 2));
            assertTrue(e.getMessage().contains("overlaps"), e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> b.activationBackward(ActivationKind.TANH, 10, x, 0, y, 0, x, 0));
            assertThrows(IllegalArgumentException.class,
                    () -> b.activationBackward(ActivationKind.TANH, 10, x, 0, y, 0, d, 0));
            assertThrows(IllegalArgumentException.class,
                    () -> b.activationBackward(ActivationKind.TANH, 10, x, 1, y, 0, y, 0));
        }
    }

    private static double[] slice(double[] v, int n) {
        double[] r = new double[n];
        System.arraycopy(v, PAD, r, 0, n);
        return r;
    }

    private static void assertView(String what, double[] want, double[] got, int n, double abs) {
        for (int i = 0; i < got.length; i++) {
            boolean inside = i >= PAD && i < PAD + n;
            if (!inside && !Double.isNaN(got[i])) {
                throw new AssertionError(what + ": element " + i + " outside the view was written");
            }
        }
        TestData.assertClose(what, slice(want, n), slice(got, n), abs, 2e-7);
    }
}

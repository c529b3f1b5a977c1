package org.lrn4j.backend;

import static org.lrn4j.TestData.assertClose;
import static org.lrn4j.TestData.assertView;
import static org.lrn4j.TestData.poisoned;
import static org.lrn4j.TestData.random;

import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.lrn4j.TestData;
import org.lrn4j.TestData.On;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * The fast Java, native and CUDA kernels against the double-precision reference on odd sizes and random data, outputs poisoned with
 * NaN before each run: T ∈ {1, 2, 7, 33}, B ∈ {1, 3, 8}, H ∈ {1, 7, 8, 9, 33, 129}, D ∈ {1, 5, 64, 131}; the LRN and oLRN
 * scans with tanh and identity g, forward and reverse, ragged and full lengths, with and without h0.
 */
class KernelParityTest {
    private static final int[] STEPS = {1, 2, 7, 33};
    private static final int[] BATCH = {1, 3, 8};
    private static final int[] HIDDEN = {1, 7, 8, 9, 33, 129};
    private static final int[] INPUT = {1, 5, 64, 131};
    private static final DType F = DType.FLOAT32;

    static java.util.List<String> backends() {
        return TestData.acceleratedBackends();
    }

    private static final Backend REF = ReferenceBackend.INSTANCE;

    /** float32 accumulation over k terms of magnitude <= 1 against a double-precision reference. */
    private static double gemmTol(int k) {
        return 2e-6 * (k + 1);
    }

    private interface GemmForm {
        void run(Backend b, Tensor a, Tensor bm, Tensor bias, Tensor c);
    }

    private static void checkGemm(Backend backend, String what, Tensor a, Tensor b, Tensor bias, Tensor cInit,
                                  int rows, int cols, int ldc, int k, GemmForm form) {
        double[] want;
        double[] got;
        try (On ref = new On(REF); On acc = new On(backend)) {
            Tensor c1 = ref.put(cInit);
            form.run(REF, ref.put(a), ref.put(b), ref.put(bias), c1);
            want = ref.get(c1);
            Tensor c2 = acc.put(cInit);
            form.run(backend, acc.put(a), acc.put(b), acc.put(bias), c2);
            got = acc.get(c2);
        }
        assertView(backend.name() + " " + what, cInit.toDoubleArray(), want, got, rows, cols, ldc, gemmTol(k), 1e-5);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void gateGemmAllForms(String name) {
        Backend backend = TestData.backendOrSkip(name);
        SplittableRandom rng = new SplittableRandom(1);
        int caseNo = 0;
        for (int t : STEPS) {
            for (int bt : BATCH) {
                for (int h : HIDDEN) {
                    for (int d : INPUT) {
                        int m = t * bt;
                        int n = 3 * h;
                        int pad = caseNo++ % 3 == 0 ? 3 : 0;
                        String shape = "T" + t + " B" + bt + " H" + h + " D" + d + " pad" + pad;
                        int ldx = d + pad;
                        int ldw = n + pad;
                        try (Tensor x = random(rng, F, -1, 1, m, ldx);
                             Tensor w = random(rng, F, -1, 1, d, ldw);
                             Tensor bias = random(rng, F, -1, 1, n);
                             Tensor dg = random(rng, F, -1, 1, m, ldw);
                             Tensor g = poisoned(F, m, ldw);
                             Tensor dx = poisoned(F, m, ldx);
                             Tensor dw = random(rng, F, -1, 1, d, ldw)) {
                            // G = X·W + b, the forward gate GEMM
                            checkGemm(backend, "G = XW + b " + shape, x, w, bias, g, m, n, ldw, d, (b, xa, wb, bb, c) ->
                                    b.gemm(false, false, m, n, d, xa, 0, ldx, wb, 0, ldw, bb, false, c, 0, ldw));
                            // dX = dG·Wᵀ
                            checkGemm(backend, "dX = dG W^T " + shape, dg, w, null, dx, m, d, ldx, n, (b, ga, wb, bb, c) ->
                                    b.gemm(false, true, m, d, n, ga, 0, ldw, wb, 0, ldw, null, false, c, 0, ldx));
                            // dW += Xᵀ·dG
                            checkGemm(backend, "dW += X^T dG " + shape, x, dg, null, dw, d, n, ldw, m, (b, xa, gb, bb, c) ->
                                    b.gemm(true, false, d, n, m, xa, 0, ldx, gb, 0, ldw, null, true, c, 0, ldw));
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void gemmTransposedBothLargeAndEmptyK(String name) {
        Backend backend = TestData.backendOrSkip(name);
        SplittableRandom rng = new SplittableRandom(2);
        int m = 300;
        int n = 517;
        int k = 200;
        try (Tensor at = random(rng, F, -1, 1, k, m + 1);
             Tensor bt = random(rng, F, -1, 1, n, k + 2);
             Tensor bias = random(rng, F, -1, 1, n);
             Tensor c0 = random(rng, F, -1, 1, m, n + 4)) {
            checkGemm(backend, "C += A^T B^T + bias", at, bt, bias, c0, m, n, n + 4, k, (b, a, bb, bi, c) ->
                    b.gemm(true, true, m, n, k, a, 1, m + 1, bb, 0, k + 2, bi, true, c, 0, n + 4));
            checkGemm(backend, "C = bias (K = 0)", at, bt, bias, c0, m, n, n + 4, 0, (b, a, bb, bi, c) ->
                    b.gemm(false, false, m, n, 0, a, 0, 1, bb, 0, n, bi, false, c, 0, n + 4));
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void columnSum(String name) {
        Backend backend = TestData.backendOrSkip(name);
        SplittableRandom rng = new SplittableRandom(3);
        for (int m : new int[] {1, 7, 33, 264}) {
            for (int n : new int[] {1, 8, 27, 387}) {
                try (Tensor a = random(rng, F, -1, 1, m, n + 1);
                     Tensor out = random(rng, F, -1, 1, n)) {
                    checkGemm(backend, "col_sum " + m + "x" + n, a, a, null, out, 1, n, n, m, (b, x, unused, bi, c) ->
                            b.colSum(m, n, x, 0, n + 1, true, c));
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void scanForwardAndBackward(String name) {
        scanGrid(TestData.backendOrSkip(name), new SplittableRandom(4), false);
    }

    /** The oLRN scan (four gate planes, c saved for the backward pass) on the same grid. */
    @ParameterizedTest
    @MethodSource("backends")
    void olrnScanForwardAndBackward(String name) {
        scanGrid(TestData.backendOrSkip(name), new SplittableRandom(6), true);
    }

    private static void scanGrid(Backend backend, SplittableRandom rng, boolean outputGate) {
        int caseNo = 0;
        for (int t : STEPS) {
            for (int bt : BATCH) {
                for (int h : HIDDEN) {
                    for (Activation act : Activation.values()) {
                        for (boolean reverse : new boolean[] {false, true}) {
                            for (boolean ragged : new boolean[] {false, true}) {
                                boolean withState = caseNo % 2 == 0;
                                int pad = caseNo++ % 3 == 1 ? 2 : 0;
                                scanCase(backend, rng, outputGate, t, bt, h, act, reverse, ragged, withState, pad);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * One LRN (or oLRN, outputGate) scan case on {@code backend} against the reference, forward and backward,
     * outputs poisoned and the row padding checked untouched; also run by {@link NativeScanIsaTest}.
     */
    static void scanCase(Backend backend, SplittableRandom rng, boolean outputGate, int t, int bt, int h,
                         Activation act, boolean reverse, boolean ragged, boolean withState, int pad) {
        String what = (outputGate ? "olrn " : "") + "T" + t + " B" + bt + " H" + h + " " + act
                + (reverse ? " reverse" : "") + (ragged ? " ragged" : "") + (withState ? " h0" : "") + " pad" + pad;
        int rows = t * bt;
        int planes = outputGate ? 4 : 3;
        int ldg = planes * h + pad;
        int ldh = h + pad;
        int[] len = new int[bt];
        for (int b = 0; b < bt; b++) {
            len[b] = ragged ? 1 + rng.nextInt(t) : t;
        }
        try (Tensor g = random(rng, F, -2, 2, rows, ldg);
             Tensor h0 = withState ? random(rng, F, -1, 1, bt, h) : null;
             Tensor lengths = ragged ? Tensor.ofInts(len) : null;
             Tensor hs0 = poisoned(F, rows, ldh);
             Tensor cs0 = outputGate ? poisoned(F, rows, ldh) : null;
             Tensor hLast0 = poisoned(F, bt, h);
             Tensor dhs = random(rng, F, -1, 1, rows, ldh);
             Tensor dhLast = withState ? random(rng, F, -1, 1, bt, h) : null;
             Tensor dg0 = poisoned(F, rows, ldg);
             Tensor dh00 = poisoned(F, bt, h)) {
            Scan s = new Scan(t, bt, h, ldg, ldh, act, reverse, g, h0, lengths, hs0, cs0, hLast0, dhs, dhLast, dg0, dh00);
            double[][] want = s.run(REF, null, null);
            double[][] got;
            // The backward pass of both backends reads the reference states, so each pass is checked alone.
            try (Tensor hsRef = Tensor.host(F, rows, ldh);
                 Tensor csRef = outputGate ? Tensor.host(F, rows, ldh) : null) {
                hsRef.write(0, want[0], 0, want[0].length);
                if (csRef != null) {
                    csRef.write(0, want[4], 0, want[4].length);
                }
                got = s.run(backend, hsRef, csRef);
            }
            for (int r = 0; r < rows; r++) {
                for (int j = h; j < ldh; j++) {
                    // columns beyond H are padding the kernels must not touch: still NaN in both
                    for (int out : outputGate ? new int[] {0, 4} : new int[] {0}) {
                        want[out][r * ldh + j] = 0;
                        got[out][r * ldh + j] = Double.isNaN(got[out][r * ldh + j]) ? 0 : 1;
                    }
                }
                for (int j = planes * h; j < ldg; j++) {
                    want[2][r * ldg + j] = 0;
                    got[2][r * ldg + j] = Double.isNaN(got[2][r * ldg + j]) ? 0 : 1;
                }
            }
            assertClose(backend.name() + " scan forward hs " + what, want[0], got[0], 2e-5, 1e-4);
            assertClose(backend.name() + " scan forward hLast " + what, want[1], got[1], 2e-5, 1e-4);
            if (outputGate) {
                assertClose(backend.name() + " scan forward cs " + what, want[4], got[4], 2e-5, 1e-4);
            }
            assertClose(backend.name() + " scan backward dg " + what, want[2], got[2], 5e-5, 1e-4);
            assertClose(backend.name() + " scan backward dh0 " + what, want[3], got[3], 5e-5, 1e-4);
        }
    }

    /** One scan case's arguments: the LRN scan, or the oLRN scan when cs0 is given. */
    private record Scan(int t, int bt, int h, int ldg, int ldh, Activation act, boolean reverse, Tensor g, Tensor h0,
                        Tensor lengths, Tensor hs0, Tensor cs0, Tensor hLast0, Tensor dhs, Tensor dhLast, Tensor dg0,
                        Tensor dh00) {
        /**
         * Runs forward then backward on one backend, the backward from the given states (null: its own);
         * returns hs, hLast, dg, dh0 and, for the oLRN scan, cs.
         */
        double[][] run(Backend backend, Tensor hsForBackward, Tensor csForBackward) {
            try (On on = new On(backend)) {
                Tensor gd = on.put(g);
                Tensor h0d = on.put(h0);
                Tensor lend = on.put(lengths);
                Tensor hs = on.put(hs0);
                Tensor cs = on.put(cs0);
                Tensor hLast = on.put(hLast0);
                if (cs == null) {
                    backend.lrnScanForward(t, bt, h, gd, 0, ldg, h0d, 0, lend, act, reverse, hs, 0, ldh, hLast, 0);
                } else {
                    backend.olrnScanForward(t, bt, h, gd, 0, ldg, h0d, 0, lend, act, reverse, hs, 0, ldh, cs, 0, ldh,
                            hLast, 0);
                }
                double[] hsOut = on.get(hs);
                double[] hLastOut = on.get(hLast);
                double[] csOut = cs == null ? null : on.get(cs);
                Tensor hsIn = hsForBackward == null ? hs : on.put(hsForBackward);
                Tensor csIn = csForBackward == null ? cs : on.put(csForBackward);
                Tensor dg = on.put(dg0);
                Tensor dh0 = on.put(dh00);
                if (cs == null) {
                    backend.lrnScanBackward(t, bt, h, gd, 0, ldg, h0d, 0, lend, act, reverse, hsIn, 0, ldh,
                            on.put(dhs), 0, ldh, on.put(dhLast), 0, dg, 0, ldg, dh0, 0);
                } else {
                    backend.olrnScanBackward(t, bt, h, gd, 0, ldg, h0d, 0, lend, act, reverse, hsIn, 0, ldh, csIn, 0,
                            ldh, on.put(dhs), 0, ldh, on.put(dhLast), 0, dg, 0, ldg, dh0, 0);
                }
                return new double[][] {hsOut, hLastOut, on.get(dg), on.get(dh0), csOut};
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void layerNormForwardAndBackward(String name) {
        Backend backend = TestData.backendOrSkip(name);
        SplittableRandom rng = new SplittableRandom(5);
        for (int m : new int[] {1, 7, 33}) {
            for (int groups : new int[] {1, 3, 6}) {
                for (int gs : new int[] {1, 7, 8, 129}) {
                    int w = groups * gs;
                    int ld = w + 1;
                    try (Tensor x = random(rng, F, -2, 2, m, ld);
                         Tensor gamma = random(rng, F, 0.5, 1.5, w);
                         Tensor beta = random(rng, F, -1, 1, w);
                         Tensor dy = random(rng, F, -1, 1, m, ld);
                         Tensor dgamma0 = random(rng, F, -1, 1, w);
                         Tensor dbeta0 = random(rng, F, -1, 1, w)) {
                        double[][] want = layerNorm(REF, x, gamma, beta, dy, dgamma0, dbeta0, m, groups, gs, ld);
                        double[][] got = layerNorm(backend, x, gamma, beta, dy, dgamma0, dbeta0, m, groups, gs, ld);
                        String what = backend.name() + " layer norm m" + m + " groups" + groups + " size" + gs;
                        String[] names = {"y", "mean", "rstd", "dx", "dgamma", "dbeta"};
                        for (int i = 0; i < names.length; i++) {
                            assertClose(what + " " + names[i], want[i], got[i], 1e-4, 1e-4);
                        }
                    }
                }
            }
        }
    }

    private static double[][] layerNorm(Backend backend, Tensor x, Tensor gamma, Tensor beta, Tensor dy,
                                        Tensor dgamma0, Tensor dbeta0, int m, int groups, int gs, int ld) {
        try (On on = new On(backend);
             Tensor y0 = poisoned(F, m, ld);
             Tensor mean0 = poisoned(F, m, groups);
             Tensor rstd0 = poisoned(F, m, groups);
             Tensor dx0 = poisoned(F, m, ld)) {
            Tensor xd = on.put(x);
            Tensor gd = on.put(gamma);
            Tensor y = on.put(y0);
            Tensor mean = on.put(mean0);
            Tensor rstd = on.put(rstd0);
            backend.layerNormForward(m, groups, gs, xd, 0, ld, gd, on.put(beta), 1e-5, y, 0, ld, mean, rstd);
            Tensor dx = on.put(dx0);
            Tensor dgamma = on.put(dgamma0);
            Tensor dbeta = on.put(dbeta0);
            backend.layerNormBackward(m, groups, gs, xd, 0, ld, gd, mean, rstd, on.put(dy), 0, ld, dx, 0, ld, dgamma, dbeta);
            double[] yv = on.get(y);
            double[] dxv = on.get(dx);
            int w = groups * gs;
            for (int r = 0; r < m; r++) {
                // the padding column stays untouched (NaN): map it to a comparable marker
                yv[r * ld + w] = Double.isNaN(yv[r * ld + w]) ? 0 : 1;
                dxv[r * ld + w] = Double.isNaN(dxv[r * ld + w]) ? 0 : 1;
            }
            return new double[][] {yv, on.get(mean), on.get(rstd), dxv, on.get(dgamma), on.get(dbeta)};
        }
    }
}

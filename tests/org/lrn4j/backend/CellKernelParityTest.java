package org.lrn4j.backend;

import static org.lrn4j.TestData.assertClose;
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
 * The LSTM/GRU/ATR step kernels, their whole-sequence forms and the SRU scan on java, native and CUDA against the double-precision
 * reference, on odd sizes with padded row strides: outputs start poisoned with NaN (an unwritten element
 * fails) and the padding between rows must stay untouched; dh and dc, updated in place, start random.
 */
class CellKernelParityTest {
    private static final DType F = DType.FLOAT32;
    private static final Backend REF = ReferenceBackend.INSTANCE;

    static java.util.List<String> backends() {
        return TestData.acceleratedBackends();
    }

    /** Replaces the columns beyond {@code cols} of each row by 0 where they are still NaN, else 1. */
    private static double[] markPadding(double[] v, int cols, int ld) {
        for (int i = 0; i < v.length; i++) {
            if (i % ld >= cols) {
                v[i] = Double.isNaN(v[i]) ? 0 : 1;
            }
        }
        return v;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void cellStepForwardAndBackward(String name) {
        Backend backend = TestData.backendOrSkip(name);
        SplittableRandom rng = new SplittableRandom(6);
        int caseNo = 0;
        for (Cell cell : Cell.values()) {
            for (int batch : new int[] {1, 3, 8}) {
                for (int hidden : new int[] {1, 7, 9, 33, 129}) {
                    int c = caseNo++;
                    stepCase(backend, rng, cell, batch, hidden, c % 2 == 0 ? 3 : 0, c % 3 != 0, c % 4 != 1);
                }
            }
        }
    }

    private static void stepCase(Backend backend, SplittableRandom rng, Cell cell, int batch, int hidden, int pad,
                                 boolean withPrev, boolean withLengths) {
        boolean lstm = cell.hasCellState();
        int w = cell.planes() * hidden;
        int ldg = w + pad;
        int ldh = hidden + pad;
        int s = lstm ? 2 * hidden : hidden;
        int lds = s + pad;
        int step = 2;
        int[] len = new int[batch];
        for (int b = 0; b < batch; b++) {
            len[b] = b % 3 == 1 ? 2 : 3;  // sequences 1, 4, ... do not take part in step 2
        }
        String what = backend.name() + " " + cell + " B" + batch + " H" + hidden + " pad" + pad
                + (withPrev ? " prev" : "") + (withLengths ? " lengths" : "");
        try (Tensor gx = random(rng, F, -3, 3, batch, ldg);
             Tensor gh = random(rng, F, -3, 3, batch, ldg);
             Tensor bh = cell == Cell.LSTM ? null : random(rng, F, -1, 1, hidden);
             Tensor hp = withPrev ? random(rng, F, -1, 1, batch, ldh) : null;
             Tensor cp = withPrev && lstm ? random(rng, F, -1, 1, batch, ldh) : null;
             Tensor lengths = withLengths ? Tensor.ofInts(len) : null;
             Tensor dOut = random(rng, F, -1, 1, batch, ldh);
             Tensor dh0 = random(rng, F, -1, 1, batch, ldh);
             Tensor dc0 = random(rng, F, -1, 1, batch, ldh)) {
            double[][] want = step(REF, cell, batch, hidden, step, gx, gh, bh, hp, cp, lengths, dOut, dh0, dc0, ldg,
                    ldh, lds);
            double[][] got = step(backend, cell, batch, hidden, step, gx, gh, bh, hp, cp, lengths, dOut, dh0, dc0, ldg,
                    ldh, lds);
            String[] names = {"h", "c", "last", "dh", "dc", "dgx", "dgh"};
            for (int i = 0; i < names.length; i++) {
                if (want[i] != null) {
                    assertClose(what + " " + names[i], want[i], got[i], 1e-5, 1e-4);
                }
            }
        }
    }

    /** Forward then backward of one step; h, c, last, dh, dc, dgx, dgh (null where the cell has none). */
    private static double[][] step(Backend backend, Cell cell, int batch, int hidden, int step, Tensor gx, Tensor gh,
                                   Tensor bh, Tensor hp, Tensor cp, Tensor lengths, Tensor dOut, Tensor dh0,
                                   Tensor dc0, int ldg, int ldh, int lds) {
        boolean lstm = cell.hasCellState();
        int w = cell.planes() * hidden;
        try (On on = new On(backend);
             Tensor poisonH = poisoned(F, batch, ldh);
             Tensor poisonLast = poisoned(F, batch, lds);
             Tensor poisonG = poisoned(F, batch, ldg)) {
            Tensor gxd = on.put(gx);
            Tensor ghd = on.put(gh);
            Tensor bhd = on.put(bh);
            Tensor hpd = on.put(hp);
            Tensor cpd = on.put(cp);
            Tensor lend = on.put(lengths);
            Tensor h = on.put(poisonH);
            Tensor c = lstm ? on.put(poisonH) : null;
            Tensor last = on.put(poisonLast);
            backend.cellStepForward(cell, batch, hidden, step, lend, gxd, 0, ldg, ghd, 0, ldg, bhd, 0, hpd, 0, ldh, cpd,
                    0, ldh, h, 0, ldh, c, 0, ldh, last, 0, lds);
            Tensor dh = on.put(dh0);
            Tensor dc = lstm ? on.put(dc0) : null;
            Tensor dgx = on.put(poisonG);
            Tensor dgh = lstm ? null : on.put(poisonG);
            backend.cellStepBackward(cell, batch, hidden, step, lend, gxd, 0, ldg, ghd, 0, ldg, bhd, 0, hpd, 0, ldh, cpd,
                    0, ldh, c, 0, ldh, on.put(dOut), 0, ldh, dh, 0, ldh, dc, 0, ldh, dgx, 0, ldg, dgh, 0, ldg);
            int s = lstm ? 2 * hidden : hidden;
            return new double[][] {markPadding(on.get(h), hidden, ldh), lstm ? markPadding(on.get(c), hidden, ldh) : null,
                markPadding(on.get(last), s, lds), on.get(dh), lstm ? on.get(dc) : null, markPadding(on.get(dgx), w, ldg),
                lstm ? null : markPadding(on.get(dgh), w, ldg)};
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void cellSequenceForwardAndBackward(String name) {
        Backend backend = TestData.backendOrSkip(name);
        SplittableRandom rng = new SplittableRandom(7);
        int caseNo = 0;
        for (Cell cell : Cell.values()) {
            for (int[] shape : new int[][] {{1, 1, 1}, {4, 3, 7}, {9, 33, 33}, {5, 8, 129}}) {
                int c = caseNo++;
                sequenceCase(backend, rng, cell, shape[0], shape[1], shape[2], c % 2 == 0 ? 3 : 0, c % 2 == 1,
                        c % 3 != 0, c % 4 != 1);
            }
        }
    }

    private static void sequenceCase(Backend backend, SplittableRandom rng, Cell cell, int steps, int batch,
                                     int hidden, int pad, boolean reverse, boolean withH0, boolean withLengths) {
        boolean lstm = cell.hasCellState();
        int w = cell.planes() * hidden;
        int[] len = new int[batch];
        for (int b = 0; b < batch; b++) {
            len[b] = 1 + (b * 5) % steps;
        }
        String what = backend.name() + " sequence " + cell + " T" + steps + " B" + batch + " H" + hidden + " pad" + pad
                + (reverse ? " reverse" : "") + (withH0 ? " h0" : "") + (withLengths ? " lengths" : "");
        try (Tensor gx = random(rng, F, -2, 2, steps, batch, w + pad);
             Tensor u = random(rng, F, -0.3, 0.3, hidden, w + pad);
             Tensor bh = lstm ? null : random(rng, F, -1, 1, hidden);
             Tensor h0 = withH0 ? random(rng, F, -1, 1, batch, hidden + pad) : null;
             Tensor c0 = withH0 && lstm ? random(rng, F, -1, 1, batch, hidden + pad) : null;
             Tensor lengths = withLengths ? Tensor.ofInts(len) : null;
             Tensor dOut = random(rng, F, -1, 1, steps, batch, hidden + pad);
             Tensor dh0 = random(rng, F, -1, 1, batch, hidden + pad);
             Tensor dc0 = random(rng, F, -1, 1, batch, hidden + pad)) {
            Tensor[] in = {gx, u, bh, h0, c0, lengths, dOut, dh0, dc0};
            double[][] want = sequence(REF, cell, steps, batch, hidden, pad, reverse, in);
            double[][] got = sequence(backend, cell, steps, batch, hidden, pad, reverse, in);
            String[] names = {"gh", "h", "c", "last", "dh", "dc", "dgx", "dgh"};
            for (int i = 0; i < names.length; i++) {
                if (want[i] != null) {
                    assertClose(what + " " + names[i], want[i], got[i], 1e-4, 1e-3);
                }
            }
        }
    }

    /** cellForward then cellBackward; gh, h, c, last, dh, dc, dgx, dgh (null where the cell has none). */
    private static double[][] sequence(Backend backend, Cell cell, int steps, int batch, int hidden, int pad,
                                       boolean reverse, Tensor[] in) {
        boolean lstm = cell.hasCellState();
        int w = cell.planes() * hidden;
        int ldg = w + pad;
        int ldh = hidden + pad;
        int s = lstm ? 2 * hidden : hidden;
        int lds = s + pad;
        try (On on = new On(backend);
             Tensor poisonH = poisoned(F, steps, batch, ldh);
             Tensor poisonLast = poisoned(F, batch, lds);
             Tensor poisonG = poisoned(F, steps, batch, ldg)) {
            Tensor gx = on.put(in[0]);
            Tensor u = on.put(in[1]);
            Tensor bh = on.put(in[2]);
            Tensor h0 = on.put(in[3]);
            Tensor c0 = on.put(in[4]);
            Tensor lengths = on.put(in[5]);
            Tensor gh = on.put(poisonG);
            Tensor h = on.put(poisonH);
            Tensor c = lstm ? on.put(poisonH) : null;
            Tensor last = on.put(poisonLast);
            backend.cellForward(cell, steps, batch, hidden, lengths, reverse, gx, 0, ldg, u, 0, ldg, bh, 0, h0, 0, ldh,
                    c0, 0, ldh, gh, 0, ldg, h, 0, ldh, c, 0, ldh, last, 0, lds);
            Tensor dh = on.put(in[7]);
            Tensor dc = lstm ? on.put(in[8]) : null;
            Tensor dgx = on.put(poisonG);
            Tensor dgh = lstm ? null : on.put(poisonG);
            backend.cellBackward(cell, steps, batch, hidden, lengths, reverse, gx, 0, ldg, gh, 0, ldg, u, 0, ldg, bh, 0,
                    h0, 0, ldh, c0, 0, ldh, h, 0, ldh, c, 0, ldh, on.put(in[6]), 0, ldh, dh, 0, ldh, dc, 0, ldh, dgx, 0,
                    ldg, dgh, 0, ldg);
            return new double[][] {markPadding(on.get(gh), w, ldg), markPadding(on.get(h), hidden, ldh),
                lstm ? markPadding(on.get(c), hidden, ldh) : null, markPadding(on.get(last), s, lds),
                markPadding(on.get(dh), hidden, ldh), lstm ? markPadding(on.get(dc), hidden, ldh) : null,
                markPadding(on.get(dgx), w, ldg), lstm ? null : markPadding(on.get(dgh), w, ldg)};
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void sruScanForwardAndBackward(String name) {
        Backend backend = TestData.backendOrSkip(name);
        SplittableRandom rng = new SplittableRandom(7);
        int caseNo = 0;
        for (int steps : new int[] {1, 2, 7, 33}) {
            for (int batch : new int[] {1, 3}) {
                for (int hidden : new int[] {1, 9, 33}) {
                    for (int k = 3; k <= 4; k++) {
                        for (Activation act : Activation.values()) {
                            int c = caseNo++;
                            sruCase(backend, rng, steps, batch, hidden, k, act, c % 2 == 1, c % 3 != 0, c % 5 != 2,
                                    c % 2 == 0 ? 2 : 0);
                        }
                    }
                }
            }
        }
    }

    private static void sruCase(Backend backend, SplittableRandom rng, int steps, int batch, int hidden, int k,
                                Activation act, boolean reverse, boolean ragged, boolean withState, int pad) {
        int rows = steps * batch;
        int ldu = k * hidden + pad;
        int ldh = hidden + pad;
        int[] len = new int[batch];
        for (int b = 0; b < batch; b++) {
            len[b] = ragged ? 1 + rng.nextInt(steps) : steps;
        }
        String what = backend.name() + " SRU T" + steps + " B" + batch + " H" + hidden + " k" + k + " " + act
                + (reverse ? " reverse" : "") + (ragged ? " ragged" : "") + (withState ? " c0" : "") + " pad" + pad;
        try (Tensor u = random(rng, F, -2, 2, rows, ldu);
             Tensor x = k == 3 ? random(rng, F, -1, 1, rows, ldh) : null;
             Tensor v = random(rng, F, -1, 1, 2 * hidden);
             Tensor bias = random(rng, F, -1, 1, 2 * hidden);
             Tensor c0 = withState ? random(rng, F, -1, 1, batch, hidden) : null;
             Tensor lengths = ragged ? Tensor.ofInts(len) : null;
             Tensor dh = random(rng, F, -1, 1, rows, ldh);
             Tensor dcLast = withState ? random(rng, F, -1, 1, batch, hidden) : null;
             Tensor dx0 = k == 3 ? random(rng, F, -1, 1, rows, ldh) : null) {
            double[][] want = sru(REF, steps, batch, hidden, k, u, x, v, bias, c0, lengths, act, reverse, dh, dcLast, dx0,
                    ldu, ldh, null);
            double[][] got;
            // The backward pass of both backends reads the reference cell states, so each pass is checked alone.
            try (Tensor cRef = Tensor.host(F, rows, ldh)) {
                cRef.write(0, want[1], 0, want[1].length);
                got = sru(backend, steps, batch, hidden, k, u, x, v, bias, c0, lengths, act, reverse, dh, dcLast, dx0, ldu,
                        ldh, cRef);
            }
            String[] names = {"h", "c", "cLast", "du", "dx", "dv", "dc0"};
            for (int i = 0; i < names.length; i++) {
                if (want[i] != null) {
                    assertClose(what + " " + names[i], want[i], got[i], 5e-5 * (1 + steps / 8.0), 1e-4);
                }
            }
        }
    }

    /** Forward then backward; h, c, cLast, du, dx (k = 3), dv, dc0. */
    private static double[][] sru(Backend backend, int steps, int batch, int hidden, int k, Tensor u, Tensor x, Tensor v,
                                  Tensor bias, Tensor c0, Tensor lengths, Activation act, boolean reverse, Tensor dh,
                                  Tensor dcLast, Tensor dx0, int ldu, int ldh, Tensor cForBackward) {
        int rows = steps * batch;
        try (On on = new On(backend);
             Tensor poisonH = poisoned(F, rows, ldh);
             Tensor poisonState = poisoned(F, batch, hidden);
             Tensor poisonU = poisoned(F, rows, ldu);
             Tensor poisonV = poisoned(F, batch, 2 * hidden)) {
            Tensor ud = on.put(u);
            Tensor xd = on.put(x);
            Tensor vd = on.put(v);
            Tensor bd = on.put(bias);
            Tensor c0d = on.put(c0);
            Tensor lend = on.put(lengths);
            Tensor h = on.put(poisonH);
            Tensor c = on.put(poisonH);
            Tensor cLast = on.put(poisonState);
            backend.sruScanForward(steps, batch, hidden, k, ud, 0, ldu, xd, 0, ldh, vd, 0, bd, 0, c0d, 0, lend, act,
                    reverse, h, 0, ldh, c, 0, ldh, cLast, 0);
            double[] hv = markPadding(on.get(h), hidden, ldh);
            double[] cv = markPadding(on.get(c), hidden, ldh);
            double[] lastv = on.get(cLast);
            Tensor cIn = cForBackward == null ? c : on.put(cForBackward);
            Tensor du = on.put(poisonU);
            Tensor dx = on.put(dx0);
            Tensor dv = on.put(poisonV);
            Tensor dc0 = c0 == null ? null : on.put(poisonState);
            backend.sruScanBackward(steps, batch, hidden, k, ud, 0, ldu, xd, 0, ldh, vd, 0, bd, 0, c0d, 0, lend, act,
                    reverse, cIn, 0, ldh, on.put(dh), 0, ldh, on.put(dcLast), 0, du, 0, ldu, dx, 0, ldh, dv, 0, dc0, 0);
            return new double[][] {hv, cv, lastv, markPadding(on.get(du), k * hidden, ldu), dx == null ? null : on.get(dx),
                on.get(dv), dc0 == null ? null : on.get(dc0)};
        }
    }
}

package org.lrn4j.backend;

import java.util.Arrays;

import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Device;
import org.lrn4j.tensor.Tensor;

/**
 * The readable reference: every kernel written as the plain loops of its definition, computed in double
 * precision for FLOAT32 and FLOAT64 tensors alike. Every other backend (the fast pure-Java one included)
 * is tested against it, and the others hand it their FLOAT64 calls. Views are copied into dense double
 * arrays, computed, and written back. It is not offered by {@link Backends}: it is slow on purpose, and
 * {@link JavaBackend} is the pure-Java fallback.
 */
public final class ReferenceBackend extends Backend {
    public static final ReferenceBackend INSTANCE = new ReferenceBackend();

    private ReferenceBackend() {
    }

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public Device device() {
        return Device.HOST;
    }

    @Override
    public String description() {
        return "pure Java reference kernels (double-precision arithmetic, 1 thread)";
    }

    @Override
    public boolean supports(DType dtype) {
        return dtype == DType.FLOAT32 || dtype == DType.FLOAT64;
    }

    @Override
    public Tensor allocate(DType dtype, long... shape) {
        return Tensor.host(dtype, shape);
    }

    /** Reads a rows×cols view into a dense row-major array. */
    private static double[] load(Tensor t, long offset, int rows, int cols, int ld) {
        double[] out = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            t.read(offset + (long) r * ld, out, r * cols, cols);
        }
        return out;
    }

    /** Writes a dense row-major array into a rows×cols view. */
    private static void store(Tensor t, long offset, int rows, int cols, int ld, double[] values) {
        for (int r = 0; r < rows; r++) {
            t.write(offset + (long) r * ld, values, r * cols, cols);
        }
    }

    private static double[] loadOrNull(Tensor t, long offset, int rows, int cols) {
        return t == null ? null : load(t, offset, rows, cols, cols);
    }

    @Override
    protected void gemmImpl(boolean transA, boolean transB, int m, int n, int k,
                            Tensor a, long aOffset, int lda, Tensor b, long bOffset, int ldb,
                            Tensor bias, boolean accumulate, Tensor c, long cOffset, int ldc) {
        double[] opA = transA ? transpose(load(a, aOffset, k, m, lda), k, m) : load(a, aOffset, m, k, lda);
        double[] opB = transB ? transpose(load(b, bOffset, n, k, ldb), n, k) : load(b, bOffset, k, n, ldb);
        double[] biasv = loadOrNull(bias, 0, 1, n);
        double[] out = accumulate ? load(c, cOffset, m, n, ldc) : new double[m * n];
        double[] row = new double[n];
        for (int i = 0; i < m; i++) {
            Arrays.fill(row, 0.0);
            for (int p = 0; p < k; p++) {
                double aip = opA[i * k + p];
                int bp = p * n;
                for (int j = 0; j < n; j++) {
                    row[j] += aip * opB[bp + j];
                }
            }
            for (int j = 0; j < n; j++) {
                out[i * n + j] += row[j] + (biasv == null ? 0.0 : biasv[j]);
            }
        }
        store(c, cOffset, m, n, ldc, out);
    }

    private static double[] transpose(double[] x, int rows, int cols) {
        double[] t = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = x[r * cols + c];
            }
        }
        return t;
    }

    @Override
    protected void colSumImpl(int m, int n, Tensor a, long aOffset, int lda, boolean accumulate, Tensor out,
                              long outOffset) {
        double[] x = load(a, aOffset, m, n, lda);
        double[] sum = accumulate ? load(out, outOffset, 1, n, n) : new double[n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                sum[j] += x[i * n + j];
            }
        }
        store(out, outOffset, 1, n, n, sum);
    }

    /** The formulas of lrn4j_adam_step in double, each stored value rounded to the tensor's type. */
    @Override
    protected void adamStepImpl(Tensor p, Tensor g, Tensor m, Tensor v, double lr, double beta1, double beta2,
                                double eps, double weightDecay, double gradScale, double bc1, double bc2) {
        int n = (int) p.numel();
        double[] pv = p.toDoubleArray();
        double[] gv = g.toDoubleArray();
        double[] mv = m.toDoubleArray();
        double[] vv = v.toDoubleArray();
        for (int i = 0; i < n; i++) {
            double gs = gradScale * gv[i];
            mv[i] = beta1 * mv[i] + (1 - beta1) * gs;
            vv[i] = beta2 * vv[i] + (1 - beta2) * gs * gs;
            pv[i] -= lr * ((mv[i] / bc1) / (Math.sqrt(vv[i] / bc2) + eps) + weightDecay * pv[i]);
        }
        p.write(0, pv, 0, n);
        m.write(0, mv, 0, n);
        v.write(0, vv, 0, n);
    }

    @Override
    protected void sgdStepImpl(Tensor p, Tensor g, Tensor u, double lr, double momentum, double weightDecay,
                               double gradScale, boolean nesterov) {
        int n = (int) p.numel();
        double[] pv = p.toDoubleArray();
        double[] gv = g.toDoubleArray();
        double[] uv = u.toDoubleArray();
        for (int i = 0; i < n; i++) {
            double d = gradScale * gv[i] + weightDecay * pv[i];
            uv[i] = momentum * uv[i] + d;
            pv[i] -= lr * (nesterov ? d + momentum * uv[i] : uv[i]);
        }
        p.write(0, pv, 0, n);
        u.write(0, uv, 0, n);
    }

    @Override
    protected void activationForwardImpl(ActivationKind kind, int n, Tensor x, long xOffset, Tensor y, long yOffset) {
        double[] v = new double[n];
        x.read(xOffset, v, 0, n);
        for (int i = 0; i < n; i++) {
            v[i] = switch (kind) {
                case IDENTITY -> v[i];
                case TANH -> Math.tanh(v[i]);
                case RELU -> v[i] < 0 ? 0 : v[i];
                case SIGMOID -> 1 / (1 + Math.exp(-v[i]));
            };
        }
        y.write(yOffset, v, 0, n);
    }

    @Override
    protected void activationBackwardImpl(ActivationKind kind, int n, Tensor y, long yOffset, Tensor dy,
                                          long dyOffset, Tensor dx, long dxOffset) {
        double[] yv = new double[n];
        double[] g = new double[n];
        y.read(yOffset, yv, 0, n);
        dy.read(dyOffset, g, 0, n);
        for (int i = 0; i < n; i++) {
            g[i] = switch (kind) {
                case IDENTITY -> g[i];
                case TANH -> g[i] * (1 - yv[i] * yv[i]);
                case RELU -> yv[i] > 0 ? g[i] : 0;
                case SIGMOID -> g[i] * (yv[i] * (1 - yv[i]));
            };
        }
        dx.write(dxOffset, g, 0, n);
    }

    @Override
    protected void dropoutImpl(Tensor x, Tensor y, double p, int threshold, long seed) {
        double[] v = x.toDoubleArray();
        double scale = 1 / (1 - p);
        for (int i = 0; i < v.length; i++) {
            v[i] = dropoutKeeps(seed, i, threshold) ? v[i] * scale : 0;
        }
        y.write(0, v, 0, v.length);
    }

    @Override
    protected double sumOfSquaresImpl(Tensor x) {
        double s = 0;
        for (double v : x.toDoubleArray()) {
            s += v * v;
        }
        return s;
    }

    @Override
    protected void embeddingGatherImpl(int m, int d, Tensor ids, Tensor table, int rows, int ldt,
                                       Tensor out, long outOffset, int ldo) {
        double[] t = load(table, 0, rows, d, ldt);
        int[] id = ids.toIntArray();
        double[] o = new double[m * d];
        for (int i = 0; i < m; i++) {
            if (id[i] >= 0) {
                System.arraycopy(t, id[i] * d, o, i * d, d);
            }
        }
        store(out, outOffset, m, d, ldo, o);
    }

    @Override
    protected void embeddingScatterAddImpl(int m, int d, Tensor ids, Tensor dOut, long dOutOffset, int ldo,
                                           Tensor dTable, int rows, int ldt) {
        double[] t = load(dTable, 0, rows, d, ldt);
        double[] g = load(dOut, dOutOffset, m, d, ldo);
        int[] id = ids.toIntArray();
        for (int i = 0; i < m; i++) {
            if (id[i] >= 0) {
                for (int j = 0; j < d; j++) {
                    t[id[i] * d + j] += g[i * d + j];
                }
            }
        }
        store(dTable, 0, rows, d, ldt, t);
    }

    @Override
    protected void softmaxCrossEntropyImpl(int m, int n, Tensor logits, long offset, int ld, Tensor targets,
                                           double scale, Tensor loss, Tensor dLogits, long dOffset, int ldd) {
        double[] x = load(logits, offset, m, n, ld);
        int[] t = targets.toIntArray();
        double[] l = new double[m];
        double[] d = new double[m * n];
        for (int i = 0; i < m; i++) {
            if (t[i] < 0) {
                continue;  // ignored row: zero loss, zero gradient
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                max = Math.max(max, x[i * n + j]);
            }
            double sum = 0;
            for (int j = 0; j < n; j++) {
                sum += Math.exp(x[i * n + j] - max);
            }
            double lse = max + Math.log(sum);
            l[i] = lse - x[i * n + t[i]];
            for (int j = 0; j < n; j++) {
                d[i * n + j] = scale * (Math.exp(x[i * n + j] - lse) - (j == t[i] ? 1 : 0));
            }
        }
        store(loss, 0, 1, m, m, l);
        if (dLogits != null) {
            store(dLogits, dOffset, m, n, ldd, d);
        }
    }

    static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }

    @Override
    protected void lrnScanForwardImpl(int steps, int batch, int hidden,
                                      Tensor g, long gOffset, int ldg, Tensor h0, long h0Offset,
                                      Tensor lengths, Activation act, boolean reverse,
                                      Tensor hs, long hsOffset, int ldh, Tensor hLast, long hLastOffset) {
        scanForward(steps, batch, hidden, g, gOffset, ldg, h0, h0Offset, lengths, act, reverse, hs, hsOffset, ldh,
                null, 0, 0, hLast, hLastOffset);
    }

    @Override
    protected void lrnScanBackwardImpl(int steps, int batch, int hidden,
                                       Tensor g, long gOffset, int ldg, Tensor h0, long h0Offset,
                                       Tensor lengths, Activation act, boolean reverse,
                                       Tensor hs, long hsOffset, int ldh,
                                       Tensor dhs, long dhsOffset, int lddh, Tensor dhLast, long dhLastOffset,
                                       Tensor dg, long dgOffset, int lddg, Tensor dh0, long dh0Offset) {
        scanBackward(steps, batch, hidden, g, gOffset, ldg, h0, h0Offset, lengths, act, reverse, hs, hsOffset, ldh,
                null, 0, 0, dhs, dhsOffset, lddh, dhLast, dhLastOffset, dg, dgOffset, lddg, dh0, dh0Offset);
    }

    /**
     * The LRN scan (cs null: gates [q, k, v]) and the oLRN scan (gates [q, k, v, p], c of each active step
     * written to cs and 0 elsewhere), one loop: plain LRN is the oLRN with o = 1, h = c.
     */
    private static void scanForward(int steps, int batch, int hidden, Tensor g, long gOffset, int ldg,
                                    Tensor h0, long h0Offset, Tensor lengths, Activation act, boolean reverse,
                                    Tensor hs, long hsOffset, int ldh, Tensor cs, long csOffset, int ldc,
                                    Tensor hLast, long hLastOffset) {
        boolean gated = cs != null;
        int n = hidden;
        int rows = steps * batch;
        int w = (gated ? 4 : 3) * n;
        double[] gates = load(g, gOffset, rows, w, ldg);
        double[] out = new double[rows * n];
        double[] cells = gated ? new double[rows * n] : null;
        double[] state = loadOrZeros(h0, h0Offset, batch, n, n);
        int[] len = lengthsOf(lengths, batch, steps);
        boolean single = hs.dtype() == DType.FLOAT32;
        for (int s = 0; s < steps; s++) {
            int t = reverse ? steps - 1 - s : s;
            for (int b = 0; b < batch; b++) {
                int row = t * batch + b;
                for (int j = 0; j < n; j++) {
                    int at = b * n + j;
                    if (t < len[b]) {
                        int q = row * w + j;
                        double hp = state[at];
                        double i = sigmoid(gates[q + n] + hp);
                        double f = sigmoid(gates[q] - hp);
                        double pre = i * gates[q + 2 * n] + f * hp;
                        double c = act == Activation.TANH ? Math.tanh(pre) : pre;
                        double h = c;
                        if (gated) {
                            h = sigmoid(gates[q + 3 * n] - c) * c;
                            cells[row * n + j] = c;
                        }
                        // The carried state has the tensor's precision, as it has in the float kernels, so a
                        // sequence fed in chunks (state stored between calls) matches feeding it whole.
                        state[at] = single ? (float) h : h;
                    }
                    out[row * n + j] = state[at];
                }
            }
        }
        store(hs, hsOffset, rows, n, ldh, out);
        if (gated) {
            store(cs, csOffset, rows, n, ldc, cells);
        }
        if (hLast != null) {
            store(hLast, hLastOffset, batch, n, n, state);
        }
    }

    /** Backward of {@link #scanForward}: the LRN scan's (cs null) or the oLRN scan's, one loop. */
    private static void scanBackward(int steps, int batch, int hidden, Tensor g, long gOffset, int ldg,
                                     Tensor h0, long h0Offset, Tensor lengths, Activation act, boolean reverse,
                                     Tensor hs, long hsOffset, int ldh, Tensor cs, long csOffset, int ldc,
                                     Tensor dhs, long dhsOffset, int lddh, Tensor dhLast, long dhLastOffset,
                                     Tensor dg, long dgOffset, int lddg, Tensor dh0, long dh0Offset) {
        boolean gated = cs != null;
        int n = hidden;
        int rows = steps * batch;
        int w = (gated ? 4 : 3) * n;
        double[] gates = load(g, gOffset, rows, w, ldg);
        double[] states = load(hs, hsOffset, rows, n, ldh);
        // c of each step: saved by the oLRN forward pass; the state itself for plain LRN.
        double[] cells = gated ? load(cs, csOffset, rows, n, ldc) : states;
        double[] init = loadOrZeros(h0, h0Offset, batch, n, n);
        double[] dstates = loadOrZeros(dhs, dhsOffset, rows, n, lddh);
        double[] carry = loadOrZeros(dhLast, dhLastOffset, batch, n, n);
        double[] dgates = new double[rows * w];
        int[] len = lengthsOf(lengths, batch, steps);
        // Walk the steps in the opposite of the forward processing order.
        for (int s = steps - 1; s >= 0; s--) {
            int t = reverse ? steps - 1 - s : s;
            // The step processed just before t in forward order holds the previous state.
            int prev = reverse ? t + 1 : t - 1;
            boolean first = prev < 0 || prev >= steps;
            for (int b = 0; b < batch; b++) {
                int row = t * batch + b;
                for (int j = 0; j < n; j++) {
                    int at = b * n + j;
                    double dh = dstates[row * n + j] + carry[at];
                    if (t >= len[b]) {
                        carry[at] = dh;
                        continue;
                    }
                    int q = row * w + j;
                    double hp = first ? init[at] : states[(prev * batch + b) * n + j];
                    double c = cells[row * n + j];
                    double i = sigmoid(gates[q + n] + hp);
                    double f = sigmoid(gates[q] - hp);
                    double dc = dh;
                    if (gated) {
                        double o = sigmoid(gates[q + 3 * n] - c);
                        double dp = dh * c * o * (1 - o);
                        dc = dh * o - dp;
                        dgates[q + 3 * n] = dp;
                    }
                    double ds = act == Activation.TANH ? dc * (1 - c * c) : dc;
                    double dk = ds * gates[q + 2 * n] * i * (1 - i);
                    double dq = ds * hp * f * (1 - f);
                    dgates[q] = dq;
                    dgates[q + n] = dk;
                    dgates[q + 2 * n] = ds * i;
                    carry[at] = ds * f + dk - dq;
                }
            }
        }
        store(dg, dgOffset, rows, w, lddg, dgates);
        if (dh0 != null) {
            store(dh0, dh0Offset, batch, n, n, carry);
        }
    }

    // ---- LSTM, GRU and ATR steps: the formulas of lrn4j_cell_step_forward / _backward ----------------

    /** A [rows, cols] view, or zeros for an absent one. */
    private static double[] loadOrZeros(Tensor t, long offset, int rows, int cols, int ld) {
        return t == null ? new double[rows * cols] : load(t, offset, rows, cols, ld);
    }

    @Override
    protected void cellStepForwardImpl(Cell cell, int batch, int hidden, int step, Tensor lengths,
                                       Tensor gx, long gxOffset, int ldgx, Tensor gh, long ghOffset, int ldgh,
                                       Tensor bh, long bhOffset, Tensor hPrev, long hPrevOffset, int ldhp,
                                       Tensor cPrev, long cPrevOffset, int ldcp, Tensor h, long hOffset, int ldh,
                                       Tensor c, long cOffset, int ldc, Tensor last, long lastOffset, int ldLast) {
        int n = hidden;
        int w = cell.planes() * n;
        double[] x = load(gx, gxOffset, batch, w, ldgx);
        double[] r = load(gh, ghOffset, batch, w, ldgh);
        double[] bias = loadOrZeros(bh, bhOffset, 1, n, n);
        double[] hp = loadOrZeros(hPrev, hPrevOffset, batch, n, ldhp);
        double[] cp = loadOrZeros(cPrev, cPrevOffset, batch, n, ldcp);
        int[] len = lengthsOf(lengths, batch, Integer.MAX_VALUE);
        double[] hn = hp.clone();
        double[] cn = cp.clone();
        for (int b = 0; b < batch; b++) {
            if (step >= len[b]) {
                continue;  // the state passes unchanged
            }
            for (int j = 0; j < n; j++) {
                int g = b * w + j;
                int u = b * n + j;
                switch (cell) {
                    case LSTM -> {
                        double i = sigmoid(x[g] + r[g]);
                        double f = sigmoid(x[g + n] + r[g + n]);
                        double gg = Math.tanh(x[g + 2 * n] + r[g + 2 * n]);
                        double o = sigmoid(x[g + 3 * n] + r[g + 3 * n]);
                        cn[u] = f * cp[u] + i * gg;
                        hn[u] = o * Math.tanh(cn[u]);
                    }
                    case GRU -> {
                        double rg = sigmoid(x[g] + r[g]);
                        double z = sigmoid(x[g + n] + r[g + n]);
                        double nn = Math.tanh(x[g + 2 * n] + rg * (r[g + 2 * n] + bias[j]));
                        hn[u] = (1 - z) * nn + z * hp[u];
                    }
                    case ATR -> {
                        double p = x[g];
                        double q = r[g] + bias[j];
                        hn[u] = sigmoid(p + q) * p + sigmoid(p - q) * hp[u];
                    }
                }
            }
        }
        store(h, hOffset, batch, n, ldh, hn);
        if (c != null) {
            store(c, cOffset, batch, n, ldc, cn);
        }
        if (last != null) {
            store(last, lastOffset, batch, n, ldLast, hn);
            if (cell.hasCellState()) {
                store(last, lastOffset + n, batch, n, ldLast, cn);
            }
        }
    }

    @Override
    protected void cellStepBackwardImpl(Cell cell, int batch, int hidden, int step, Tensor lengths,
                                        Tensor gx, long gxOffset, int ldgx, Tensor gh, long ghOffset, int ldgh,
                                        Tensor bh, long bhOffset, Tensor hPrev, long hPrevOffset, int ldhp,
                                        Tensor cPrev, long cPrevOffset, int ldcp, Tensor c, long cOffset, int ldc,
                                        Tensor dhOut, long dhOutOffset, int lddo, Tensor dh, long dhOffset, int lddh,
                                        Tensor dc, long dcOffset, int lddc, Tensor dgx, long dgxOffset, int lddgx,
                                        Tensor dgh, long dghOffset, int lddgh) {
        int n = hidden;
        int w = cell.planes() * n;
        double[] x = load(gx, gxOffset, batch, w, ldgx);
        double[] r = load(gh, ghOffset, batch, w, ldgh);
        double[] bias = loadOrZeros(bh, bhOffset, 1, n, n);
        double[] hp = loadOrZeros(hPrev, hPrevOffset, batch, n, ldhp);
        double[] cp = loadOrZeros(cPrev, cPrevOffset, batch, n, ldcp);
        double[] cs = loadOrZeros(c, cOffset, batch, n, ldc);
        double[] dOut = loadOrZeros(dhOut, dhOutOffset, batch, n, lddo);
        double[] dhs = load(dh, dhOffset, batch, n, lddh);
        double[] dcs = loadOrZeros(dc, dcOffset, batch, n, lddc);
        double[] dx = new double[batch * w];
        double[] dr = new double[batch * w];
        int[] len = lengthsOf(lengths, batch, Integer.MAX_VALUE);
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < n; j++) {
                int g = b * w + j;
                int u = b * n + j;
                double d = dhs[u] + dOut[u];
                if (step >= len[b]) {
                    dhs[u] = d;  // the state passed through unchanged; the gates were not used
                    continue;
                }
                switch (cell) {
                    case LSTM -> {
                        double i = sigmoid(x[g] + r[g]);
                        double f = sigmoid(x[g + n] + r[g + n]);
                        double gg = Math.tanh(x[g + 2 * n] + r[g + 2 * n]);
                        double o = sigmoid(x[g + 3 * n] + r[g + 3 * n]);
                        double tc = Math.tanh(cs[u]);
                        double dct = dcs[u] + d * o * (1 - tc * tc);
                        dx[g] = dct * gg * i * (1 - i);
                        dx[g + n] = dct * cp[u] * f * (1 - f);
                        dx[g + 2 * n] = dct * i * (1 - gg * gg);
                        dx[g + 3 * n] = d * tc * o * (1 - o);
                        dcs[u] = dct * f;
                        dhs[u] = 0;  // h_prev reaches the step only through gh
                    }
                    case GRU -> {
                        double rg = sigmoid(x[g] + r[g]);
                        double z = sigmoid(x[g + n] + r[g + n]);
                        double hn = r[g + 2 * n] + bias[j];
                        double nn = Math.tanh(x[g + 2 * n] + rg * hn);
                        double dn = d * (1 - z) * (1 - nn * nn);
                        double drg = dn * hn * rg * (1 - rg);
                        double dz = d * (hp[u] - nn) * z * (1 - z);
                        dx[g] = drg;
                        dx[g + n] = dz;
                        dx[g + 2 * n] = dn;
                        dr[g] = drg;
                        dr[g + n] = dz;
                        dr[g + 2 * n] = dn * rg;
                        dhs[u] = d * z;
                    }
                    case ATR -> {
                        double p = x[g];
                        double q = r[g] + bias[j];
                        double i = sigmoid(p + q);
                        double f = sigmoid(p - q);
                        double di = d * p * i * (1 - i);
                        double df = d * hp[u] * f * (1 - f);
                        dx[g] = d * i + di + df;
                        dr[g] = di - df;
                        dhs[u] = d * f;
                    }
                }
            }
        }
        store(dh, dhOffset, batch, n, lddh, dhs);
        if (dc != null) {
            store(dc, dcOffset, batch, n, lddc, dcs);
        }
        store(dgx, dgxOffset, batch, w, lddgx, dx);
        if (dgh != null) {
            store(dgh, dghOffset, batch, w, lddgh, dr);
        }
    }

    // ---- SRU scan: the formulas of lrn4j_sru_scan_forward / _backward ---------------------------------

    @Override
    protected void sruScanForwardImpl(int steps, int batch, int hidden, int k, Tensor u, long uOffset, int ldu,
                                      Tensor x, long xOffset, int ldx, Tensor v, long vOffset, Tensor bias,
                                      long biasOffset, Tensor c0, long c0Offset, Tensor lengths, Activation act,
                                      boolean reverse, Tensor h, long hOffset, int ldh, Tensor c, long cOffset,
                                      int ldc, Tensor cLast, long cLastOffset) {
        int n = hidden;
        int rows = steps * batch;
        int w = k * n;
        double[] gates = load(u, uOffset, rows, w, ldu);
        double[] highway = k == 3 ? load(x, xOffset, rows, n, ldx) : null;
        double[] vv = load(v, vOffset, 1, 2 * n, 2 * n);
        double[] bb = load(bias, biasOffset, 1, 2 * n, 2 * n);
        double[] state = loadOrZeros(c0, c0Offset, batch, n, n);
        double[] hs = new double[rows * n];
        double[] cs = new double[rows * n];
        int[] len = lengthsOf(lengths, batch, steps);
        boolean single = h.dtype() == DType.FLOAT32;
        for (int s = 0; s < steps; s++) {
            int t = reverse ? steps - 1 - s : s;
            for (int b = 0; b < batch; b++) {
                int row = t * batch + b;
                for (int j = 0; j < n; j++) {
                    int at = b * n + j;
                    if (t < len[b]) {
                        int g = row * w + j;
                        double cp = state[at];
                        double f = sigmoid(gates[g + n] + vv[j] * cp + bb[j]);
                        double r = sigmoid(gates[g + 2 * n] + vv[n + j] * cp + bb[n + j]);
                        double cn = f * cp + (1 - f) * gates[g];
                        double xh = k == 4 ? gates[g + 3 * n] : highway[row * n + j];
                        hs[row * n + j] = r * (act == Activation.TANH ? Math.tanh(cn) : cn) + (1 - r) * xh;
                        // The carried state has the tensor's precision, as in the float kernels (see the LRN scan).
                        state[at] = single ? (float) cn : cn;
                    }
                    cs[row * n + j] = state[at];
                }
            }
        }
        store(h, hOffset, rows, n, ldh, hs);
        store(c, cOffset, rows, n, ldc, cs);
        if (cLast != null) {
            store(cLast, cLastOffset, batch, n, n, state);
        }
    }

    @Override
    protected void sruScanBackwardImpl(int steps, int batch, int hidden, int k, Tensor u, long uOffset, int ldu,
                                       Tensor x, long xOffset, int ldx, Tensor v, long vOffset, Tensor bias,
                                       long biasOffset, Tensor c0, long c0Offset, Tensor lengths, Activation act,
                                       boolean reverse, Tensor c, long cOffset, int ldc, Tensor dh, long dhOffset,
                                       int lddh, Tensor dcLast, long dcLastOffset, Tensor du, long duOffset, int lddu,
                                       Tensor dx, long dxOffset, int lddx, Tensor dv, long dvOffset,
                                       Tensor dc0, long dc0Offset) {
        int n = hidden;
        int rows = steps * batch;
        int w = k * n;
        double[] gates = load(u, uOffset, rows, w, ldu);
        double[] highway = k == 3 ? load(x, xOffset, rows, n, ldx) : null;
        double[] vv = load(v, vOffset, 1, 2 * n, 2 * n);
        double[] bb = load(bias, biasOffset, 1, 2 * n, 2 * n);
        double[] init = loadOrZeros(c0, c0Offset, batch, n, n);
        double[] cs = load(c, cOffset, rows, n, ldc);
        double[] dhs = loadOrZeros(dh, dhOffset, rows, n, lddh);
        double[] carry = loadOrZeros(dcLast, dcLastOffset, batch, n, n);
        double[] dgates = new double[rows * w];
        double[] dhigh = k == 3 ? load(dx, dxOffset, rows, n, lddx) : null;
        double[] dvs = new double[batch * 2 * n];
        int[] len = lengthsOf(lengths, batch, steps);
        for (int s = steps - 1; s >= 0; s--) {
            int t = reverse ? steps - 1 - s : s;
            int prev = reverse ? t + 1 : t - 1;
            boolean first = prev < 0 || prev >= steps;
            for (int b = 0; b < batch; b++) {
                if (t >= len[b]) {
                    continue;  // c passed through unchanged, h was 0: du stays 0, the carry passes on
                }
                int row = t * batch + b;
                for (int j = 0; j < n; j++) {
                    int at = b * n + j;
                    int g = row * w + j;
                    double cp = first ? init[at] : cs[(prev * batch + b) * n + j];
                    double f = sigmoid(gates[g + n] + vv[j] * cp + bb[j]);
                    double r = sigmoid(gates[g + 2 * n] + vv[n + j] * cp + bb[n + j]);
                    double cn = cs[row * n + j];
                    double gc = act == Activation.TANH ? Math.tanh(cn) : cn;
                    double xh = k == 4 ? gates[g + 3 * n] : highway[row * n + j];
                    double d = dhs[row * n + j];
                    double dr = d * (gc - xh) * r * (1 - r);
                    double dct = carry[at] + (act == Activation.TANH ? d * r * (1 - gc * gc) : d * r);
                    double df = dct * (cp - gates[g]) * f * (1 - f);
                    dgates[g] = dct * (1 - f);
                    dgates[g + n] = df;
                    dgates[g + 2 * n] = dr;
                    if (k == 4) {
                        dgates[g + 3 * n] = d * (1 - r);
                    } else {
                        dhigh[row * n + j] += d * (1 - r);
                    }
                    dvs[b * 2 * n + j] += df * cp;
                    dvs[b * 2 * n + n + j] += dr * cp;
                    carry[at] = dct * f + df * vv[j] + dr * vv[n + j];
                }
            }
        }
        store(du, duOffset, rows, w, lddu, dgates);
        if (k == 3) {
            store(dx, dxOffset, rows, n, lddx, dhigh);
        }
        store(dv, dvOffset, batch, 2 * n, 2 * n, dvs);
        if (dc0 != null) {
            store(dc0, dc0Offset, batch, n, n, carry);
        }
    }

    // ---- oLRN scan: the formulas of lrn4j_olrn_scan_forward / _backward, in the LRN scan's loops ----------

    @Override
    protected void olrnScanForwardImpl(int steps, int batch, int hidden, Tensor g, long gOffset, int ldg,
                                       Tensor h0, long h0Offset, Tensor lengths, Activation act, boolean reverse,
                                       Tensor hs, long hsOffset, int ldh, Tensor cs, long csOffset, int ldc,
                                       Tensor hLast, long hLastOffset) {
        scanForward(steps, batch, hidden, g, gOffset, ldg, h0, h0Offset, lengths, act, reverse, hs, hsOffset, ldh,
                cs, csOffset, ldc, hLast, hLastOffset);
    }

    @Override
    protected void olrnScanBackwardImpl(int steps, int batch, int hidden, Tensor g, long gOffset, int ldg,
                                        Tensor h0, long h0Offset, Tensor lengths, Activation act, boolean reverse,
                                        Tensor hs, long hsOffset, int ldh, Tensor cs, long csOffset, int ldc,
                                        Tensor dhs, long dhsOffset, int lddh, Tensor dhLast, long dhLastOffset,
                                        Tensor dg, long dgOffset, int lddg, Tensor dh0, long dh0Offset) {
        scanBackward(steps, batch, hidden, g, gOffset, ldg, h0, h0Offset, lengths, act, reverse, hs, hsOffset, ldh,
                cs, csOffset, ldc, dhs, dhsOffset, lddh, dhLast, dhLastOffset, dg, dgOffset, lddg, dh0, dh0Offset);
    }

    /** Sequence lengths as an array; all {@code steps} when {@code lengths} is null. */
    static int[] lengthsOf(Tensor lengths, int batch, int steps) {
        int[] len = new int[batch];
        for (int b = 0; b < batch; b++) {
            len[b] = lengths == null ? steps : (int) lengths.get(b);
        }
        return len;
    }

    @Override
    protected void layerNormForwardImpl(int m, int groups, int groupSize, Tensor x, long xOffset, int ldx,
                                        Tensor gamma, Tensor beta, double eps, Tensor y, long yOffset, int ldy,
                                        Tensor mean, Tensor rstd) {
        int width = groups * groupSize;
        double[] in = load(x, xOffset, m, width, ldx);
        double[] gam = loadOrNull(gamma, 0, 1, width);
        double[] bet = loadOrNull(beta, 0, 1, width);
        double[] out = new double[m * width];
        double[] mu = new double[m * groups];
        double[] rs = new double[m * groups];
        for (int r = 0; r < m; r++) {
            for (int grp = 0; grp < groups; grp++) {
                int base = r * width + grp * groupSize;
                double sum = 0;
                for (int j = 0; j < groupSize; j++) {
                    sum += in[base + j];
                }
                double mean0 = sum / groupSize;
                double var = 0;
                for (int j = 0; j < groupSize; j++) {
                    double d = in[base + j] - mean0;
                    var += d * d;
                }
                double rstd0 = 1.0 / Math.sqrt(var / groupSize + eps);
                mu[r * groups + grp] = mean0;
                rs[r * groups + grp] = rstd0;
                for (int j = 0; j < groupSize; j++) {
                    int c = grp * groupSize + j;
                    double xhat = (in[base + j] - mean0) * rstd0;
                    out[base + j] = (gam == null ? 1.0 : gam[c]) * xhat + (bet == null ? 0.0 : bet[c]);
                }
            }
        }
        store(y, yOffset, m, width, ldy, out);
        store(mean, 0, m, groups, groups, mu);
        store(rstd, 0, m, groups, groups, rs);
    }

    @Override
    protected void layerNormBackwardImpl(int m, int groups, int groupSize, Tensor x, long xOffset, int ldx,
                                         Tensor gamma, Tensor mean, Tensor rstd, Tensor dy, long dyOffset,
                                         int lddy, Tensor dx, long dxOffset, int lddx,
                                         Tensor dgamma, Tensor dbeta) {
        int width = groups * groupSize;
        double[] in = load(x, xOffset, m, width, ldx);
        double[] gam = loadOrNull(gamma, 0, 1, width);
        double[] mu = load(mean, 0, m, groups, groups);
        double[] rs = load(rstd, 0, m, groups, groups);
        double[] grad = load(dy, dyOffset, m, width, lddy);
        double[] out = new double[m * width];
        double[] dgam = dgamma == null ? null : load(dgamma, 0, 1, width, width);
        double[] dbet = dbeta == null ? null : load(dbeta, 0, 1, width, width);
        for (int r = 0; r < m; r++) {
            for (int grp = 0; grp < groups; grp++) {
                int base = r * width + grp * groupSize;
                double mean0 = mu[r * groups + grp];
                double rstd0 = rs[r * groups + grp];
                // dxhat = dy * gamma; dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
                double sumD = 0;
                double sumDX = 0;
                for (int j = 0; j < groupSize; j++) {
                    int c = grp * groupSize + j;
                    double xhat = (in[base + j] - mean0) * rstd0;
                    double dxhat = grad[base + j] * (gam == null ? 1.0 : gam[c]);
                    sumD += dxhat;
                    sumDX += dxhat * xhat;
                    if (dgam != null) {
                        dgam[c] += grad[base + j] * xhat;
                    }
                    if (dbet != null) {
                        dbet[c] += grad[base + j];
                    }
                }
                for (int j = 0; j < groupSize; j++) {
                    int c = grp * groupSize + j;
                    double xhat = (in[base + j] - mean0) * rstd0;
                    double dxhat = grad[base + j] * (gam == null ? 1.0 : gam[c]);
                    out[base + j] = rstd0 * (dxhat - sumD / groupSize - xhat * sumDX / groupSize);
                }
            }
        }
        store(dx, dxOffset, m, width, lddx, out);
        if (dgam != null) {
            store(dgamma, 0, 1, width, width, dgam);
        }
        if (dbet != null) {
            store(dbeta, 0, 1, width, width, dbet);
        }
    }
}

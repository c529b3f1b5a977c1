package org.lrn4j.backend;

import java.nio.FloatBuffer;
import java.util.Arrays;

import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Device;
import org.lrn4j.tensor.HostStorage;
import org.lrn4j.tensor.Tensor;

/**
 * The pure-Java fallback, used wherever no native library loads: FLOAT32 kernels in plain Java 17 that
 * the JIT vectorises, on several threads ({@link KernelThreads}; results do not depend on their number).
 * FLOAT64 calls go to {@link ReferenceBackend}, which computes in double anyway.
 *
 * <p>Views move between a tensor's direct buffer and reusable per-thread float arrays with bulk
 * transfers (one per row segment); no hot loop touches the buffer element by element. The GEMM is
 * {@link JavaGemm}. The scan works on one (batch row, block of hidden units) per task with time
 * outside and hidden units innermost, in float, with the vectorisable activations of
 * {@link FloatActivations}; layer norm keeps its statistics in double, as in the reference.
 *
 * <p>System property read once, at first use: {@code lrn4j.threads} (kernel threads, default: all
 * processors), shared with the native backend.
 */
public final class JavaBackend extends Backend {
    public static final JavaBackend INSTANCE = new JavaBackend();

    private static final ReferenceBackend REFERENCE = ReferenceBackend.INSTANCE;
    /** Hidden units per scan task, so that a batch of one still splits across threads. */
    private static final int SCAN_BLOCK = 128;
    /** Rows per layer-norm task. */
    private static final int ROW_BLOCK = 16;
    /** Columns per column-sum (and dgamma/dbeta) task. */
    private static final int COL_BLOCK = 256;

    // Per-thread working rows, numbered only so that one task can hold several at once.
    private static final ThreadLocal<float[]> ROW_1 = new ThreadLocal<>();
    private static final ThreadLocal<float[]> ROW_2 = new ThreadLocal<>();
    private static final ThreadLocal<float[]> ROW_3 = new ThreadLocal<>();
    private static final ThreadLocal<float[]> ROW_4 = new ThreadLocal<>();
    private static final ThreadLocal<float[]> ROW_5 = new ThreadLocal<>();
    private static final ThreadLocal<float[][]> SCAN_ROWS = new ThreadLocal<>();
    private static final ThreadLocal<float[][]> CELL_ROWS = new ThreadLocal<>();
    private static final ThreadLocal<float[]> SUMS = new ThreadLocal<>();

    private KernelThreads threads;

    private JavaBackend() {
    }

    private synchronized KernelThreads pool() {
        if (threads == null) {
            threads = new KernelThreads(KernelThreads.configured());
        }
        return threads;
    }

    public int threads() {
        return pool().threads();
    }

    /** Sets the number of kernel threads (>= 1). Results do not depend on it. */
    public void setThreads(int n) {
        pool().setThreads(n);
    }

    @Override
    public String name() {
        return "java";
    }

    @Override
    public Device device() {
        return Device.HOST;
    }

    @Override
    public String description() {
        return "pure Java kernels (float32 vectorised by the JIT, " + threads() + " threads)";
    }

    @Override
    public boolean supports(DType dtype) {
        return dtype == DType.FLOAT32 || dtype == DType.FLOAT64;
    }

    @Override
    public Tensor allocate(DType dtype, long... shape) {
        return Tensor.host(dtype, shape);
    }

    /**
     * The elements of a validated FLOAT32 host tensor (null stays null). Host storage is in native byte
     * order, so this view's bulk get and put are plain memory copies; absolute indices leave the
     * view's position alone, so tasks on several threads may share it.
     */
    private static FloatBuffer floats(Tensor t) {
        return t == null ? null : ((HostStorage) t.storage()).buffer().asFloatBuffer();
    }

    /** The first n elements of a FLOAT32 host tensor in a new array (null stays null). */
    private static float[] copyOf(Tensor t, int n) {
        if (t == null) {
            return null;
        }
        float[] out = new float[n];
        floats(t).get(0, out, 0, n);
        return out;
    }

    /** A per-thread array of at least n floats (contents undefined). */
    private static float[] scratch(ThreadLocal<float[]> slot, int n) {
        return JavaGemm.scratch(slot, n);
    }

    private static boolean reference(Tensor t) {
        return t.dtype() == DType.FLOAT64;
    }

    // Tensors have at most HostStorage.MAX_BYTES bytes, so element offsets validated by Backend fit an int.

    @Override
    protected void gemmImpl(boolean transA, boolean transB, int m, int n, int k,
                            Tensor a, long aOffset, int lda, Tensor b, long bOffset, int ldb,
                            Tensor bias, boolean accumulate, Tensor c, long cOffset, int ldc) {
        if (reference(c)) {
            REFERENCE.gemmImpl(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, bias, accumulate,
                    c, cOffset, ldc);
            return;
        }
        JavaGemm.gemm(pool(), transA, transB, m, n, k, floats(a), (int) aOffset, lda, floats(b), (int) bOffset,
                ldb, floats(bias), accumulate, floats(c), (int) cOffset, ldc);
    }

    private static final int STEP_CHUNK = 1 << 14;

    /** The float operations of lrn4j_adam_step in its order (Java never fuses them): equal to the native kernels. */
    @Override
    protected void adamStepImpl(Tensor p, Tensor g, Tensor m, Tensor v, double lr, double beta1, double beta2,
                                double eps, double weightDecay, double gradScale, double bc1, double bc2) {
        if (reference(p)) {
            REFERENCE.adamStepImpl(p, g, m, v, lr, beta1, beta2, eps, weightDecay, gradScale, bc1, bc2);
            return;
        }
        FloatBuffer pb = floats(p);
        FloatBuffer gb = floats(g);
        FloatBuffer mb = floats(m);
        FloatBuffer vb = floats(v);
        int n = (int) p.numel();
        float flr = (float) lr;
        float b1 = (float) beta1;
        float b2 = (float) beta2;
        float c1 = 1f - b1;
        float c2 = 1f - b2;
        float e = (float) eps;
        float wd = (float) weightDecay;
        float gsc = (float) gradScale;
        float fbc1 = (float) bc1;
        float fbc2 = (float) bc2;
        pool().run((n + STEP_CHUNK - 1) / STEP_CHUNK, task -> {
            for (int i = task * STEP_CHUNK; i < Math.min(n, (task + 1) * STEP_CHUNK); i++) {
                float gs = gsc * gb.get(i);
                float mi = b1 * mb.get(i) + c1 * gs;
                float vi = b2 * vb.get(i) + c2 * (gs * gs);
                mb.put(i, mi);
                vb.put(i, vi);
                float update = (mi / fbc1) / ((float) Math.sqrt(vi / fbc2) + e);
                float pi = pb.get(i);
                pb.put(i, pi - flr * (update + wd * pi));
            }
        });
    }

    @Override
    protected void sgdStepImpl(Tensor p, Tensor g, Tensor u, double lr, double momentum, double weightDecay,
                               double gradScale, boolean nesterov) {
        if (reference(p)) {
            REFERENCE.sgdStepImpl(p, g, u, lr, momentum, weightDecay, gradScale, nesterov);
            return;
        }
        FloatBuffer pb = floats(p);
        FloatBuffer gb = floats(g);
        FloatBuffer ub = floats(u);
        int n = (int) p.numel();
        float flr = (float) lr;
        float mu = (float) momentum;
        float wd = (float) weightDecay;
        float gsc = (float) gradScale;
        pool().run((n + STEP_CHUNK - 1) / STEP_CHUNK, task -> {
            for (int i = task * STEP_CHUNK; i < Math.min(n, (task + 1) * STEP_CHUNK); i++) {
                float pi = pb.get(i);
                float d = gsc * gb.get(i) + wd * pi;
                float ui = mu * ub.get(i) + d;
                ub.put(i, ui);
                pb.put(i, pi - flr * (nesterov ? d + mu * ui : ui));
            }
        });
    }

    @Override
    protected void activationForwardImpl(ActivationKind kind, int n, Tensor x, long xOffset, Tensor y, long yOffset) {
        if (reference(x)) {
            REFERENCE.activationForwardImpl(kind, n, x, xOffset, y, yOffset);
            return;
        }
        FloatBuffer xb = floats(x);
        FloatBuffer yb = floats(y);
        int xo = (int) xOffset;
        int yo = (int) yOffset;
        pool().run((n + STEP_CHUNK - 1) / STEP_CHUNK, task -> {
            int hi = Math.min(n, (task + 1) * STEP_CHUNK);
            for (int i = task * STEP_CHUNK; i < hi; i++) {
                float v = xb.get(xo + i);
                yb.put(yo + i, switch (kind) {
                    case IDENTITY -> v;
                    case TANH -> FloatActivations.tanh(v);
                    case RELU -> v < 0f ? 0f : v;
                    case SIGMOID -> FloatActivations.sigmoid(v);
                });
            }
        });
    }

    @Override
    protected void activationBackwardImpl(ActivationKind kind, int n, Tensor y, long yOffset, Tensor dy,
                                          long dyOffset, Tensor dx, long dxOffset) {
        if (reference(y)) {
            REFERENCE.activationBackwardImpl(kind, n, y, yOffset, dy, dyOffset, dx, dxOffset);
            return;
        }
        FloatBuffer yb = floats(y);
        FloatBuffer gb = floats(dy);
        FloatBuffer db = floats(dx);
        int yo = (int) yOffset;
        int go = (int) dyOffset;
        int dO = (int) dxOffset;
        pool().run((n + STEP_CHUNK - 1) / STEP_CHUNK, task -> {
            int hi = Math.min(n, (task + 1) * STEP_CHUNK);
            for (int i = task * STEP_CHUNK; i < hi; i++) {
                float v = yb.get(yo + i);
                float g = gb.get(go + i);
                db.put(dO + i, switch (kind) {
                    case IDENTITY -> g;
                    case TANH -> g * (1f - v * v);
                    case RELU -> v > 0f ? g : 0f;
                    case SIGMOID -> g * (v * (1f - v));
                });
            }
        });
    }

    @Override
    protected void dropoutImpl(Tensor x, Tensor y, double p, int threshold, long seed) {
        if (reference(x)) {
            REFERENCE.dropoutImpl(x, y, p, threshold, seed);
            return;
        }
        FloatBuffer xb = floats(x);
        FloatBuffer yb = floats(y);
        int n = (int) x.numel();
        float scale = (float) (1 / (1 - p));
        pool().run((n + STEP_CHUNK - 1) / STEP_CHUNK, task -> {
            for (int i = task * STEP_CHUNK; i < Math.min(n, (task + 1) * STEP_CHUNK); i++) {
                yb.put(i, dropoutKeeps(seed, i, threshold) ? xb.get(i) * scale : 0f);
            }
        });
    }

    /** Blocks of 4096 summed in double in order, block sums added in order. */
    @Override
    protected double sumOfSquaresImpl(Tensor x) {
        if (reference(x)) {
            return REFERENCE.sumOfSquaresImpl(x);
        }
        FloatBuffer xb = floats(x);
        int n = (int) x.numel();
        int blocks = (n + 4095) / 4096;
        double[] sums = new double[blocks];
        pool().run(blocks, b -> {
            double s = 0;
            for (int i = b * 4096; i < Math.min(n, (b + 1) * 4096); i++) {
                double v = xb.get(i);
                s += v * v;
            }
            sums[b] = s;
        });
        double total = 0;
        for (double s : sums) {
            total += s;
        }
        return total;
    }

    /** Each task copies a block of rows. */
    @Override
    protected void embeddingGatherImpl(int m, int d, Tensor ids, Tensor table, int rows, int ldt,
                                       Tensor out, long outOffset, int ldo) {
        if (reference(table)) {
            REFERENCE.embeddingGatherImpl(m, d, ids, table, rows, ldt, out, outOffset, ldo);
            return;
        }
        FloatBuffer t = floats(table);
        FloatBuffer o = floats(out);
        java.nio.IntBuffer id = ((HostStorage) ids.storage()).buffer().asIntBuffer();
        int base = (int) outOffset;
        pool().run((m + ROW_BLOCK - 1) / ROW_BLOCK, task -> {
            float[] row = scratch(ROW_1, d);
            for (int i = task * ROW_BLOCK; i < Math.min(m, (task + 1) * ROW_BLOCK); i++) {
                int r = id.get(i);
                if (r >= 0) {
                    t.get(r * ldt, row, 0, d);
                } else {
                    Arrays.fill(row, 0, d, 0f);
                }
                o.put(base + i * ldo, row, 0, d);
            }
        });
    }

    /** Each task owns a block of columns and adds every id's row in increasing order. */
    @Override
    protected void embeddingScatterAddImpl(int m, int d, Tensor ids, Tensor dOut, long dOutOffset, int ldo,
                                           Tensor dTable, int rows, int ldt) {
        if (reference(dTable)) {
            REFERENCE.embeddingScatterAddImpl(m, d, ids, dOut, dOutOffset, ldo, dTable, rows, ldt);
            return;
        }
        FloatBuffer g = floats(dOut);
        FloatBuffer t = floats(dTable);
        java.nio.IntBuffer id = ((HostStorage) ids.storage()).buffer().asIntBuffer();
        int base = (int) dOutOffset;
        pool().run((d + COL_BLOCK - 1) / COL_BLOCK, task -> {
            int j0 = task * COL_BLOCK;
            int w = Math.min(COL_BLOCK, d - j0);
            float[] acc = scratch(ROW_1, w);
            float[] row = scratch(ROW_2, w);
            for (int i = 0; i < m; i++) {
                int r = id.get(i);
                if (r < 0) {
                    continue;
                }
                t.get(r * ldt + j0, acc, 0, w);
                g.get(base + i * ldo + j0, row, 0, w);
                for (int j = 0; j < w; j++) {
                    acc[j] += row[j];
                }
                t.put(r * ldt + j0, acc, 0, w);
            }
        });
    }

    /**
     * Each task takes a block of rows; per row the maximum, the sum of exp(x − max) in double in column
     * order, then the gradient {@code (scale / sum) · exp(x − max)} with the target element recomputed.
     */
    @Override
    protected void softmaxCrossEntropyImpl(int m, int n, Tensor logits, long offset, int ld, Tensor targets,
                                           double scale, Tensor loss, Tensor dLogits, long dOffset, int ldd) {
        if (reference(logits)) {
            REFERENCE.softmaxCrossEntropyImpl(m, n, logits, offset, ld, targets, scale, loss, dLogits, dOffset, ldd);
            return;
        }
        FloatBuffer x = floats(logits);
        FloatBuffer l = floats(loss);
        FloatBuffer d = floats(dLogits);
        java.nio.IntBuffer tg = ((HostStorage) targets.storage()).buffer().asIntBuffer();
        int base = (int) offset;
        int dBase = (int) dOffset;
        pool().run((m + ROW_BLOCK - 1) / ROW_BLOCK, task -> {
            float[] row = scratch(ROW_1, n);
            for (int i = task * ROW_BLOCK; i < Math.min(m, (task + 1) * ROW_BLOCK); i++) {
                int t = tg.get(i);
                if (t < 0) {
                    l.put(i, 0f);
                    if (d != null) {
                        Arrays.fill(row, 0, n, 0f);
                        d.put(dBase + i * ldd, row, 0, n);
                    }
                    continue;
                }
                x.get(base + i * ld, row, 0, n);
                float max = row[0];
                for (int j = 1; j < n; j++) {
                    max = Math.max(max, row[j]);
                }
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    sum += Math.exp(row[j] - max);
                }
                double lse = max + Math.log(sum);
                float xt = row[t];
                l.put(i, (float) (lse - xt));
                if (d != null) {
                    float factor = (float) (scale / sum);
                    for (int j = 0; j < n; j++) {
                        row[j] = factor * (float) Math.exp(row[j] - max);
                    }
                    row[t] = (float) (scale * (Math.exp(xt - lse) - 1));
                    d.put(dBase + i * ldd, row, 0, n);
                }
            }
        });
    }

    /** Each task sums a block of columns over all rows, in row order, in float. */
    @Override
    protected void colSumImpl(int m, int n, Tensor a, long aOffset, int lda, boolean accumulate, Tensor out,
                              long outOffset) {
        if (reference(out)) {
            REFERENCE.colSumImpl(m, n, a, aOffset, lda, accumulate, out, outOffset);
            return;
        }
        FloatBuffer x = floats(a);
        FloatBuffer o = floats(out);
        int base = (int) aOffset;
        int outBase = (int) outOffset;
        pool().run((n + COL_BLOCK - 1) / COL_BLOCK, t -> {
            int j0 = t * COL_BLOCK;
            int w = Math.min(COL_BLOCK, n - j0);
            float[] sum = scratch(SUMS, w);
            float[] row = scratch(ROW_1, w);
            Arrays.fill(sum, 0, w, 0f);
            for (int i = 0; i < m; i++) {
                x.get(base + i * lda + j0, row, 0, w);
                for (int j = 0; j < w; j++) {
                    sum[j] += row[j];
                }
            }
            if (accumulate) {
                o.get(outBase + j0, row, 0, w);
                for (int j = 0; j < w; j++) {
                    sum[j] = row[j] + sum[j];
                }
            }
            o.put(outBase + j0, sum, 0, w);
        });
    }

    @Override
    protected void lrnScanForwardImpl(int steps, int batch, int hidden,
                                      Tensor g, long gOffset, int ldg, Tensor h0, long h0Offset,
                                      Tensor lengths, Activation act, boolean reverse,
                                      Tensor hs, long hsOffset, int ldh, Tensor hLast, long hLastOffset) {
        if (reference(g)) {
            REFERENCE.lrnScanForwardImpl(steps, batch, hidden, g, gOffset, ldg, h0, h0Offset, lengths, act, reverse,
                    hs, hsOffset, ldh, hLast, hLastOffset);
            return;
        }
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
        if (reference(g)) {
            REFERENCE.lrnScanBackwardImpl(steps, batch, hidden, g, gOffset, ldg, h0, h0Offset, lengths, act,
                    reverse, hs, hsOffset, ldh, dhs, dhsOffset, lddh, dhLast, dhLastOffset, dg, dgOffset, lddg,
                    dh0, dh0Offset);
            return;
        }
        scanBackward(steps, batch, hidden, g, gOffset, ldg, h0, h0Offset, lengths, act, reverse, hs, hsOffset, ldh,
                null, 0, 0, dhs, dhsOffset, lddh, dhLast, dhLastOffset, dg, dgOffset, lddg, dh0, dh0Offset);
    }

    /**
     * The LRN scan (cs null: gates [q, k, v]) and the oLRN scan (gates [q, k, v, p], c written to cs), in
     * float: plain LRN is the oLRN with o = 1, h = c. Tasks: (batch row b, hidden units [j0, j0 + SCAN_BLOCK));
     * each walks time with its state in an array. The step is split into short loops, each storing one array
     * at index j: C2 unrolls (and so vectorises) only loops with small bodies, and only when no store could
     * feed another array's load.
     */
    private void scanForward(int steps, int batch, int hidden, Tensor g, long gOffset, int ldg, Tensor h0,
                             long h0Offset, Tensor lengths, Activation act, boolean reverse, Tensor hs, long hsOffset,
                             int ldh, Tensor cs, long csOffset, int ldc, Tensor hLast, long hLastOffset) {
        boolean gated = cs != null;
        FloatBuffer gates = floats(g);
        FloatBuffer init = floats(h0);
        FloatBuffer out = floats(hs);
        FloatBuffer cells = floats(cs);
        FloatBuffer last = floats(hLast);
        int[] len = ReferenceBackend.lengthsOf(lengths, batch, steps);
        boolean tanh = act == Activation.TANH;
        int blocks = (hidden + SCAN_BLOCK - 1) / SCAN_BLOCK;
        pool().run(batch * blocks, task -> {
            int b = task / blocks;
            int j0 = task % blocks * SCAN_BLOCK;
            int w = Math.min(SCAN_BLOCK, hidden - j0);
            float[][] rows = JavaGemm.scratchRows(SCAN_ROWS, 8, SCAN_BLOCK);
            float[] h = rows[0];
            float[] q = rows[1];
            float[] k = rows[2];
            float[] v = rows[3];
            float[] p = rows[4];
            float[] i = rows[5];
            float[] f = rows[6];
            // Plain LRN's update writes the state itself.
            float[] c = gated ? rows[7] : h;
            if (init == null) {
                Arrays.fill(h, 0, w, 0f);
            } else {
                init.get((int) h0Offset + b * hidden + j0, h, 0, w);
            }
            for (int s = 0; s < steps; s++) {
                int t = reverse ? steps - 1 - s : s;
                int row = t * batch + b;
                if (t < len[b]) {
                    int at = (int) gOffset + row * ldg + j0;
                    gates.get(at, q, 0, w);
                    gates.get(at + hidden, k, 0, w);
                    gates.get(at + 2 * hidden, v, 0, w);
                    for (int j = 0; j < w; j++) {
                        i[j] = FloatActivations.sigmoid(k[j] + h[j]);
                    }
                    for (int j = 0; j < w; j++) {
                        f[j] = FloatActivations.sigmoid(q[j] - h[j]);
                    }
                    for (int j = 0; j < w; j++) {
                        c[j] = i[j] * v[j] + f[j] * h[j];
                    }
                    if (tanh) {
                        for (int j = 0; j < w; j++) {
                            c[j] = FloatActivations.tanh(c[j]);
                        }
                    }
                    if (gated) {
                        gates.get(at + 3 * hidden, p, 0, w);
                        for (int j = 0; j < w; j++) {
                            h[j] = FloatActivations.sigmoid(p[j] - c[j]) * c[j];
                        }
                    }
                } else if (gated) {
                    Arrays.fill(c, 0, w, 0f);
                }
                out.put((int) hsOffset + row * ldh + j0, h, 0, w);
                if (gated) {
                    cells.put((int) csOffset + row * ldc + j0, c, 0, w);
                }
            }
            if (last != null) {
                last.put((int) hLastOffset + b * hidden + j0, h, 0, w);
            }
        });
    }

    /** Backward of {@link #scanForward}; tasks and loop shape as there, walking time in reverse. */
    private void scanBackward(int steps, int batch, int hidden, Tensor g, long gOffset, int ldg, Tensor h0,
                              long h0Offset, Tensor lengths, Activation act, boolean reverse, Tensor hs, long hsOffset,
                              int ldh, Tensor cs, long csOffset, int ldc, Tensor dhs, long dhsOffset, int lddh,
                              Tensor dhLast, long dhLastOffset, Tensor dg, long dgOffset, int lddg, Tensor dh0,
                              long dh0Offset) {
        boolean gated = cs != null;
        int planes = gated ? 4 : 3;
        FloatBuffer gates = floats(g);
        FloatBuffer init = floats(h0);
        FloatBuffer states = floats(hs);
        FloatBuffer cells = floats(cs);
        FloatBuffer dstates = floats(dhs);
        FloatBuffer dlast = floats(dhLast);
        FloatBuffer dgates = floats(dg);
        FloatBuffer dinit = floats(dh0);
        int[] len = ReferenceBackend.lengthsOf(lengths, batch, steps);
        boolean tanh = act == Activation.TANH;
        int blocks = (hidden + SCAN_BLOCK - 1) / SCAN_BLOCK;
        pool().run(batch * blocks, task -> {
            int b = task / blocks;
            int j0 = task % blocks * SCAN_BLOCK;
            int w = Math.min(SCAN_BLOCK, hidden - j0);
            float[][] rows = JavaGemm.scratchRows(SCAN_ROWS, 16, SCAN_BLOCK);
            float[] q = rows[0];
            float[] k = rows[1];
            float[] v = rows[2];
            float[] p = rows[3];
            float[] hp = rows[4];
            float[] c = rows[5];
            float[] dh = rows[6];
            float[] i = rows[7];
            float[] f = rows[8];
            float[] o = rows[9];
            float[] ds = rows[10];
            float[] dq = rows[11];
            float[] dk = rows[12];
            float[] dv = rows[13];
            float[] dp = rows[14];
            // dL/dh of the state carried to the step processed before this one.
            float[] carry = rows[15];
            if (dlast == null) {
                Arrays.fill(carry, 0, w, 0f);
            } else {
                dlast.get((int) dhLastOffset + b * hidden + j0, carry, 0, w);
            }
            for (int s = steps - 1; s >= 0; s--) {
                int t = reverse ? steps - 1 - s : s;
                // The step processed just before t in forward order holds the previous state.
                int prev = reverse ? t + 1 : t - 1;
                boolean first = prev < 0 || prev >= steps;
                int row = t * batch + b;
                int dgAt = (int) dgOffset + row * lddg + j0;
                if (dstates == null) {
                    Arrays.fill(dh, 0, w, 0f);
                } else {
                    dstates.get((int) dhsOffset + row * lddh + j0, dh, 0, w);
                }
                for (int j = 0; j < w; j++) {
                    dh[j] = dh[j] + carry[j];
                }
                if (t >= len[b]) {
                    // Past its length the state passed through unchanged and the gates were not used.
                    System.arraycopy(dh, 0, carry, 0, w);
                    Arrays.fill(dq, 0, w, 0f);
                    for (int plane = 0; plane < planes; plane++) {
                        dgates.put(dgAt + plane * hidden, dq, 0, w);
                    }
                    continue;
                }
                int at = (int) gOffset + row * ldg + j0;
                gates.get(at, q, 0, w);
                gates.get(at + hidden, k, 0, w);
                gates.get(at + 2 * hidden, v, 0, w);
                if (first && init == null) {
                    Arrays.fill(hp, 0, w, 0f);
                } else if (first) {
                    init.get((int) h0Offset + b * hidden + j0, hp, 0, w);
                } else {
                    states.get((int) hsOffset + (prev * batch + b) * ldh + j0, hp, 0, w);
                }
                // c of the step: saved by the oLRN forward pass; the state itself for plain LRN.
                if (gated) {
                    cells.get((int) csOffset + row * ldc + j0, c, 0, w);
                } else if (tanh) {
                    states.get((int) hsOffset + row * ldh + j0, c, 0, w);
                }
                for (int j = 0; j < w; j++) {
                    i[j] = FloatActivations.sigmoid(k[j] + hp[j]);
                }
                for (int j = 0; j < w; j++) {
                    f[j] = FloatActivations.sigmoid(q[j] - hp[j]);
                }
                if (gated) {
                    gates.get(at + 3 * hidden, p, 0, w);
                    for (int j = 0; j < w; j++) {
                        o[j] = FloatActivations.sigmoid(p[j] - c[j]);
                    }
                    for (int j = 0; j < w; j++) {
                        dp[j] = dh[j] * c[j] * o[j] * (1 - o[j]);
                    }
                    for (int j = 0; j < w; j++) {
                        ds[j] = dh[j] * o[j] - dp[j];
                    }
                } else {
                    System.arraycopy(dh, 0, ds, 0, w);
                }
                if (tanh) {
                    for (int j = 0; j < w; j++) {
                        ds[j] = ds[j] * (1 - c[j] * c[j]);
                    }
                }
                for (int j = 0; j < w; j++) {
                    dk[j] = ds[j] * v[j] * i[j] * (1 - i[j]);
                }
                for (int j = 0; j < w; j++) {
                    dq[j] = ds[j] * hp[j] * f[j] * (1 - f[j]);
                }
                for (int j = 0; j < w; j++) {
                    dv[j] = ds[j] * i[j];
                }
                for (int j = 0; j < w; j++) {
                    carry[j] = ds[j] * f[j] + dk[j] - dq[j];
                }
                dgates.put(dgAt, dq, 0, w);
                dgates.put(dgAt + hidden, dk, 0, w);
                dgates.put(dgAt + 2 * hidden, dv, 0, w);
                if (gated) {
                    dgates.put(dgAt + 3 * hidden, dp, 0, w);
                }
            }
            if (dinit != null) {
                dinit.put((int) dh0Offset + b * hidden + j0, carry, 0, w);
            }
        });
    }

    // ---- LSTM, GRU and ATR steps ----------------------------------------------------------------------

    /** n floats of a FLOAT32 host tensor from offset, in a new array (null stays null). */
    private static float[] copyOf(Tensor t, long offset, int n) {
        if (t == null) {
            return null;
        }
        float[] out = new float[n];
        floats(t).get((int) offset, out, 0, n);
        return out;
    }

    /** Row r of a [rows, n] view into dst, or zeros for an absent view. */
    private static void row(FloatBuffer t, long offset, int ld, int r, float[] dst, int n) {
        if (t == null) {
            Arrays.fill(dst, 0, n, 0f);
        } else {
            t.get((int) offset + r * ld, dst, 0, n);
        }
    }

    /**
     * One task per sequence: its rows of gx and gh, its state, then the formulas of lrn4j_cell_step_forward
     * in float, unit by unit.
     */
    @Override
    protected void cellStepForwardImpl(Cell cell, int batch, int hidden, int step, Tensor lengths,
                                       Tensor gx, long gxOffset, int ldgx, Tensor gh, long ghOffset, int ldgh,
                                       Tensor bh, long bhOffset, Tensor hPrev, long hPrevOffset, int ldhp,
                                       Tensor cPrev, long cPrevOffset, int ldcp, Tensor h, long hOffset, int ldh,
                                       Tensor c, long cOffset, int ldc, Tensor last, long lastOffset, int ldLast) {
        if (reference(gx)) {
            REFERENCE.cellStepForwardImpl(cell, batch, hidden, step, lengths, gx, gxOffset, ldgx, gh, ghOffset, ldgh,
                    bh, bhOffset, hPrev, hPrevOffset, ldhp, cPrev, cPrevOffset, ldcp, h, hOffset, ldh, c, cOffset,
                    ldc, last, lastOffset, ldLast);
            return;
        }
        FloatBuffer xb = floats(gx);
        FloatBuffer rb = floats(gh);
        FloatBuffer hpb = floats(hPrev);
        FloatBuffer cpb = floats(cPrev);
        FloatBuffer hb = floats(h);
        FloatBuffer cb = floats(c);
        FloatBuffer lb = floats(last);
        float[] bias = copyOf(bh, bhOffset, hidden);
        int[] len = ReferenceBackend.lengthsOf(lengths, batch, Integer.MAX_VALUE);
        int n = hidden;
        int w = cell.planes() * n;
        pool().run(batch, b -> {
            float[][] rows = JavaGemm.scratchRows(CELL_ROWS, 6, w);
            float[] x = rows[0];
            float[] r = rows[1];
            float[] hp = rows[2];
            float[] cp = rows[3];
            float[] ho = rows[4];
            float[] co = rows[5];
            row(hpb, hPrevOffset, ldhp, b, hp, n);
            row(cpb, cPrevOffset, ldcp, b, cp, n);
            if (step >= len[b]) {
                System.arraycopy(hp, 0, ho, 0, n);
                System.arraycopy(cp, 0, co, 0, n);
            } else {
                xb.get((int) gxOffset + b * ldgx, x, 0, w);
                rb.get((int) ghOffset + b * ldgh, r, 0, w);
                switch (cell) {
                    case LSTM -> {
                        for (int j = 0; j < n; j++) {
                            float i = FloatActivations.sigmoid(x[j] + r[j]);
                            float f = FloatActivations.sigmoid(x[n + j] + r[n + j]);
                            float g = FloatActivations.tanh(x[2 * n + j] + r[2 * n + j]);
                            float o = FloatActivations.sigmoid(x[3 * n + j] + r[3 * n + j]);
                            co[j] = f * cp[j] + i * g;
                            ho[j] = o * FloatActivations.tanh(co[j]);
                        }
                    }
                    case GRU -> {
                        for (int j = 0; j < n; j++) {
                            float rg = FloatActivations.sigmoid(x[j] + r[j]);
                            float z = FloatActivations.sigmoid(x[n + j] + r[n + j]);
                            float nn = FloatActivations.tanh(x[2 * n + j] + rg * (r[2 * n + j] + (bias == null ? 0f : bias[j])));
                            ho[j] = (1 - z) * nn + z * hp[j];
                        }
                    }
                    case ATR -> {
                        for (int j = 0; j < n; j++) {
                            float p = x[j];
                            float q = r[j] + (bias == null ? 0f : bias[j]);
                            ho[j] = FloatActivations.sigmoid(p + q) * p + FloatActivations.sigmoid(p - q) * hp[j];
                        }
                    }
                }
            }
            hb.put((int) hOffset + b * ldh, ho, 0, n);
            if (cb != null) {
                cb.put((int) cOffset + b * ldc, co, 0, n);
            }
            if (lb != null) {
                lb.put((int) lastOffset + b * ldLast, ho, 0, n);
                if (cell.hasCellState()) {
                    lb.put((int) lastOffset + b * ldLast + n, co, 0, n);
                }
            }
        });
    }

    /** Tasks as in the forward step; the formulas of lrn4j_cell_step_backward in float. */
    @Override
    protected void cellStepBackwardImpl(Cell cell, int batch, int hidden, int step, Tensor lengths,
                                        Tensor gx, long gxOffset, int ldgx, Tensor gh, long ghOffset, int ldgh,
                                        Tensor bh, long bhOffset, Tensor hPrev, long hPrevOffset, int ldhp,
                                        Tensor cPrev, long cPrevOffset, int ldcp, Tensor c, long cOffset, int ldc,
                                        Tensor dhOut, long dhOutOffset, int lddo, Tensor dh, long dhOffset, int lddh,
                                        Tensor dc, long dcOffset, int lddc, Tensor dgx, long dgxOffset, int lddgx,
                                        Tensor dgh, long dghOffset, int lddgh) {
        if (reference(gx)) {
            REFERENCE.cellStepBackwardImpl(cell, batch, hidden, step, lengths, gx, gxOffset, ldgx, gh, ghOffset, ldgh,
                    bh, bhOffset, hPrev, hPrevOffset, ldhp, cPrev, cPrevOffset, ldcp, c, cOffset, ldc, dhOut,
                    dhOutOffset, lddo, dh, dhOffset, lddh, dc, dcOffset, lddc, dgx, dgxOffset, lddgx, dgh, dghOffset,
                    lddgh);
            return;
        }
        FloatBuffer xb = floats(gx);
        FloatBuffer rb = floats(gh);
        FloatBuffer hpb = floats(hPrev);
        FloatBuffer cpb = floats(cPrev);
        FloatBuffer csb = floats(c);
        FloatBuffer dob = floats(dhOut);
        FloatBuffer dhb = floats(dh);
        FloatBuffer dcb = floats(dc);
        FloatBuffer dxb = floats(dgx);
        FloatBuffer drb = floats(dgh);
        float[] bias = copyOf(bh, bhOffset, hidden);
        int[] len = ReferenceBackend.lengthsOf(lengths, batch, Integer.MAX_VALUE);
        int n = hidden;
        int w = cell.planes() * n;
        pool().run(batch, b -> {
            float[][] rows = JavaGemm.scratchRows(CELL_ROWS, 10, w);
            float[] x = rows[0];
            float[] r = rows[1];
            float[] hp = rows[2];
            float[] cp = rows[3];
            float[] cs = rows[4];
            float[] d = rows[5];
            float[] dcs = rows[6];
            float[] dx = rows[7];
            float[] dr = rows[8];
            float[] extra = rows[9];
            dhb.get((int) dhOffset + b * lddh, d, 0, n);
            if (dob != null) {
                dob.get((int) dhOutOffset + b * lddo, extra, 0, n);
                for (int j = 0; j < n; j++) {
                    d[j] = d[j] + extra[j];
                }
            }
            if (step >= len[b]) {
                // The state passed through unchanged (c too) and the gates were not used.
                dhb.put((int) dhOffset + b * lddh, d, 0, n);
                Arrays.fill(dx, 0, w, 0f);
                dxb.put((int) dgxOffset + b * lddgx, dx, 0, w);
                if (drb != null) {
                    drb.put((int) dghOffset + b * lddgh, dx, 0, w);
                }
                return;
            }
            xb.get((int) gxOffset + b * ldgx, x, 0, w);
            rb.get((int) ghOffset + b * ldgh, r, 0, w);
            row(hpb, hPrevOffset, ldhp, b, hp, n);
            switch (cell) {
                case LSTM -> {
                    row(cpb, cPrevOffset, ldcp, b, cp, n);
                    csb.get((int) cOffset + b * ldc, cs, 0, n);
                    dcb.get((int) dcOffset + b * lddc, dcs, 0, n);
                    for (int j = 0; j < n; j++) {
                        float i = FloatActivations.sigmoid(x[j] + r[j]);
                        float f = FloatActivations.sigmoid(x[n + j] + r[n + j]);
                        float g = FloatActivations.tanh(x[2 * n + j] + r[2 * n + j]);
                        float o = FloatActivations.sigmoid(x[3 * n + j] + r[3 * n + j]);
                        float tc = FloatActivations.tanh(cs[j]);
                        float dct = dcs[j] + d[j] * o * (1 - tc * tc);
                        dx[j] = dct * g * i * (1 - i);
                        dx[n + j] = dct * cp[j] * f * (1 - f);
                        dx[2 * n + j] = dct * i * (1 - g * g);
                        dx[3 * n + j] = d[j] * tc * o * (1 - o);
                        dcs[j] = dct * f;
                        d[j] = 0f;  // h_prev reaches the step only through gh
                    }
                    dcb.put((int) dcOffset + b * lddc, dcs, 0, n);
                }
                case GRU -> {
                    for (int j = 0; j < n; j++) {
                        float rg = FloatActivations.sigmoid(x[j] + r[j]);
                        float z = FloatActivations.sigmoid(x[n + j] + r[n + j]);
                        float hn = r[2 * n + j] + (bias == null ? 0f : bias[j]);
                        float nn = FloatActivations.tanh(x[2 * n + j] + rg * hn);
                        float dn = d[j] * (1 - z) * (1 - nn * nn);
                        float drg = dn * hn * rg * (1 - rg);
                        float dz = d[j] * (hp[j] - nn) * z * (1 - z);
                        dx[j] = drg;
                        dx[n + j] = dz;
                        dx[2 * n + j] = dn;
                        dr[j] = drg;
                        dr[n + j] = dz;
                        dr[2 * n + j] = dn * rg;
                        d[j] = d[j] * z;
                    }
                }
                case ATR -> {
                    for (int j = 0; j < n; j++) {
                        float p = x[j];
                        float q = r[j] + (bias == null ? 0f : bias[j]);
                        float i = FloatActivations.sigmoid(p + q);
                        float f = FloatActivations.sigmoid(p - q);
                        float di = d[j] * p * i * (1 - i);
                        float df = d[j] * hp[j] * f * (1 - f);
                        dx[j] = d[j] * i + di + df;
                        dr[j] = di - df;
                        d[j] = d[j] * f;
                    }
                }
            }
            dhb.put((int) dhOffset + b * lddh, d, 0, n);
            dxb.put((int) dgxOffset + b * lddgx, dx, 0, w);
            if (drb != null) {
                drb.put((int) dghOffset + b * lddgh, dr, 0, w);
            }
        });
    }

    // ---- SRU scan ---------------------------------------------------------------------------------------

    /**
     * Tasks: (sequence b, units [j0, j0 + SCAN_BLOCK)), as in the LRN scan; each walks time with its cell
     * state in an array, the formulas of lrn4j_sru_scan_forward in float.
     */
    @Override
    protected void sruScanForwardImpl(int steps, int batch, int hidden, int k, Tensor u, long uOffset, int ldu,
                                      Tensor x, long xOffset, int ldx, Tensor v, long vOffset, Tensor bias,
                                      long biasOffset, Tensor c0, long c0Offset, Tensor lengths, Activation act,
                                      boolean reverse, Tensor h, long hOffset, int ldh, Tensor c, long cOffset,
                                      int ldc, Tensor cLast, long cLastOffset) {
        if (reference(u)) {
            REFERENCE.sruScanForwardImpl(steps, batch, hidden, k, u, uOffset, ldu, x, xOffset, ldx, v, vOffset, bias,
                    biasOffset, c0, c0Offset, lengths, act, reverse, h, hOffset, ldh, c, cOffset, ldc, cLast,
                    cLastOffset);
            return;
        }
        FloatBuffer ub = floats(u);
        FloatBuffer xb = floats(x);
        FloatBuffer init = floats(c0);
        FloatBuffer hb = floats(h);
        FloatBuffer cb = floats(c);
        FloatBuffer last = floats(cLast);
        float[] vv = copyOf(v, vOffset, 2 * hidden);
        float[] bb = copyOf(bias, biasOffset, 2 * hidden);
        int[] len = ReferenceBackend.lengthsOf(lengths, batch, steps);
        boolean tanh = act == Activation.TANH;
        int n = hidden;
        int blocks = (n + SCAN_BLOCK - 1) / SCAN_BLOCK;
        pool().run(batch * blocks, task -> {
            int b = task / blocks;
            int j0 = task % blocks * SCAN_BLOCK;
            int w = Math.min(SCAN_BLOCK, n - j0);
            float[][] rows = JavaGemm.scratchRows(SCAN_ROWS, 6, SCAN_BLOCK);
            float[] cs = rows[0];
            float[] ux = rows[1];
            float[] uf = rows[2];
            float[] ur = rows[3];
            float[] xh = rows[4];
            float[] ho = rows[5];
            if (init == null) {
                Arrays.fill(cs, 0, w, 0f);
            } else {
                init.get((int) c0Offset + b * n + j0, cs, 0, w);
            }
            for (int s = 0; s < steps; s++) {
                int t = reverse ? steps - 1 - s : s;
                int row = t * batch + b;
                if (t < len[b]) {
                    int at = (int) uOffset + row * ldu + j0;
                    ub.get(at, ux, 0, w);
                    ub.get(at + n, uf, 0, w);
                    ub.get(at + 2 * n, ur, 0, w);
                    if (k == 4) {
                        ub.get(at + 3 * n, xh, 0, w);
                    } else {
                        xb.get((int) xOffset + row * ldx + j0, xh, 0, w);
                    }
                    for (int j = 0; j < w; j++) {
                        float cp = cs[j];
                        float f = FloatActivations.sigmoid(uf[j] + vv[j0 + j] * cp + bb[j0 + j]);
                        float r = FloatActivations.sigmoid(ur[j] + vv[n + j0 + j] * cp + bb[n + j0 + j]);
                        float cn = f * cp + (1 - f) * ux[j];
                        float g = tanh ? FloatActivations.tanh(cn) : cn;
                        ho[j] = r * g + (1 - r) * xh[j];
                        cs[j] = cn;
                    }
                } else {
                    Arrays.fill(ho, 0, w, 0f);
                }
                hb.put((int) hOffset + row * ldh + j0, ho, 0, w);
                cb.put((int) cOffset + row * ldc + j0, cs, 0, w);
            }
            if (last != null) {
                last.put((int) cLastOffset + b * n + j0, cs, 0, w);
            }
        });
    }

    /** Tasks as in the forward scan, walking time in reverse; the v-gradient sums per task in arrays. */
    @Override
    protected void sruScanBackwardImpl(int steps, int batch, int hidden, int k, Tensor u, long uOffset, int ldu,
                                       Tensor x, long xOffset, int ldx, Tensor v, long vOffset, Tensor bias,
                                       long biasOffset, Tensor c0, long c0Offset, Tensor lengths, Activation act,
                                       boolean reverse, Tensor c, long cOffset, int ldc, Tensor dh, long dhOffset,
                                       int lddh, Tensor dcLast, long dcLastOffset, Tensor du, long duOffset, int lddu,
                                       Tensor dx, long dxOffset, int lddx, Tensor dv, long dvOffset,
                                       Tensor dc0, long dc0Offset) {
        if (reference(u)) {
            REFERENCE.sruScanBackwardImpl(steps, batch, hidden, k, u, uOffset, ldu, x, xOffset, ldx, v, vOffset, bias,
                    biasOffset, c0, c0Offset, lengths, act, reverse, c, cOffset, ldc, dh, dhOffset, lddh, dcLast,
                    dcLastOffset, du, duOffset, lddu, dx, dxOffset, lddx, dv, dvOffset, dc0, dc0Offset);
            return;
        }
        FloatBuffer ub = floats(u);
        FloatBuffer xb = floats(x);
        FloatBuffer init = floats(c0);
        FloatBuffer cb = floats(c);
        FloatBuffer dhb = floats(dh);
        FloatBuffer dlast = floats(dcLast);
        FloatBuffer dub = floats(du);
        FloatBuffer dxb = floats(dx);
        FloatBuffer dvb = floats(dv);
        FloatBuffer dinit = floats(dc0);
        float[] vv = copyOf(v, vOffset, 2 * hidden);
        float[] bb = copyOf(bias, biasOffset, 2 * hidden);
        int[] len = ReferenceBackend.lengthsOf(lengths, batch, steps);
        boolean tanh = act == Activation.TANH;
        int n = hidden;
        int blocks = (n + SCAN_BLOCK - 1) / SCAN_BLOCK;
        pool().run(batch * blocks, task -> {
            int b = task / blocks;
            int j0 = task % blocks * SCAN_BLOCK;
            int w = Math.min(SCAN_BLOCK, n - j0);
            float[][] rows = JavaGemm.scratchRows(SCAN_ROWS, 15, SCAN_BLOCK);
            float[] carry = rows[0];
            float[] ux = rows[1];
            float[] uf = rows[2];
            float[] ur = rows[3];
            float[] xh = rows[4];
            float[] cp = rows[5];
            float[] cn = rows[6];
            float[] d = rows[7];
            float[] dux = rows[8];
            float[] duf = rows[9];
            float[] dur = rows[10];
            float[] dxh = rows[11];
            float[] dvf = rows[12];
            float[] dvr = rows[13];
            float[] zeros = rows[14];
            Arrays.fill(zeros, 0, w, 0f);
            Arrays.fill(dvf, 0, w, 0f);
            Arrays.fill(dvr, 0, w, 0f);
            if (dlast == null) {
                Arrays.fill(carry, 0, w, 0f);
            } else {
                dlast.get((int) dcLastOffset + b * n + j0, carry, 0, w);
            }
            for (int s = steps - 1; s >= 0; s--) {
                int t = reverse ? steps - 1 - s : s;
                int prev = reverse ? t + 1 : t - 1;
                int row = t * batch + b;
                int dat = (int) duOffset + row * lddu + j0;
                if (t >= len[b]) {
                    for (int p = 0; p < k; p++) {
                        dub.put(dat + p * n, zeros, 0, w);
                    }
                    continue;
                }
                int at = (int) uOffset + row * ldu + j0;
                ub.get(at, ux, 0, w);
                ub.get(at + n, uf, 0, w);
                ub.get(at + 2 * n, ur, 0, w);
                if (k == 4) {
                    ub.get(at + 3 * n, xh, 0, w);
                } else {
                    xb.get((int) xOffset + row * ldx + j0, xh, 0, w);
                }
                if (prev >= 0 && prev < steps) {
                    cb.get((int) cOffset + (prev * batch + b) * ldc + j0, cp, 0, w);
                } else if (init != null) {
                    init.get((int) c0Offset + b * n + j0, cp, 0, w);
                } else {
                    Arrays.fill(cp, 0, w, 0f);
                }
                cb.get((int) cOffset + row * ldc + j0, cn, 0, w);
                if (dhb == null) {
                    Arrays.fill(d, 0, w, 0f);
                } else {
                    dhb.get((int) dhOffset + row * lddh + j0, d, 0, w);
                }
                for (int j = 0; j < w; j++) {
                    float f = FloatActivations.sigmoid(uf[j] + vv[j0 + j] * cp[j] + bb[j0 + j]);
                    float r = FloatActivations.sigmoid(ur[j] + vv[n + j0 + j] * cp[j] + bb[n + j0 + j]);
                    float g = tanh ? FloatActivations.tanh(cn[j]) : cn[j];
                    float dr = d[j] * (g - xh[j]) * r * (1 - r);
                    float dct = carry[j] + (tanh ? d[j] * r * (1 - g * g) : d[j] * r);
                    float df = dct * (cp[j] - ux[j]) * f * (1 - f);
                    dux[j] = dct * (1 - f);
                    duf[j] = df;
                    dur[j] = dr;
                    dxh[j] = d[j] * (1 - r);
                    dvf[j] += df * cp[j];
                    dvr[j] += dr * cp[j];
                    carry[j] = dct * f + df * vv[j0 + j] + dr * vv[n + j0 + j];
                }
                dub.put(dat, dux, 0, w);
                dub.put(dat + n, duf, 0, w);
                dub.put(dat + 2 * n, dur, 0, w);
                if (k == 4) {
                    dub.put(dat + 3 * n, dxh, 0, w);
                } else {
                    int xat = (int) dxOffset + row * lddx + j0;
                    dxb.get(xat, ux, 0, w);  // ux is free again: the highway gradient is added to dx
                    for (int j = 0; j < w; j++) {
                        ux[j] = ux[j] + dxh[j];
                    }
                    dxb.put(xat, ux, 0, w);
                }
            }
            dvb.put((int) dvOffset + b * 2 * n + j0, dvf, 0, w);
            dvb.put((int) dvOffset + b * 2 * n + n + j0, dvr, 0, w);
            if (dinit != null) {
                dinit.put((int) dc0Offset + b * n + j0, carry, 0, w);
            }
        });
    }

    // ---- oLRN scan: the LRN scan's loops with the output gate ---------------------------------------------

    @Override
    protected void olrnScanForwardImpl(int steps, int batch, int hidden, Tensor g, long gOffset, int ldg,
                                       Tensor h0, long h0Offset, Tensor lengths, Activation act, boolean reverse,
                                       Tensor hs, long hsOffset, int ldh, Tensor cs, long csOffset, int ldc,
                                       Tensor hLast, long hLastOffset) {
        if (reference(g)) {
            REFERENCE.olrnScanForwardImpl(steps, batch, hidden, g, gOffset, ldg, h0, h0Offset, lengths, act, reverse,
                    hs, hsOffset, ldh, cs, csOffset, ldc, hLast, hLastOffset);
            return;
        }
        scanForward(steps, batch, hidden, g, gOffset, ldg, h0, h0Offset, lengths, act, reverse, hs, hsOffset, ldh,
                cs, csOffset, ldc, hLast, hLastOffset);
    }

    @Override
    protected void olrnScanBackwardImpl(int steps, int batch, int hidden, Tensor g, long gOffset, int ldg,
                                        Tensor h0, long h0Offset, Tensor lengths, Activation act, boolean reverse,
                                        Tensor hs, long hsOffset, int ldh, Tensor cs, long csOffset, int ldc,
                                        Tensor dhs, long dhsOffset, int lddh, Tensor dhLast, long dhLastOffset,
                                        Tensor dg, long dgOffset, int lddg, Tensor dh0, long dh0Offset) {
        if (reference(g)) {
            REFERENCE.olrnScanBackwardImpl(steps, batch, hidden, g, gOffset, ldg, h0, h0Offset, lengths, act,
                    reverse, hs, hsOffset, ldh, cs, csOffset, ldc, dhs, dhsOffset, lddh, dhLast, dhLastOffset,
                    dg, dgOffset, lddg, dh0, dh0Offset);
            return;
        }
        scanBackward(steps, batch, hidden, g, gOffset, ldg, h0, h0Offset, lengths, act, reverse, hs, hsOffset, ldh,
                cs, csOffset, ldc, dhs, dhsOffset, lddh, dhLast, dhLastOffset, dg, dgOffset, lddg, dh0, dh0Offset);
    }

    /** Tasks: blocks of rows; statistics in double, as in the reference. */
    @Override
    protected void layerNormForwardImpl(int m, int groups, int groupSize, Tensor x, long xOffset, int ldx,
                                        Tensor gamma, Tensor beta, double eps, Tensor y, long yOffset, int ldy,
                                        Tensor mean, Tensor rstd) {
        if (reference(x)) {
            REFERENCE.layerNormForwardImpl(m, groups, groupSize, x, xOffset, ldx, gamma, beta, eps, y, yOffset, ldy,
                    mean, rstd);
            return;
        }
        int width = groups * groupSize;
        FloatBuffer in = floats(x);
        FloatBuffer out = floats(y);
        FloatBuffer mu = floats(mean);
        FloatBuffer rs = floats(rstd);
        float[] gam = copyOf(gamma, width);
        float[] bet = copyOf(beta, width);
        pool().run((m + ROW_BLOCK - 1) / ROW_BLOCK, task -> {
            float[] row = scratch(ROW_1, width);
            float[] res = scratch(ROW_3, width);
            float[] stats = scratch(SUMS, 2 * groups);
            for (int r = task * ROW_BLOCK; r < Math.min(m, (task + 1) * ROW_BLOCK); r++) {
                // y may be x itself (in place): the whole row is read before any of it is written.
                in.get((int) xOffset + r * ldx, row, 0, width);
                for (int grp = 0; grp < groups; grp++) {
                    int base = grp * groupSize;
                    double sum = 0;
                    for (int j = 0; j < groupSize; j++) {
                        sum += row[base + j];
                    }
                    double mean0 = sum / groupSize;
                    double var = 0;
                    for (int j = 0; j < groupSize; j++) {
                        double d = row[base + j] - mean0;
                        var += d * d;
                    }
                    double rstd0 = 1.0 / Math.sqrt(var / groupSize + eps);
                    stats[grp] = (float) mean0;
                    stats[groups + grp] = (float) rstd0;
                    for (int j = base; j < base + groupSize; j++) {
                        double xhat = (row[j] - mean0) * rstd0;
                        res[j] = (float) ((gam == null ? 1.0 : gam[j]) * xhat + (bet == null ? 0.0 : bet[j]));
                    }
                }
                out.put((int) yOffset + r * ldy, res, 0, width);
                mu.put(r * groups, stats, 0, groups);
                rs.put(r * groups, stats, groups, groups);
            }
        });
    }

    /**
     * Two passes so that no two tasks add into the same element: dx by blocks of rows, then dgamma and
     * dbeta by blocks of columns, each column summed over all rows in row order (in double).
     */
    @Override
    protected void layerNormBackwardImpl(int m, int groups, int groupSize, Tensor x, long xOffset, int ldx,
                                         Tensor gamma, Tensor mean, Tensor rstd, Tensor dy, long dyOffset,
                                         int lddy, Tensor dx, long dxOffset, int lddx,
                                         Tensor dgamma, Tensor dbeta) {
        if (reference(x)) {
            REFERENCE.layerNormBackwardImpl(m, groups, groupSize, x, xOffset, ldx, gamma, mean, rstd, dy, dyOffset,
                    lddy, dx, dxOffset, lddx, dgamma, dbeta);
            return;
        }
        int width = groups * groupSize;
        FloatBuffer in = floats(x);
        FloatBuffer grad = floats(dy);
        FloatBuffer out = floats(dx);
        float[] gam = copyOf(gamma, width);
        float[] mu = copyOf(mean, m * groups);
        float[] rs = copyOf(rstd, m * groups);
        pool().run((m + ROW_BLOCK - 1) / ROW_BLOCK, task -> {
            float[] row = scratch(ROW_1, width);
            float[] drow = scratch(ROW_2, width);
            float[] res = scratch(ROW_3, width);
            for (int r = task * ROW_BLOCK; r < Math.min(m, (task + 1) * ROW_BLOCK); r++) {
                in.get((int) xOffset + r * ldx, row, 0, width);
                grad.get((int) dyOffset + r * lddy, drow, 0, width);
                for (int grp = 0; grp < groups; grp++) {
                    int base = grp * groupSize;
                    double mean0 = mu[r * groups + grp];
                    double rstd0 = rs[r * groups + grp];
                    // dxhat = dy * gamma; dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
                    double sumD = 0;
                    double sumDX = 0;
                    for (int j = base; j < base + groupSize; j++) {
                        double xhat = (row[j] - mean0) * rstd0;
                        double dxhat = drow[j] * (gam == null ? 1.0 : gam[j]);
                        sumD += dxhat;
                        sumDX += dxhat * xhat;
                    }
                    double meanD = sumD / groupSize;
                    double meanDX = sumDX / groupSize;
                    for (int j = base; j < base + groupSize; j++) {
                        double xhat = (row[j] - mean0) * rstd0;
                        double dxhat = drow[j] * (gam == null ? 1.0 : gam[j]);
                        res[j] = (float) (rstd0 * (dxhat - meanD - xhat * meanDX));
                    }
                }
                out.put((int) dxOffset + r * lddx, res, 0, width);
            }
        });
        if (dgamma == null && dbeta == null) {
            return;
        }
        FloatBuffer dgam = floats(dgamma);
        FloatBuffer dbet = floats(dbeta);
        pool().run((width + COL_BLOCK - 1) / COL_BLOCK, task -> {
            int c0 = task * COL_BLOCK;
            int w = Math.min(COL_BLOCK, width - c0);
            float[] row = scratch(ROW_1, w);
            float[] drow = scratch(ROW_2, w);
            double[] sumG = new double[w];
            double[] sumB = new double[w];
            for (int r = 0; r < m; r++) {
                in.get((int) xOffset + r * ldx + c0, row, 0, w);
                grad.get((int) dyOffset + r * lddy + c0, drow, 0, w);
                for (int j = 0; j < w; j++) {
                    int grp = r * groups + (c0 + j) / groupSize;
                    sumG[j] += drow[j] * ((row[j] - (double) mu[grp]) * rs[grp]);
                    sumB[j] += drow[j];
                }
            }
            addInto(dgam, c0, w, sumG, scratch(ROW_4, w));
            addInto(dbet, c0, w, sumB, scratch(ROW_5, w));
        });
    }

    /** target[c0 .. c0+w) += sums, rounded once to float (null target: nothing). */
    private static void addInto(FloatBuffer target, int c0, int w, double[] sums, float[] buf) {
        if (target == null) {
            return;
        }
        target.get(c0, buf, 0, w);
        for (int j = 0; j < w; j++) {
            buf[j] = (float) (buf[j] + sums[j]);
        }
        target.put(c0, buf, 0, w);
    }
}

package org.lrn4j.backend;

import java.util.Objects;

import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Device;
import org.lrn4j.tensor.Tensor;

/**
 * Every kernel the layers need, behind one interface with three implementations that {@link Backends}
 * offers: {@link JavaBackend} (pure Java, the fallback), {@link NativeBackend} (C++ AVX2/FMA kernels) and
 * {@link CudaBackend}; beside them {@link ReferenceBackend}, the readable reference they are all tested
 * against. The public methods validate every argument here, once, and only then call the
 * implementation, which may assume valid input: a bad call is an {@link IllegalArgumentException} or
 * {@link IllegalStateException} with a message, never a native crash.
 *
 * <p>Matrices are row-major views into tensors: (tensor, offset in elements, rows, cols, row stride).
 * The layouts and the meaning of each kernel are those of {@code include/lrn4j/lrn4j.h}.
 */
public abstract class Backend {

    /** "java", "native", "cuda" or "reference". */
    public abstract String name();

    /** Where this backend's tensors live. */
    public abstract Device device();

    /** One line for logs and {@code lrn4j info}: the backend and how it runs. */
    public abstract String description();

    /** Whether kernels of this backend compute tensors of this element type. */
    public abstract boolean supports(DType dtype);

    /** A zero-filled tensor in this backend's memory. */
    public abstract Tensor allocate(DType dtype, long... shape);

    /** Waits until all work enqueued by this backend has finished (a no-op for host backends). */
    public void synchronize() {
    }

    /** A new tensor in this backend's memory holding a copy of {@code src} (from any device). */
    public final Tensor copyOf(Tensor src) {
        Tensor.require(src, "src");
        Tensor out = allocate(src.dtype(), src.shape());
        out.copyFrom(src);
        return out;
    }

    // ---- GEMM --------------------------------------------------------------------------------------

    /**
     * C = op(A)·op(B) [+ bias] [+ C]; op(A) is m×k, op(B) is k×n, C is m×n (see lrn4j_gemm).
     * With {@code accumulate == false}, C is overwritten and never read.
     */
    public final void gemm(boolean transA, boolean transB, int m, int n, int k,
                           Tensor a, long aOffset, int lda, Tensor b, long bOffset, int ldb,
                           Tensor bias, boolean accumulate, Tensor c, long cOffset, int ldc) {
        nonNegative("m", m);
        nonNegative("n", n);
        nonNegative("k", k);
        DType dt = floating("c", c);
        matrix("a", a, dt, aOffset, transA ? k : m, transA ? m : k, lda);
        matrix("b", b, dt, bOffset, transB ? n : k, transB ? k : n, ldb);
        matrix("c", c, dt, cOffset, m, n, ldc);
        if (bias != null) {
            matrix("bias", bias, dt, 0, 1, n, n);
            disjoint("c", c, cOffset, m, n, ldc, "bias", bias, 0, 1, n, n);
        }
        disjoint("c", c, cOffset, m, n, ldc, "a", a, aOffset, transA ? k : m, transA ? m : k, lda);
        disjoint("c", c, cOffset, m, n, ldc, "b", b, bOffset, transB ? n : k, transB ? k : n, ldb);
        gemmImpl(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, bias, accumulate, c, cOffset, ldc);
    }

    /** out[j] (+)= Σ_i a[i, j] over m rows and n columns: the bias gradient (see lrn4j_col_sum). */
    public final void colSum(int m, int n, Tensor a, long aOffset, int lda, boolean accumulate, Tensor out) {
        colSum(m, n, a, aOffset, lda, accumulate, out, 0);
    }

    /** As {@link #colSum(int, int, Tensor, long, int, boolean, Tensor)}, into the n elements of out at outOffset. */
    public final void colSum(int m, int n, Tensor a, long aOffset, int lda, boolean accumulate, Tensor out,
                             long outOffset) {
        nonNegative("m", m);
        nonNegative("n", n);
        DType dt = floating("out", out);
        matrix("a", a, dt, aOffset, m, n, lda);
        matrix("out", out, dt, outOffset, 1, n, n);
        disjoint("out", out, outOffset, 1, n, n, "a", a, aOffset, m, n, lda);
        colSumImpl(m, n, a, aOffset, lda, accumulate, out, outOffset);
    }

    // ---- optimizer steps ---------------------------------------------------------------------------

    /**
     * One Adam step with decoupled weight decay (see lrn4j_adam_step), in place on the parameter p and
     * the moments m and v, from the gradient g scaled by gradScale (gradient clipping; 1 without).
     * step is the 1-based step number, for the bias corrections {@code 1 − β^step}.
     */
    public final void adamStep(Tensor p, Tensor g, Tensor m, Tensor v, double lr, double beta1, double beta2,
                               double eps, double weightDecay, double gradScale, long step) {
        DType dt = sameShapedParameters(p, g, m, v);
        hyper("lr", lr, 0, Double.MAX_VALUE);
        hyper("beta1", beta1, 0, Math.nextDown(1.0));
        hyper("beta2", beta2, 0, Math.nextDown(1.0));
        hyper("eps", eps, Double.MIN_NORMAL, Double.MAX_VALUE);
        hyper("weightDecay", weightDecay, 0, Double.MAX_VALUE);
        hyper("gradScale", gradScale, 0, Double.MAX_VALUE);
        if (step < 1) {
            throw new IllegalArgumentException("step must be >= 1, got " + step);
        }
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        if (dt == DType.FLOAT32 && ((float) bc1 == 0f || (float) bc2 == 0f)) {
            throw new IllegalArgumentException("beta1 = " + beta1 + " or beta2 = " + beta2 + " is too close to 1 for"
                    + " float bias corrections at step " + step);
        }
        adamStepImpl(p, g, m, v, lr, beta1, beta2, eps, weightDecay, gradScale, bc1, bc2);
    }

    /** One SGD step with momentum and L2 weight decay (see lrn4j_sgd_step), in place on p and the velocity u. */
    public final void sgdStep(Tensor p, Tensor g, Tensor u, double lr, double momentum, double weightDecay,
                              double gradScale, boolean nesterov) {
        sameShapedParameters(p, g, u);
        hyper("lr", lr, 0, Double.MAX_VALUE);
        hyper("momentum", momentum, 0, 1);
        hyper("weightDecay", weightDecay, 0, Double.MAX_VALUE);
        hyper("gradScale", gradScale, 0, Double.MAX_VALUE);
        sgdStepImpl(p, g, u, lr, momentum, weightDecay, gradScale, nesterov);
    }

    /** Σ x² over all elements in double precision (see lrn4j_sum_squares); waits for the result. */
    public final double sumOfSquares(Tensor x) {
        floating("x", x);
        sameDevice("x", x);
        return sumOfSquaresImpl(x);
    }

    /** Same dtype, element count and device for all; the first is updated, so none may share storage. */
    private DType sameShapedParameters(Tensor... ts) {
        DType dt = floating("p", ts[0]);
        String[] names = {"p", "g", "m", "v"};
        for (int i = 0; i < ts.length; i++) {
            String name = ts.length == 3 && i == 2 ? "u" : names[i];
            Tensor.require(ts[i], name);
            sameDevice(name, ts[i]);
            if (ts[i].dtype() != dt || ts[i].numel() != ts[0].numel()) {
                throw new IllegalArgumentException(name + " is " + ts[i].describe() + " but p is " + ts[0].describe());
            }
            for (int j = 0; j < i; j++) {
                if (ts[i].storage() == ts[j].storage()) {
                    throw new IllegalArgumentException(name + " shares storage with " + names[j]);
                }
            }
        }
        return dt;
    }

    private static void hyper(String what, double v, double lo, double hi) {
        if (!(v >= lo && v <= hi)) {
            throw new IllegalArgumentException(what + " must be in [" + lo + ", " + hi + "], got " + v);
        }
    }

    // ---- dropout -----------------------------------------------------------------------------------

    /**
     * Inverted dropout (see lrn4j_dropout): element i of y is {@code x[i] / (1 − p)} where the mask keeps it
     * and 0 where it drops it (also for NaN); the mask is a function of (seed, i) alone, identical on every
     * backend and thread count, so the backward pass is the same call on the gradient with the same seed.
     * y may be x (in place); otherwise x and y must not share storage. p = 0 copies.
     */
    public final void dropout(Tensor x, Tensor y, double p, long seed) {
        DType dt = floating("x", x);
        Tensor.require(y, "y");
        sameDevice("x", x);
        sameDevice("y", y);
        if (y.dtype() != dt || y.numel() != x.numel()) {
            throw new IllegalArgumentException("y is " + y.describe() + " but x is " + x.describe());
        }
        if (y != x && y.storage() == x.storage()) {
            throw new IllegalArgumentException("y shares storage with x without being x");
        }
        hyper("p", p, 0, Math.nextDown(1.0));
        dropoutImpl(x, y, p, dropoutThreshold(p), seed);
    }

    /** The unsigned 32-bit threshold of a drop probability p in [0, 1): floor(p · 2³²). */
    public static int dropoutThreshold(double p) {
        return (int) (long) Math.floor(p * 4294967296.0);
    }

    /** Whether dropout with this threshold keeps element {@code index} under {@code seed} (lrn4j_dropout's mask). */
    public static boolean dropoutKeeps(long seed, long index, int threshold) {
        return Integer.compareUnsigned(dropoutBits(seed, index), threshold) >= 0;
    }

    /** The mask bits of element {@code index} under {@code seed}: two rounds of the 32-bit murmur3 finaliser. */
    public static int dropoutBits(long seed, long index) {
        return fmix32(fmix32((int) index ^ (int) seed) ^ ((int) (index >>> 32) * 0x9E3779B1 + (int) (seed >>> 32)));
    }

    private static int fmix32(int h) {
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        return h ^ h >>> 16;
    }

    // ---- elementwise activations -------------------------------------------------------------------

    /**
     * {@code y[i] = f(x[i])} for n contiguous elements (see lrn4j_activation_forward). y may be x at the same
     * offset (in place); otherwise the two ranges must not overlap.
     */
    public final void activationForward(ActivationKind kind, int n, Tensor x, long xOffset, Tensor y, long yOffset) {
        Objects.requireNonNull(kind, "kind");
        nonNegative("n", n);
        DType dt = floating("x", x);
        matrix("x", x, dt, xOffset, 1, n, Math.max(1, n));
        matrix("y", y, dt, yOffset, 1, n, Math.max(1, n));
        if (!(y.storage() == x.storage() && yOffset == xOffset)) {
            disjoint("y", y, yOffset, 1, n, Math.max(1, n), "x", x, xOffset, 1, n, Math.max(1, n));
        }
        activationForwardImpl(kind, n, x, xOffset, y, yOffset);
    }

    /**
     * The backward pass of {@link #activationForward} from its output y: {@code dx[i] = dy[i]·f'(x[i])}, with
     * f' written through y (identity 1, tanh 1 − y², relu y &gt; 0, sigmoid y(1 − y); see
     * lrn4j_activation_backward). dx may be dy at the same offset (in place); otherwise dx overlaps neither.
     */
    public final void activationBackward(ActivationKind kind, int n, Tensor y, long yOffset, Tensor dy, long dyOffset,
                                         Tensor dx, long dxOffset) {
        Objects.requireNonNull(kind, "kind");
        nonNegative("n", n);
        DType dt = floating("y", y);
        long ld = Math.max(1, n);
        matrix("y", y, dt, yOffset, 1, n, ld);
        matrix("dy", dy, dt, dyOffset, 1, n, ld);
        matrix("dx", dx, dt, dxOffset, 1, n, ld);
        disjoint("dx", dx, dxOffset, 1, n, ld, "y", y, yOffset, 1, n, ld);
        if (!(dx.storage() == dy.storage() && dxOffset == dyOffset)) {
            disjoint("dx", dx, dxOffset, 1, n, ld, "dy", dy, dyOffset, 1, n, ld);
        }
        activationBackwardImpl(kind, n, y, yOffset, dy, dyOffset, dx, dxOffset);
    }

    // ---- embedding ---------------------------------------------------------------------------------

    /**
     * Embedding lookup (see lrn4j_embedding_gather): {@code out[i, :] = table[ids[i], :]} for m ids of d
     * columns; ids: INT32, m values in [0, rows) or -1 (a zero row); table: [rows, d] with row stride ldt;
     * out: [m, d] with row stride ldo at outOffset.
     */
    public final void embeddingGather(int m, int d, Tensor ids, Tensor table, int rows, int ldt,
                                      Tensor out, long outOffset, int ldo) {
        nonNegative("m", m);
        nonNegative("d", d);
        positive("rows", rows);
        DType dt = floating("table", table);
        matrix("table", table, dt, 0, rows, d, ldt);
        matrix("out", out, dt, outOffset, m, d, ldo);
        disjoint("out", out, outOffset, m, d, ldo, "table", table, 0, rows, d, ldt);
        checkIds(ids, m, rows);
        embeddingGatherImpl(m, d, ids, table, rows, ldt, out, outOffset, ldo);
    }

    /**
     * Backward of {@link #embeddingGather} (see lrn4j_embedding_scatter_add): {@code dTable[ids[i], :] +=
     * dOut[i, :]}, ids of -1 skipped, each table row receiving its rows in increasing i (deterministic).
     */
    public final void embeddingScatterAdd(int m, int d, Tensor ids, Tensor dOut, long dOutOffset, int ldo,
                                          Tensor dTable, int rows, int ldt) {
        nonNegative("m", m);
        nonNegative("d", d);
        positive("rows", rows);
        DType dt = floating("dTable", dTable);
        matrix("dTable", dTable, dt, 0, rows, d, ldt);
        matrix("dOut", dOut, dt, dOutOffset, m, d, ldo);
        disjoint("dTable", dTable, 0, rows, d, ldt, "dOut", dOut, dOutOffset, m, d, ldo);
        checkIds(ids, m, rows);
        embeddingScatterAddImpl(m, d, ids, dOut, dOutOffset, ldo, dTable, rows, ldt);
    }

    private void checkIds(Tensor ids, int m, int rows) {
        Tensor.require(ids, "ids");
        if (ids.dtype() != DType.INT32 || ids.numel() != m) {
            throw new IllegalArgumentException("ids must be INT32 with " + m + " elements, got " + ids.describe());
        }
        sameDevice("ids", ids);
        if (ids.device() == Device.HOST) {
            for (int i = 0; i < m; i++) {
                int id = (int) ids.get(i);
                if (id < -1 || id >= rows) {
                    throw new IllegalArgumentException("ids[" + i + "] = " + id + " is outside [0, " + rows
                            + ") and not -1 (padding)");
                }
            }
        }
    }

    // ---- softmax cross-entropy ---------------------------------------------------------------------

    /**
     * Softmax cross-entropy of m rows of n logits, fused with its gradient (see lrn4j_softmax_xent).
     * logits: [m, n] with row stride ld at offset; targets: INT32, m class indices in [0, n) or -1 for a
     * row that does not count; loss: output, m values (0 for ignored rows); dLogits (nullable): output
     * [m, n] with row stride ldd at dOffset, {@code scale · (softmax − onehot(target))}, zero rows for
     * ignored rows. dLogits may be exactly the logits view (same tensor, offset and stride: the gradient
     * replaces the logits); any other overlap is rejected.
     */
    public final void softmaxCrossEntropy(int m, int n, Tensor logits, long offset, int ld, Tensor targets,
                                          double scale, Tensor loss, Tensor dLogits, long dOffset, int ldd) {
        nonNegative("m", m);
        positive("n", n);
        DType dt = floating("logits", logits);
        matrix("logits", logits, dt, offset, m, n, ld);
        Tensor.require(targets, "targets");
        if (targets.dtype() != DType.INT32 || targets.numel() != m) {
            throw new IllegalArgumentException("targets must be INT32 with " + m + " elements, got "
                    + targets.describe());
        }
        sameDevice("targets", targets);
        if (!Double.isFinite(scale)) {
            throw new IllegalArgumentException("scale must be finite, got " + scale);
        }
        matrix("loss", loss, dt, 0, 1, m, Math.max(1, m));
        disjoint("loss", loss, 0, 1, m, m, "logits", logits, offset, m, n, ld);
        if (dLogits != null) {
            matrix("dLogits", dLogits, dt, dOffset, m, n, ldd);
            boolean inPlace = dLogits.storage() == logits.storage() && dOffset == offset && ldd == ld;
            if (!inPlace) {
                disjoint("dLogits", dLogits, dOffset, m, n, ldd, "logits", logits, offset, m, n, ld);
            }
            disjoint("dLogits", dLogits, dOffset, m, n, ldd, "loss", loss, 0, 1, m, m);
        }
        if (targets.device() == Device.HOST) {
            for (int i = 0; i < m; i++) {
                int t = (int) targets.get(i);
                if (t < -1 || t >= n) {
                    throw new IllegalArgumentException("targets[" + i + "] = " + t + " is outside [0, " + n
                            + ") and not -1 (ignored)");
                }
            }
        }
        softmaxCrossEntropyImpl(m, n, logits, offset, ld, targets, scale, loss, dLogits, dOffset, ldd);
    }

    // ---- LRN scan ----------------------------------------------------------------------------------

    /**
     * The LRN recurrence over time for every (batch, hidden) column (see lrn4j_lrn_scan_forward).
     * g: gates [steps, batch, 3, hidden] with row stride ldg; h0 (nullable): [batch, hidden] at h0Offset;
     * lengths (nullable): INT32, batch values in [1, steps]; hs: states [steps, batch, hidden] with row
     * stride ldh; hLast (nullable): [batch, hidden] at hLastOffset.
     */
    public final void lrnScanForward(int steps, int batch, int hidden,
                                     Tensor g, long gOffset, int ldg, Tensor h0, long h0Offset,
                                     Tensor lengths, Activation act, boolean reverse,
                                     Tensor hs, long hsOffset, int ldh, Tensor hLast, long hLastOffset) {
        DType dt = checkScan(steps, batch, hidden, g, gOffset, ldg, h0, h0Offset, lengths, act, hs, hsOffset, ldh);
        if (hLast != null) {
            matrix("hLast", hLast, dt, hLastOffset, batch, hidden, hidden);
        }
        lrnScanForwardImpl(steps, batch, hidden, g, gOffset, ldg, h0, h0Offset, lengths, act, reverse,
                hs, hsOffset, ldh, hLast, hLastOffset);
    }

    /**
     * Backward of {@link #lrnScanForward} (see lrn4j_lrn_scan_backward): from dhs (nullable, row stride
     * lddh) and dhLast (nullable) writes dg (row stride lddg) and dh0 (nullable).
     */
    public final void lrnScanBackward(int steps, int batch, int hidden,
                                      Tensor g, long gOffset, int ldg, Tensor h0, long h0Offset,
                                      Tensor lengths, Activation act, boolean reverse,
                                      Tensor hs, long hsOffset, int ldh,
                                      Tensor dhs, long dhsOffset, int lddh, Tensor dhLast, long dhLastOffset,
                                      Tensor dg, long dgOffset, int lddg, Tensor dh0, long dh0Offset) {
        DType dt = checkScan(steps, batch, hidden, g, gOffset, ldg, h0, h0Offset, lengths, act, hs, hsOffset, ldh);
        if (dhs != null) {
            matrix("dhs", dhs, dt, dhsOffset, (long) steps * batch, hidden, lddh);
        }
        if (dhLast != null) {
            matrix("dhLast", dhLast, dt, dhLastOffset, batch, hidden, hidden);
        }
        matrix("dg", dg, dt, dgOffset, (long) steps * batch, 3L * hidden, lddg);
        disjoint("dg", dg, dgOffset, (long) steps * batch, 3L * hidden, lddg,
                "g", g, gOffset, (long) steps * batch, 3L * hidden, ldg);
        if (dh0 != null) {
            matrix("dh0", dh0, dt, dh0Offset, batch, hidden, hidden);
        }
        lrnScanBackwardImpl(steps, batch, hidden, g, gOffset, ldg, h0, h0Offset, lengths, act, reverse,
                hs, hsOffset, ldh, dhs, dhsOffset, lddh, dhLast, dhLastOffset, dg, dgOffset, lddg, dh0, dh0Offset);
    }

    private DType checkScan(int steps, int batch, int hidden, Tensor g, long gOffset, int ldg,
                            Tensor h0, long h0Offset, Tensor lengths, Activation act,
                            Tensor hs, long hsOffset, int ldh) {
        positive("steps", steps);
        positive("batch", batch);
        positive("hidden", hidden);
        if (act == null) {
            throw new IllegalArgumentException("act must not be null");
        }
        DType dt = floating("g", g);
        long rows = (long) steps * batch;
        matrix("g", g, dt, gOffset, rows, 3L * hidden, ldg);
        matrix("hs", hs, dt, hsOffset, rows, hidden, ldh);
        disjoint("hs", hs, hsOffset, rows, hidden, ldh, "g", g, gOffset, rows, 3L * hidden, ldg);
        if (h0 != null) {
            matrix("h0", h0, dt, h0Offset, batch, hidden, hidden);
        }
        if (lengths != null) {
            checkLengths(lengths, batch, steps);
        }
        return dt;
    }

    private void checkLengths(Tensor lengths, int batch, int steps) {
        Tensor.require(lengths, "lengths");
        if (lengths.dtype() != DType.INT32 || lengths.numel() != batch) {
            throw new IllegalArgumentException("lengths must be INT32 with " + batch + " elements, got "
                    + lengths.describe());
        }
        sameDevice("lengths", lengths);
        if (lengths.device() == Device.HOST) {
            for (int b = 0; b < batch; b++) {
                long len = (long) lengths.get(b);
                if (len < 1 || len > steps) {
                    throw new IllegalArgumentException(
                            "lengths[" + b + "] = " + len + " is outside [1, " + steps + "]");
                }
            }
        }
    }

    // ---- LSTM, GRU and ATR steps --------------------------------------------------------------------

    /**
     * One time step of an LSTM, GRU or ATR layer for all sequences, the pointwise part after the recurrent
     * GEMM (see lrn4j_cell_step_forward). gx, gh: [batch, G·hidden] views, the input and the recurrent part
     * of the gates (G = {@link Cell#planes()}); bh (GRU, ATR; null for zeros, and for the LSTM): hidden
     * values at bhOffset; hPrev and cPrev (null: zeros; cPrev for the LSTM only): [batch, hidden], the state
     * before the step; outputs h and, for the LSTM, c (null for the others): [batch, hidden]; last
     * (nullable): a second output [batch, S] for the same state, h then c (S = 2·hidden for the LSTM, else
     * hidden). lengths (nullable): INT32, batch values; sequence b takes part in the step when
     * {@code step < lengths[b]}, and otherwise carries its state.
     */
    public final void cellStepForward(Cell cell, int batch, int hidden, int step, Tensor lengths,
                                      Tensor gx, long gxOffset, int ldgx, Tensor gh, long ghOffset, int ldgh,
                                      Tensor bh, long bhOffset, Tensor hPrev, long hPrevOffset, int ldhp,
                                      Tensor cPrev, long cPrevOffset, int ldcp, Tensor h, long hOffset, int ldh,
                                      Tensor c, long cOffset, int ldc, Tensor last, long lastOffset, int ldLast) {
        DType dt = checkStep(cell, batch, hidden, step, lengths, gx, gxOffset, ldgx, gh, ghOffset, ldgh, bh,
                bhOffset, hPrev, hPrevOffset, ldhp, cPrev, cPrevOffset, ldcp);
        long w = (long) cell.planes() * hidden;
        matrix("h", h, dt, hOffset, batch, hidden, ldh);
        stepOutput("h", h, hOffset, batch, hidden, ldh, hidden, w, gx, gxOffset, ldgx, gh, ghOffset, ldgh, bh,
                bhOffset, hPrev, hPrevOffset, ldhp, cPrev, cPrevOffset, ldcp);
        lstmOnly(cell, "c", c);
        if (cell.hasCellState()) {
            matrix("c", c, dt, cOffset, batch, hidden, ldc);
            stepOutput("c", c, cOffset, batch, hidden, ldc, hidden, w, gx, gxOffset, ldgx, gh, ghOffset, ldgh, bh,
                    bhOffset, hPrev, hPrevOffset, ldhp, cPrev, cPrevOffset, ldcp);
            disjoint("c", c, cOffset, batch, hidden, ldc, "h", h, hOffset, batch, hidden, ldh);
        }
        if (last != null) {
            long s = cell.hasCellState() ? 2L * hidden : hidden;
            matrix("last", last, dt, lastOffset, batch, s, ldLast);
            stepOutput("last", last, lastOffset, batch, s, ldLast, hidden, w, gx, gxOffset, ldgx, gh, ghOffset,
                    ldgh, bh, bhOffset, hPrev, hPrevOffset, ldhp, cPrev, cPrevOffset, ldcp);
            disjoint("last", last, lastOffset, batch, s, ldLast, "h", h, hOffset, batch, hidden, ldh);
            if (c != null) {
                disjoint("last", last, lastOffset, batch, s, ldLast, "c", c, cOffset, batch, hidden, ldc);
            }
        }
        cellStepForwardImpl(cell, batch, hidden, step, lengths, gx, gxOffset, ldgx, gh, ghOffset, ldgh, bh, bhOffset,
                hPrev, hPrevOffset, ldhp, cPrev, cPrevOffset, ldcp, h, hOffset, ldh, c, cOffset, ldc,
                last, lastOffset, ldLast);
    }

    /**
     * Backward of one {@link #cellStepForward} call (see lrn4j_cell_step_backward); the gates are recomputed.
     * cell .. cPrev: as in the forward call; c: the LSTM's c after the step (null for the others); dhOut
     * (nullable): the gradient w.r.t. h from outside the recurrence. dh, in place: in, the gradient w.r.t. h
     * after the step from the later steps; out, the part of the gradient w.r.t. hPrev that does not pass
     * through gh (the caller adds dgh·Uᵀ). dc (LSTM only, in place): w.r.t. c after the step, then w.r.t.
     * cPrev. Outputs dgx and dgh (GRU and ATR; null for the LSTM, whose dgh equals dgx): [batch, G·hidden].
     */
    public final void cellStepBackward(Cell cell, int batch, int hidden, int step, Tensor lengths,
                                       Tensor gx, long gxOffset, int ldgx, Tensor gh, long ghOffset, int ldgh,
                                       Tensor bh, long bhOffset, Tensor hPrev, long hPrevOffset, int ldhp,
                                       Tensor cPrev, long cPrevOffset, int ldcp, Tensor c, long cOffset, int ldc,
                                       Tensor dhOut, long dhOutOffset, int lddo, Tensor dh, long dhOffset, int lddh,
                                       Tensor dc, long dcOffset, int lddc, Tensor dgx, long dgxOffset, int lddgx,
                                       Tensor dgh, long dghOffset, int lddgh) {
        DType dt = checkStep(cell, batch, hidden, step, lengths, gx, gxOffset, ldgx, gh, ghOffset, ldgh, bh,
                bhOffset, hPrev, hPrevOffset, ldhp, cPrev, cPrevOffset, ldcp);
        long w = (long) cell.planes() * hidden;
        lstmOnly(cell, "c", c);
        lstmOnly(cell, "dc", dc);
        if (cell.hasCellState()) {
            Tensor.require(c, "c");
            Tensor.require(dc, "dc");
            matrix("c", c, dt, cOffset, batch, hidden, ldc);
            matrix("dc", dc, dt, dcOffset, batch, hidden, lddc);
        }
        if (dhOut != null) {
            matrix("dhOut", dhOut, dt, dhOutOffset, batch, hidden, lddo);
        }
        matrix("dh", dh, dt, dhOffset, batch, hidden, lddh);
        matrix("dgx", dgx, dt, dgxOffset, batch, w, lddgx);
        if (cell.hasCellState()) {
            if (dgh != null) {
                throw new IllegalArgumentException("dgh must be null for the LSTM (its gradient w.r.t. gh is dgx)");
            }
        } else {
            matrix("dgh", dgh, dt, dghOffset, batch, w, lddgh);
        }
        // Outputs (dh and dc in place) against every input and against each other.
        String[] outNames = {"dh", "dc", "dgx", "dgh"};
        Tensor[] outs = {dh, dc, dgx, dgh};
        long[] outOffsets = {dhOffset, dcOffset, dgxOffset, dghOffset};
        long[] outCols = {hidden, hidden, w, w};
        int[] outLds = {lddh, lddc, lddgx, lddgh};
        for (int i = 0; i < outs.length; i++) {
            if (outs[i] == null) {
                continue;
            }
            stepOutput(outNames[i], outs[i], outOffsets[i], batch, outCols[i], outLds[i], hidden, w, gx, gxOffset,
                    ldgx, gh, ghOffset, ldgh, bh, bhOffset, hPrev, hPrevOffset, ldhp, cPrev, cPrevOffset, ldcp);
            if (c != null) {
                disjoint(outNames[i], outs[i], outOffsets[i], batch, outCols[i], outLds[i], "c", c, cOffset, batch,
                        hidden, ldc);
            }
            if (dhOut != null) {
                disjoint(outNames[i], outs[i], outOffsets[i], batch, outCols[i], outLds[i], "dhOut", dhOut,
                        dhOutOffset, batch, hidden, lddo);
            }
            for (int j = 0; j < i; j++) {
                if (outs[j] != null) {
                    disjoint(outNames[i], outs[i], outOffsets[i], batch, outCols[i], outLds[i], outNames[j], outs[j],
                            outOffsets[j], batch, outCols[j], outLds[j]);
                }
            }
        }
        cellStepBackwardImpl(cell, batch, hidden, step, lengths, gx, gxOffset, ldgx, gh, ghOffset, ldgh, bh,
                bhOffset, hPrev, hPrevOffset, ldhp, cPrev, cPrevOffset, ldcp, c, cOffset, ldc, dhOut, dhOutOffset,
                lddo, dh, dhOffset, lddh, dc, dcOffset, lddc, dgx, dgxOffset, lddgx, dgh, dghOffset, lddgh);
    }

    /**
     * The whole recurrence of one direction of an LSTM, GRU or ATR layer (see lrn4j_cell_forward): per step
     * s, in processing order (step t = s, or steps−1−s when reverse), {@code gh_t = h_prev·U} then
     * {@link #cellStepForward}, with h_prev (c_prev) the initial state for the first step and the output of
     * the step processed before after that. The same result as those 2·steps calls, in one call, so that a
     * backend can run the time loop without returning to the JVM or waking its threads at every step.
     * gx, gh: [steps, batch, G·hidden] (row (t, b) at offset + (t·batch + b)·ld); u: [hidden, G·hidden];
     * bh: as in {@link #cellStepForward}; h0, c0 (nullable; c0 LSTM only): [batch, hidden]; outputs gh,
     * h and (LSTM only) c [steps, batch, ·], and last (nullable) [batch, S] after the last step processed.
     */
    public final void cellForward(Cell cell, int steps, int batch, int hidden, Tensor lengths, boolean reverse,
                                  Tensor gx, long gxOffset, int ldgx, Tensor u, long uOffset, int ldu,
                                  Tensor bh, long bhOffset, Tensor h0, long h0Offset, int ldh0,
                                  Tensor c0, long c0Offset, int ldc0, Tensor gh, long ghOffset, int ldgh,
                                  Tensor h, long hOffset, int ldh, Tensor c, long cOffset, int ldc,
                                  Tensor last, long lastOffset, int ldLast) {
        DType dt = checkSequence(cell, steps, batch, hidden, lengths, gx, gxOffset, ldgx, u, uOffset, ldu, bh,
                bhOffset, h0, h0Offset, ldh0, c0, c0Offset, ldc0);
        long rows = (long) steps * batch;
        long w = (long) cell.planes() * hidden;
        lstmOnly(cell, "c", c);
        View[] inputs = {new View("gx", gx, gxOffset, rows, w, ldgx), new View("u", u, uOffset, hidden, w, ldu),
                new View("bh", bh, bhOffset, 1, hidden, hidden), new View("h0", h0, h0Offset, batch, hidden, ldh0),
                new View("c0", c0, c0Offset, batch, hidden, ldc0)};
        View[] outputs = {new View("gh", gh, ghOffset, rows, w, ldgh), new View("h", h, hOffset, rows, hidden, ldh),
                cell.hasCellState() ? new View("c", c, cOffset, rows, hidden, ldc) : null,
                last == null ? null : new View("last", last, lastOffset, batch,
                        cell.hasCellState() ? 2L * hidden : hidden, ldLast)};
        checkOutputs(dt, inputs, outputs);
        cellForwardImpl(cell, steps, batch, hidden, lengths, reverse, gx, gxOffset, ldgx, u, uOffset, ldu, bh,
                bhOffset, h0, h0Offset, ldh0, c0, c0Offset, ldc0, gh, ghOffset, ldgh, h, hOffset, ldh, c, cOffset,
                ldc, last, lastOffset, ldLast);
    }

    /**
     * Backward of one {@link #cellForward} call (see lrn4j_cell_backward), walking the steps in reverse:
     * per step {@link #cellStepBackward}, then {@code dh += dR·Uᵀ} (dR = dgh, or dgx for the LSTM).
     * cell .. c0: as in the forward call; gh, h, c: what it produced; dhOut (nullable): [steps, batch,
     * hidden], the gradient w.r.t. h from outside the recurrence; dh and (LSTM) dc, in place: [batch,
     * hidden], in the gradient w.r.t. the state after the last step processed, out w.r.t. h0 (c0); outputs
     * dgx and (GRU, ATR; null for the LSTM) dgh: [steps, batch, G·hidden].
     */
    public final void cellBackward(Cell cell, int steps, int batch, int hidden, Tensor lengths, boolean reverse,
                                   Tensor gx, long gxOffset, int ldgx, Tensor gh, long ghOffset, int ldgh,
                                   Tensor u, long uOffset, int ldu, Tensor bh, long bhOffset,
                                   Tensor h0, long h0Offset, int ldh0, Tensor c0, long c0Offset, int ldc0,
                                   Tensor h, long hOffset, int ldh, Tensor c, long cOffset, int ldc,
                                   Tensor dhOut, long dhOutOffset, int lddo, Tensor dh, long dhOffset, int lddh,
                                   Tensor dc, long dcOffset, int lddc, Tensor dgx, long dgxOffset, int lddgx,
                                   Tensor dgh, long dghOffset, int lddgh) {
        DType dt = checkSequence(cell, steps, batch, hidden, lengths, gx, gxOffset, ldgx, u, uOffset, ldu, bh,
                bhOffset, h0, h0Offset, ldh0, c0, c0Offset, ldc0);
        long rows = (long) steps * batch;
        long w = (long) cell.planes() * hidden;
        lstmOnly(cell, "c", c);
        lstmOnly(cell, "dc", dc);
        if (cell.hasCellState()) {
            Tensor.require(c, "c");
            Tensor.require(dc, "dc");
            if (dgh != null) {
                throw new IllegalArgumentException("dgh must be null for the LSTM (its gradient w.r.t. gh is dgx)");
            }
        } else {
            Tensor.require(dgh, "dgh");
        }
        Tensor.require(gh, "gh");
        Tensor.require(h, "h");
        matrix("gh", gh, dt, ghOffset, rows, w, ldgh);
        matrix("h", h, dt, hOffset, rows, hidden, ldh);
        if (c != null) {
            matrix("c", c, dt, cOffset, rows, hidden, ldc);
        }
        if (dhOut != null) {
            matrix("dhOut", dhOut, dt, dhOutOffset, rows, hidden, lddo);
        }
        View[] inputs = {new View("gx", gx, gxOffset, rows, w, ldgx), new View("gh", gh, ghOffset, rows, w, ldgh),
                new View("u", u, uOffset, hidden, w, ldu), new View("bh", bh, bhOffset, 1, hidden, hidden),
                new View("h0", h0, h0Offset, batch, hidden, ldh0), new View("c0", c0, c0Offset, batch, hidden, ldc0),
                new View("h", h, hOffset, rows, hidden, ldh), new View("c", c, cOffset, rows, hidden, ldc),
                new View("dhOut", dhOut, dhOutOffset, rows, hidden, lddo)};
        View[] outputs = {new View("dh", dh, dhOffset, batch, hidden, lddh),
                cell.hasCellState() ? new View("dc", dc, dcOffset, batch, hidden, lddc) : null,
                new View("dgx", dgx, dgxOffset, rows, w, lddgx),
                cell.hasCellState() ? null : new View("dgh", dgh, dghOffset, rows, w, lddgh)};
        checkOutputs(dt, inputs, outputs);
        cellBackwardImpl(cell, steps, batch, hidden, lengths, reverse, gx, gxOffset, ldgx, gh, ghOffset, ldgh, u,
                uOffset, ldu, bh, bhOffset, h0, h0Offset, ldh0, c0, c0Offset, ldc0, h, hOffset, ldh, c, cOffset, ldc,
                dhOut, dhOutOffset, lddo, dh, dhOffset, lddh, dc, dcOffset, lddc, dgx, dgxOffset, lddgx, dgh,
                dghOffset, lddgh);
    }

    /** A rows×cols view with row stride ld at offset of a tensor (null: absent), for the overlap checks. */
    private record View(String name, Tensor t, long offset, long rows, long cols, long ld) {
    }

    /** The inputs both sequence kernels share; returns the element type of the call. */
    private DType checkSequence(Cell cell, int steps, int batch, int hidden, Tensor lengths,
                                Tensor gx, long gxOffset, int ldgx, Tensor u, long uOffset, int ldu,
                                Tensor bh, long bhOffset, Tensor h0, long h0Offset, int ldh0,
                                Tensor c0, long c0Offset, int ldc0) {
        positive("steps", steps);
        DType dt = checkStep(cell, batch, hidden, 0, lengths, gx, gxOffset, ldgx, gx, gxOffset, ldgx, bh, bhOffset,
                h0, h0Offset, ldh0, c0, c0Offset, ldc0);
        long w = (long) cell.planes() * hidden;
        matrix("gx", gx, dt, gxOffset, (long) steps * batch, w, ldgx);
        matrix("u", u, dt, uOffset, hidden, w, ldu);
        return dt;
    }

    /** Checks each output view and rejects one that overlaps an input or an output before it. */
    private void checkOutputs(DType dt, View[] inputs, View[] outputs) {
        for (int i = 0; i < outputs.length; i++) {
            View o = outputs[i];
            if (o == null) {
                continue;
            }
            matrix(o.name, o.t, dt, o.offset, o.rows, o.cols, o.ld);
            for (View in : inputs) {
                if (in.t != null) {
                    disjoint(o.name, o.t, o.offset, o.rows, o.cols, o.ld, in.name, in.t, in.offset, in.rows, in.cols,
                            in.ld);
                }
            }
            for (int j = 0; j < i; j++) {
                View p = outputs[j];
                if (p != null) {
                    disjoint(o.name, o.t, o.offset, o.rows, o.cols, o.ld, p.name, p.t, p.offset, p.rows, p.cols, p.ld);
                }
            }
        }
    }

    /** The inputs both step kernels share; returns the element type of the call. */
    private DType checkStep(Cell cell, int batch, int hidden, int step, Tensor lengths,
                            Tensor gx, long gxOffset, int ldgx, Tensor gh, long ghOffset, int ldgh,
                            Tensor bh, long bhOffset, Tensor hPrev, long hPrevOffset, int ldhp,
                            Tensor cPrev, long cPrevOffset, int ldcp) {
        if (cell == null) {
            throw new IllegalArgumentException("cell must not be null");
        }
        positive("batch", batch);
        positive("hidden", hidden);
        nonNegative("step", step);
        DType dt = floating("gx", gx);
        long w = (long) cell.planes() * hidden;
        matrix("gx", gx, dt, gxOffset, batch, w, ldgx);
        matrix("gh", gh, dt, ghOffset, batch, w, ldgh);
        if (bh != null) {
            if (cell == Cell.LSTM) {
                throw new IllegalArgumentException("bh must be null for the LSTM (its biases are all in gx)");
            }
            matrix("bh", bh, dt, bhOffset, 1, hidden, hidden);
        }
        if (hPrev != null) {
            matrix("hPrev", hPrev, dt, hPrevOffset, batch, hidden, ldhp);
        }
        lstmOnly(cell, "cPrev", cPrev);
        if (cPrev != null) {
            matrix("cPrev", cPrev, dt, cPrevOffset, batch, hidden, ldcp);
        }
        if (lengths != null) {
            Tensor.require(lengths, "lengths");
            if (lengths.dtype() != DType.INT32 || lengths.numel() != batch) {
                throw new IllegalArgumentException("lengths must be INT32 with " + batch + " elements, got "
                        + lengths.describe());
            }
            sameDevice("lengths", lengths);
        }
        return dt;
    }

    private static void lstmOnly(Cell cell, String what, Tensor t) {
        if (t != null && !cell.hasCellState()) {
            throw new IllegalArgumentException(what + " must be null for the " + cell + ", which has no cell state");
        }
    }

    /** Rejects a step output (rows×cols, stride ld at offset) that overlaps one of the step's inputs. */
    private static void stepOutput(String what, Tensor o, long off, long rows, long cols, long ld, int hidden, long w,
                                   Tensor gx, long gxOffset, int ldgx, Tensor gh, long ghOffset, int ldgh,
                                   Tensor bh, long bhOffset, Tensor hPrev, long hPrevOffset, int ldhp,
                                   Tensor cPrev, long cPrevOffset, int ldcp) {
        disjoint(what, o, off, rows, cols, ld, "gx", gx, gxOffset, rows, w, ldgx);
        disjoint(what, o, off, rows, cols, ld, "gh", gh, ghOffset, rows, w, ldgh);
        if (bh != null) {
            disjoint(what, o, off, rows, cols, ld, "bh", bh, bhOffset, 1, hidden, hidden);
        }
        if (hPrev != null) {
            disjoint(what, o, off, rows, cols, ld, "hPrev", hPrev, hPrevOffset, rows, hidden, ldhp);
        }
        if (cPrev != null) {
            disjoint(what, o, off, rows, cols, ld, "cPrev", cPrev, cPrevOffset, rows, hidden, ldcp);
        }
    }

    // ---- SRU scan ----------------------------------------------------------------------------------

    /**
     * The SRU recurrence over time for every (batch, hidden) column (see lrn4j_sru_scan_forward).
     * u: [steps, batch, k, hidden] with row stride ldu, k = 3 or 4 planes (x̃, f, r and, when 4, the highway
     * projection); x: the highway input [steps, batch, hidden] when k = 3, null when k = 4; v and bias: 2·hidden
     * values each (v_f then v_r, b_f then b_r) at their offsets; c0 (nullable): [batch, hidden]; lengths
     * (nullable): INT32, batch values in [1, steps]; outputs h and c: [steps, batch, hidden] with row strides,
     * and cLast (nullable): [batch, hidden].
     */
    public final void sruScanForward(int steps, int batch, int hidden, int k, Tensor u, long uOffset, int ldu,
                                     Tensor x, long xOffset, int ldx, Tensor v, long vOffset, Tensor bias,
                                     long biasOffset, Tensor c0, long c0Offset, Tensor lengths, Activation act,
                                     boolean reverse, Tensor h, long hOffset, int ldh, Tensor c, long cOffset, int ldc,
                                     Tensor cLast, long cLastOffset) {
        DType dt = checkSru(steps, batch, hidden, k, u, uOffset, ldu, x, xOffset, ldx, v, vOffset, bias, biasOffset,
                c0, c0Offset, lengths, act);
        long rows = (long) steps * batch;
        matrix("h", h, dt, hOffset, rows, hidden, ldh);
        matrix("c", c, dt, cOffset, rows, hidden, ldc);
        sruOutput("h", h, hOffset, rows, hidden, ldh, steps, batch, hidden, k, u, uOffset, ldu, x, xOffset, ldx, v,
                vOffset, bias, biasOffset, c0, c0Offset);
        sruOutput("c", c, cOffset, rows, hidden, ldc, steps, batch, hidden, k, u, uOffset, ldu, x, xOffset, ldx, v,
                vOffset, bias, biasOffset, c0, c0Offset);
        disjoint("c", c, cOffset, rows, hidden, ldc, "h", h, hOffset, rows, hidden, ldh);
        if (cLast != null) {
            matrix("cLast", cLast, dt, cLastOffset, batch, hidden, hidden);
            sruOutput("cLast", cLast, cLastOffset, batch, hidden, hidden, steps, batch, hidden, k, u, uOffset, ldu,
                    x, xOffset, ldx, v, vOffset, bias, biasOffset, c0, c0Offset);
            disjoint("cLast", cLast, cLastOffset, batch, hidden, hidden, "h", h, hOffset, rows, hidden, ldh);
            disjoint("cLast", cLast, cLastOffset, batch, hidden, hidden, "c", c, cOffset, rows, hidden, ldc);
        }
        sruScanForwardImpl(steps, batch, hidden, k, u, uOffset, ldu, x, xOffset, ldx, v, vOffset, bias, biasOffset,
                c0, c0Offset, lengths, act, reverse, h, hOffset, ldh, c, cOffset, ldc, cLast, cLastOffset);
    }

    /**
     * Backward of {@link #sruScanForward} (see lrn4j_sru_scan_backward). steps .. reverse and c: as in (and
     * from) the forward call; dh (nullable, row stride lddh) and dcLast (nullable): the gradients w.r.t. h and
     * cLast. Outputs: du [steps, batch, k, hidden]; dx (k = 3; null when k = 4): the highway gradient is
     * ADDED to it; dv: [batch, 2·hidden] at dvOffset, per-sequence sums whose column sum is the gradient of
     * v; dc0 (nullable): [batch, hidden].
     */
    public final void sruScanBackward(int steps, int batch, int hidden, int k, Tensor u, long uOffset, int ldu,
                                      Tensor x, long xOffset, int ldx, Tensor v, long vOffset, Tensor bias,
                                      long biasOffset, Tensor c0, long c0Offset, Tensor lengths, Activation act,
                                      boolean reverse, Tensor c, long cOffset, int ldc, Tensor dh, long dhOffset,
                                      int lddh, Tensor dcLast, long dcLastOffset, Tensor du, long duOffset, int lddu,
                                      Tensor dx, long dxOffset, int lddx, Tensor dv, long dvOffset,
                                      Tensor dc0, long dc0Offset) {
        DType dt = checkSru(steps, batch, hidden, k, u, uOffset, ldu, x, xOffset, ldx, v, vOffset, bias, biasOffset,
                c0, c0Offset, lengths, act);
        long rows = (long) steps * batch;
        matrix("c", c, dt, cOffset, rows, hidden, ldc);
        if (dh != null) {
            matrix("dh", dh, dt, dhOffset, rows, hidden, lddh);
        }
        if (dcLast != null) {
            matrix("dcLast", dcLast, dt, dcLastOffset, batch, hidden, hidden);
        }
        matrix("du", du, dt, duOffset, rows, (long) k * hidden, lddu);
        if (k == 3) {
            matrix("dx", dx, dt, dxOffset, rows, hidden, lddx);
        } else if (dx != null) {
            throw new IllegalArgumentException("dx must be null when k = 4 (the highway input is a projection in u)");
        }
        matrix("dv", dv, dt, dvOffset, batch, 2L * hidden, 2L * hidden);
        if (dc0 != null) {
            matrix("dc0", dc0, dt, dc0Offset, batch, hidden, hidden);
        }
        String[] names = {"du", "dx", "dv", "dc0"};
        Tensor[] outs = {du, dx, dv, dc0};
        long[] offsets = {duOffset, dxOffset, dvOffset, dc0Offset};
        long[] outRows = {rows, rows, batch, batch};
        long[] cols = {(long) k * hidden, hidden, 2L * hidden, hidden};
        long[] lds = {lddu, lddx, 2L * hidden, hidden};
        for (int i = 0; i < outs.length; i++) {
            if (outs[i] == null) {
                continue;
            }
            sruOutput(names[i], outs[i], offsets[i], outRows[i], cols[i], lds[i], steps, batch, hidden, k, u, uOffset,
                    ldu, x, xOffset, ldx, v, vOffset, bias, biasOffset, c0, c0Offset);
            disjoint(names[i], outs[i], offsets[i], outRows[i], cols[i], lds[i], "c", c, cOffset, rows, hidden, ldc);
            if (dh != null) {
                disjoint(names[i], outs[i], offsets[i], outRows[i], cols[i], lds[i], "dh", dh, dhOffset, rows, hidden,
                        lddh);
            }
            if (dcLast != null) {
                disjoint(names[i], outs[i], offsets[i], outRows[i], cols[i], lds[i], "dcLast", dcLast, dcLastOffset,
                        batch, hidden, hidden);
            }
            for (int j = 0; j < i; j++) {
                if (outs[j] != null) {
                    disjoint(names[i], outs[i], offsets[i], outRows[i], cols[i], lds[i], names[j], outs[j],
                            offsets[j], outRows[j], cols[j], lds[j]);
                }
            }
        }
        sruScanBackwardImpl(steps, batch, hidden, k, u, uOffset, ldu, x, xOffset, ldx, v, vOffset, bias, biasOffset,
                c0, c0Offset, lengths, act, reverse, c, cOffset, ldc, dh, dhOffset, lddh, dcLast, dcLastOffset,
                du, duOffset, lddu, dx, dxOffset, lddx, dv, dvOffset, dc0, dc0Offset);
    }

    private DType checkSru(int steps, int batch, int hidden, int k, Tensor u, long uOffset, int ldu,
                           Tensor x, long xOffset, int ldx, Tensor v, long vOffset, Tensor bias, long biasOffset,
                           Tensor c0, long c0Offset, Tensor lengths, Activation act) {
        positive("steps", steps);
        positive("batch", batch);
        positive("hidden", hidden);
        if (k != 3 && k != 4) {
            throw new IllegalArgumentException("k must be 3 or 4, got " + k);
        }
        if (act == null) {
            throw new IllegalArgumentException("act must not be null");
        }
        DType dt = floating("u", u);
        long rows = (long) steps * batch;
        matrix("u", u, dt, uOffset, rows, (long) k * hidden, ldu);
        if (k == 3) {
            matrix("x", x, dt, xOffset, rows, hidden, ldx);
        } else if (x != null) {
            throw new IllegalArgumentException("x must be null when k = 4 (the highway input is a projection in u)");
        }
        matrix("v", v, dt, vOffset, 1, 2L * hidden, 2L * hidden);
        matrix("bias", bias, dt, biasOffset, 1, 2L * hidden, 2L * hidden);
        if (c0 != null) {
            matrix("c0", c0, dt, c0Offset, batch, hidden, hidden);
        }
        if (lengths != null) {
            checkLengths(lengths, batch, steps);
        }
        return dt;
    }

    /** Rejects an SRU output view that overlaps one of the scan's inputs. */
    private static void sruOutput(String what, Tensor o, long off, long rows, long cols, long ld, int steps, int batch,
                                  int hidden, int k, Tensor u, long uOffset, int ldu, Tensor x, long xOffset, int ldx,
                                  Tensor v, long vOffset, Tensor bias, long biasOffset, Tensor c0, long c0Offset) {
        long inRows = (long) steps * batch;
        disjoint(what, o, off, rows, cols, ld, "u", u, uOffset, inRows, (long) k * hidden, ldu);
        if (x != null) {
            disjoint(what, o, off, rows, cols, ld, "x", x, xOffset, inRows, hidden, ldx);
        }
        disjoint(what, o, off, rows, cols, ld, "v", v, vOffset, 1, 2L * hidden, 2L * hidden);
        disjoint(what, o, off, rows, cols, ld, "bias", bias, biasOffset, 1, 2L * hidden, 2L * hidden);
        if (c0 != null) {
            disjoint(what, o, off, rows, cols, ld, "c0", c0, c0Offset, batch, hidden, hidden);
        }
    }

    // ---- oLRN scan ---------------------------------------------------------------------------------

    /**
     * The oLRN recurrence (the LRN scan with an output gate) over time for every (batch, hidden) column (see
     * lrn4j_olrn_scan_forward): {@code c = act(i⊙v + f⊙h₋₁)}, {@code h = σ(p − c)⊙c}. g: gates [steps, batch, 4,
     * hidden] (q, k, v, p) with row stride ldg; h0 (nullable): [batch, hidden] at h0Offset; lengths
     * (nullable): INT32, batch values in [1, steps]; outputs hs (the states) and cs (c of each active step, 0
     * elsewhere, which the backward pass reads): [steps, batch, hidden] with row strides ldh and ldc; hLast
     * (nullable): [batch, hidden] at hLastOffset.
     */
    public final void olrnScanForward(int steps, int batch, int hidden, Tensor g, long gOffset, int ldg,
                                      Tensor h0, long h0Offset, Tensor lengths, Activation act, boolean reverse,
                                      Tensor hs, long hsOffset, int ldh, Tensor cs, long csOffset, int ldc,
                                      Tensor hLast, long hLastOffset) {
        DType dt = checkOlrn(steps, batch, hidden, g, gOffset, ldg, h0, h0Offset, lengths, act);
        long rows = (long) steps * batch;
        matrix("hs", hs, dt, hsOffset, rows, hidden, ldh);
        matrix("cs", cs, dt, csOffset, rows, hidden, ldc);
        olrnOutput("hs", hs, hsOffset, rows, hidden, ldh, steps, batch, hidden, g, gOffset, ldg, h0, h0Offset);
        olrnOutput("cs", cs, csOffset, rows, hidden, ldc, steps, batch, hidden, g, gOffset, ldg, h0, h0Offset);
        disjoint("cs", cs, csOffset, rows, hidden, ldc, "hs", hs, hsOffset, rows, hidden, ldh);
        if (hLast != null) {
            // hLast may be h0 itself, as in the LRN scan: each column reads its h0 before the walk and writes its
            // hLast after it.
            matrix("hLast", hLast, dt, hLastOffset, batch, hidden, hidden);
            disjoint("hLast", hLast, hLastOffset, batch, hidden, hidden, "g", g, gOffset, rows, 4L * hidden, ldg);
            disjoint("hLast", hLast, hLastOffset, batch, hidden, hidden, "hs", hs, hsOffset, rows, hidden, ldh);
            disjoint("hLast", hLast, hLastOffset, batch, hidden, hidden, "cs", cs, csOffset, rows, hidden, ldc);
        }
        olrnScanForwardImpl(steps, batch, hidden, g, gOffset, ldg, h0, h0Offset, lengths, act, reverse,
                hs, hsOffset, ldh, cs, csOffset, ldc, hLast, hLastOffset);
    }

    /**
     * Backward of {@link #olrnScanForward} (see lrn4j_olrn_scan_backward): steps .. reverse, hs and cs as in
     * (and from) the forward call; from dhs (nullable, row stride lddh) and dhLast (nullable) writes dg
     * [steps, batch, 4, hidden] (row stride lddg) and dh0 (nullable).
     */
    public final void olrnScanBackward(int steps, int batch, int hidden, Tensor g, long gOffset, int ldg,
                                       Tensor h0, long h0Offset, Tensor lengths, Activation act, boolean reverse,
                                       Tensor hs, long hsOffset, int ldh, Tensor cs, long csOffset, int ldc,
                                       Tensor dhs, long dhsOffset, int lddh, Tensor dhLast, long dhLastOffset,
                                       Tensor dg, long dgOffset, int lddg, Tensor dh0, long dh0Offset) {
        DType dt = checkOlrn(steps, batch, hidden, g, gOffset, ldg, h0, h0Offset, lengths, act);
        long rows = (long) steps * batch;
        matrix("hs", hs, dt, hsOffset, rows, hidden, ldh);
        matrix("cs", cs, dt, csOffset, rows, hidden, ldc);
        if (dhs != null) {
            matrix("dhs", dhs, dt, dhsOffset, rows, hidden, lddh);
        }
        if (dhLast != null) {
            matrix("dhLast", dhLast, dt, dhLastOffset, batch, hidden, hidden);
        }
        matrix("dg", dg, dt, dgOffset, rows, 4L * hidden, lddg);
        if (dh0 != null) {
            matrix("dh0", dh0, dt, dh0Offset, batch, hidden, hidden);
        }
        // Explicit calls rather than a loop over arrays of views: a layer's steady-state backward allocates nothing.
        olrnGradient("dg", dg, dgOffset, rows, 4L * hidden, lddg, steps, batch, hidden, g, gOffset, ldg, h0, h0Offset,
                hs, hsOffset, ldh, cs, csOffset, ldc, dhs, dhsOffset, lddh, dhLast, dhLastOffset);
        if (dh0 != null) {
            olrnGradient("dh0", dh0, dh0Offset, batch, hidden, hidden, steps, batch, hidden, g, gOffset, ldg, h0,
                    h0Offset, hs, hsOffset, ldh, cs, csOffset, ldc, dhs, dhsOffset, lddh, dhLast, dhLastOffset);
            disjoint("dh0", dh0, dh0Offset, batch, hidden, hidden, "dg", dg, dgOffset, rows, 4L * hidden, lddg);
        }
        olrnScanBackwardImpl(steps, batch, hidden, g, gOffset, ldg, h0, h0Offset, lengths, act, reverse,
                hs, hsOffset, ldh, cs, csOffset, ldc, dhs, dhsOffset, lddh, dhLast, dhLastOffset,
                dg, dgOffset, lddg, dh0, dh0Offset);
    }

    private DType checkOlrn(int steps, int batch, int hidden, Tensor g, long gOffset, int ldg,
                            Tensor h0, long h0Offset, Tensor lengths, Activation act) {
        positive("steps", steps);
        positive("batch", batch);
        positive("hidden", hidden);
        if (act == null) {
            throw new IllegalArgumentException("act must not be null");
        }
        DType dt = floating("g", g);
        matrix("g", g, dt, gOffset, (long) steps * batch, 4L * hidden, ldg);
        if (h0 != null) {
            matrix("h0", h0, dt, h0Offset, batch, hidden, hidden);
        }
        if (lengths != null) {
            checkLengths(lengths, batch, steps);
        }
        return dt;
    }

    /** Rejects an output view of the oLRN backward scan that overlaps one of its inputs. */
    private static void olrnGradient(String what, Tensor o, long off, long rows, long cols, long ld, int steps,
                                     int batch, int hidden, Tensor g, long gOffset, int ldg, Tensor h0, long h0Offset,
                                     Tensor hs, long hsOffset, int ldh, Tensor cs, long csOffset, int ldc,
                                     Tensor dhs, long dhsOffset, int lddh, Tensor dhLast, long dhLastOffset) {
        long scanRows = (long) steps * batch;
        olrnOutput(what, o, off, rows, cols, ld, steps, batch, hidden, g, gOffset, ldg, h0, h0Offset);
        disjoint(what, o, off, rows, cols, ld, "hs", hs, hsOffset, scanRows, hidden, ldh);
        disjoint(what, o, off, rows, cols, ld, "cs", cs, csOffset, scanRows, hidden, ldc);
        if (dhs != null) {
            disjoint(what, o, off, rows, cols, ld, "dhs", dhs, dhsOffset, scanRows, hidden, lddh);
        }
        if (dhLast != null) {
            disjoint(what, o, off, rows, cols, ld, "dhLast", dhLast, dhLastOffset, batch, hidden, hidden);
        }
    }

    /** Rejects an oLRN scan output view that overlaps the gates or the initial state. */
    private static void olrnOutput(String what, Tensor o, long off, long rows, long cols, long ld, int steps,
                                   int batch, int hidden, Tensor g, long gOffset, int ldg, Tensor h0, long h0Offset) {
        disjoint(what, o, off, rows, cols, ld, "g", g, gOffset, (long) steps * batch, 4L * hidden, ldg);
        if (h0 != null) {
            disjoint(what, o, off, rows, cols, ld, "h0", h0, h0Offset, batch, hidden, hidden);
        }
    }

    // ---- layer normalization ----------------------------------------------------------------------

    /**
     * Grouped layer normalization of m rows of {@code groups × groupSize} values (see
     * lrn4j_layer_norm_forward). gamma, beta (nullable): groups·groupSize values; mean, rstd: m·groups
     * values each, saved for the backward pass.
     */
    public final void layerNormForward(int m, int groups, int groupSize, Tensor x, long xOffset, int ldx,
                                       Tensor gamma, Tensor beta, double eps,
                                       Tensor y, long yOffset, int ldy, Tensor mean, Tensor rstd) {
        DType dt = checkLayerNorm(m, groups, groupSize, x, xOffset, ldx, gamma, mean, rstd);
        if (beta != null) {
            matrix("beta", beta, dt, 0, 1, (long) groups * groupSize, (long) groups * groupSize);
        }
        if (!(eps > 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("eps must be a positive finite number, got " + eps);
        }
        matrix("y", y, dt, yOffset, m, (long) groups * groupSize, ldy);
        boolean inPlace = y.storage() == x.storage() && yOffset == xOffset && ldy == ldx;
        if (!inPlace) {
            disjoint("y", y, yOffset, m, (long) groups * groupSize, ldy,
                    "x", x, xOffset, m, (long) groups * groupSize, ldx);
        }
        layerNormForwardImpl(m, groups, groupSize, x, xOffset, ldx, gamma, beta, eps, y, yOffset, ldy, mean, rstd);
    }

    /**
     * Backward of {@link #layerNormForward}: writes dx and adds into dgamma and dbeta (both nullable)
     * (see lrn4j_layer_norm_backward).
     */
    public final void layerNormBackward(int m, int groups, int groupSize, Tensor x, long xOffset, int ldx,
                                        Tensor gamma, Tensor mean, Tensor rstd,
                                        Tensor dy, long dyOffset, int lddy, Tensor dx, long dxOffset, int lddx,
                                        Tensor dgamma, Tensor dbeta) {
        DType dt = checkLayerNorm(m, groups, groupSize, x, xOffset, ldx, gamma, mean, rstd);
        long width = (long) groups * groupSize;
        matrix("dy", dy, dt, dyOffset, m, width, lddy);
        matrix("dx", dx, dt, dxOffset, m, width, lddx);
        disjoint("dx", dx, dxOffset, m, width, lddx, "dy", dy, dyOffset, m, width, lddy);
        disjoint("dx", dx, dxOffset, m, width, lddx, "x", x, xOffset, m, width, ldx);
        if (dgamma != null) {
            matrix("dgamma", dgamma, dt, 0, 1, width, width);
        }
        if (dbeta != null) {
            matrix("dbeta", dbeta, dt, 0, 1, width, width);
        }
        layerNormBackwardImpl(m, groups, groupSize, x, xOffset, ldx, gamma, mean, rstd,
                dy, dyOffset, lddy, dx, dxOffset, lddx, dgamma, dbeta);
    }

    private DType checkLayerNorm(int m, int groups, int groupSize, Tensor x, long xOffset, int ldx,
                                 Tensor gamma, Tensor mean, Tensor rstd) {
        nonNegative("m", m);
        positive("groups", groups);
        positive("groupSize", groupSize);
        DType dt = floating("x", x);
        long width = (long) groups * groupSize;
        matrix("x", x, dt, xOffset, m, width, ldx);
        if (gamma != null) {
            matrix("gamma", gamma, dt, 0, 1, width, width);
        }
        matrix("mean", mean, dt, 0, m, groups, groups);
        matrix("rstd", rstd, dt, 0, m, groups, groups);
        return dt;
    }

    // ---- implementations (arguments already validated) --------------------------------------------

    protected abstract void gemmImpl(boolean transA, boolean transB, int m, int n, int k,
                                     Tensor a, long aOffset, int lda, Tensor b, long bOffset, int ldb,
                                     Tensor bias, boolean accumulate, Tensor c, long cOffset, int ldc);

    protected abstract void colSumImpl(int m, int n, Tensor a, long aOffset, int lda, boolean accumulate,
                                       Tensor out, long outOffset);

    protected abstract void lrnScanForwardImpl(int steps, int batch, int hidden,
                                               Tensor g, long gOffset, int ldg, Tensor h0, long h0Offset,
                                               Tensor lengths, Activation act, boolean reverse,
                                               Tensor hs, long hsOffset, int ldh, Tensor hLast, long hLastOffset);

    protected abstract void lrnScanBackwardImpl(int steps, int batch, int hidden,
                                                Tensor g, long gOffset, int ldg, Tensor h0, long h0Offset,
                                                Tensor lengths, Activation act, boolean reverse,
                                                Tensor hs, long hsOffset, int ldh,
                                                Tensor dhs, long dhsOffset, int lddh,
                                                Tensor dhLast, long dhLastOffset,
                                                Tensor dg, long dgOffset, int lddg, Tensor dh0, long dh0Offset);

    protected abstract void cellStepForwardImpl(Cell cell, int batch, int hidden, int step, Tensor lengths,
                                                Tensor gx, long gxOffset, int ldgx, Tensor gh, long ghOffset,
                                                int ldgh, Tensor bh, long bhOffset, Tensor hPrev, long hPrevOffset,
                                                int ldhp, Tensor cPrev, long cPrevOffset, int ldcp,
                                                Tensor h, long hOffset, int ldh, Tensor c, long cOffset, int ldc,
                                                Tensor last, long lastOffset, int ldLast);

    protected abstract void cellStepBackwardImpl(Cell cell, int batch, int hidden, int step, Tensor lengths,
                                                 Tensor gx, long gxOffset, int ldgx, Tensor gh, long ghOffset,
                                                 int ldgh, Tensor bh, long bhOffset, Tensor hPrev, long hPrevOffset,
                                                 int ldhp, Tensor cPrev, long cPrevOffset, int ldcp,
                                                 Tensor c, long cOffset, int ldc, Tensor dhOut, long dhOutOffset,
                                                 int lddo, Tensor dh, long dhOffset, int lddh,
                                                 Tensor dc, long dcOffset, int lddc, Tensor dgx, long dgxOffset,
                                                 int lddgx, Tensor dgh, long dghOffset, int lddgh);

    /**
     * {@link #cellForward} on this backend's GEMM and step kernels, one call each per step; a backend with a
     * kernel for the whole recurrence overrides it.
     */
    protected void cellForwardImpl(Cell cell, int steps, int batch, int hidden, Tensor lengths, boolean reverse,
                                   Tensor gx, long gxOffset, int ldgx, Tensor u, long uOffset, int ldu,
                                   Tensor bh, long bhOffset, Tensor h0, long h0Offset, int ldh0,
                                   Tensor c0, long c0Offset, int ldc0, Tensor gh, long ghOffset, int ldgh,
                                   Tensor h, long hOffset, int ldh, Tensor c, long cOffset, int ldc,
                                   Tensor last, long lastOffset, int ldLast) {
        int w = cell.planes() * hidden;
        for (int s = 0; s < steps; s++) {
            int t = reverse ? steps - 1 - s : s;
            long at = (long) t * batch;
            StateBefore p = StateBefore.of(s, steps, batch, reverse, h0, h0Offset, ldh0, c0, c0Offset, ldc0, h,
                    hOffset, ldh, c, cOffset, ldc);
            if (p.h == null) {
                // k = 0: gh becomes zeros (lrn4j_gemm's contract)
                gemmImpl(false, false, batch, w, 0, gh, ghOffset + at * ldgh, 1, gh, ghOffset + at * ldgh, ldgh,
                        null, false, gh, ghOffset + at * ldgh, ldgh);
            } else {
                gemmImpl(false, false, batch, w, hidden, p.h, p.hAt, p.ldh, u, uOffset, ldu, null, false, gh,
                        ghOffset + at * ldgh, ldgh);
            }
            cellStepForwardImpl(cell, batch, hidden, t, lengths, gx, gxOffset + at * ldgx, ldgx, gh,
                    ghOffset + at * ldgh, ldgh, bh, bhOffset, p.h, p.hAt, p.ldh, p.c, p.cAt, p.ldc, h,
                    hOffset + at * ldh, ldh, c, c == null ? 0 : cOffset + at * ldc, ldc,
                    s == steps - 1 ? last : null, lastOffset, ldLast);
        }
    }

    /**
     * Where the state before processing position s of a {@link #cellForward} walk lies: the initial state (h0,
     * c0; null for zeros) for the first step, else the outputs of the step processed before. c is null for the
     * cells without a cell state.
     */
    private record StateBefore(Tensor h, long hAt, int ldh, Tensor c, long cAt, int ldc) {
        static StateBefore of(int s, int steps, int batch, boolean reverse, Tensor h0, long h0Offset, int ldh0,
                              Tensor c0, long c0Offset, int ldc0, Tensor h, long hOffset, int ldh, Tensor c,
                              long cOffset, int ldc) {
            if (s == 0) {
                return new StateBefore(h0, h0Offset, ldh0, c0, c0 == null ? 0 : c0Offset, ldc0);
            }
            long prev = (long) (reverse ? steps - s : s - 1) * batch;
            return new StateBefore(h, hOffset + prev * ldh, ldh, c, c == null ? 0 : cOffset + prev * ldc, ldc);
        }
    }

    /** {@link #cellBackward} on this backend's step and GEMM kernels, one call each per step (see cellForwardImpl). */
    protected void cellBackwardImpl(Cell cell, int steps, int batch, int hidden, Tensor lengths, boolean reverse,
                                    Tensor gx, long gxOffset, int ldgx, Tensor gh, long ghOffset, int ldgh,
                                    Tensor u, long uOffset, int ldu, Tensor bh, long bhOffset,
                                    Tensor h0, long h0Offset, int ldh0, Tensor c0, long c0Offset, int ldc0,
                                    Tensor h, long hOffset, int ldh, Tensor c, long cOffset, int ldc,
                                    Tensor dhOut, long dhOutOffset, int lddo, Tensor dh, long dhOffset, int lddh,
                                    Tensor dc, long dcOffset, int lddc, Tensor dgx, long dgxOffset, int lddgx,
                                    Tensor dgh, long dghOffset, int lddgh) {
        int w = cell.planes() * hidden;
        boolean lstm = cell.hasCellState();
        for (int s = steps - 1; s >= 0; s--) {
            int t = reverse ? steps - 1 - s : s;
            long at = (long) t * batch;
            StateBefore p = StateBefore.of(s, steps, batch, reverse, h0, h0Offset, ldh0, c0, c0Offset, ldc0, h,
                    hOffset, ldh, c, cOffset, ldc);
            cellStepBackwardImpl(cell, batch, hidden, t, lengths, gx, gxOffset + at * ldgx, ldgx, gh,
                    ghOffset + at * ldgh, ldgh, bh, bhOffset, p.h, p.hAt, p.ldh, p.c, p.cAt, p.ldc, c,
                    c == null ? 0 : cOffset + at * ldc, ldc, dhOut, dhOut == null ? 0 : dhOutOffset + at * lddo, lddo,
                    dh, dhOffset, lddh, dc, dcOffset, lddc, dgx, dgxOffset + at * lddgx, lddgx, dgh,
                    dgh == null ? 0 : dghOffset + at * lddgh, lddgh);
            // dh += dR·Uᵀ: the gradient w.r.t. h_prev through gh
            Tensor dr = lstm ? dgx : dgh;
            long drAt = lstm ? dgxOffset + at * lddgx : dghOffset + at * lddgh;
            gemmImpl(false, true, batch, hidden, w, dr, drAt, lstm ? lddgx : lddgh, u, uOffset, ldu, null, true, dh,
                    dhOffset, lddh);
        }
    }

    protected abstract void sruScanForwardImpl(int steps, int batch, int hidden, int k, Tensor u, long uOffset,
                                               int ldu, Tensor x, long xOffset, int ldx, Tensor v, long vOffset,
                                               Tensor bias, long biasOffset, Tensor c0, long c0Offset,
                                               Tensor lengths, Activation act, boolean reverse,
                                               Tensor h, long hOffset, int ldh, Tensor c, long cOffset, int ldc,
                                               Tensor cLast, long cLastOffset);

    protected abstract void sruScanBackwardImpl(int steps, int batch, int hidden, int k, Tensor u, long uOffset,
                                                int ldu, Tensor x, long xOffset, int ldx, Tensor v, long vOffset,
                                                Tensor bias, long biasOffset, Tensor c0, long c0Offset,
                                                Tensor lengths, Activation act, boolean reverse,
                                                Tensor c, long cOffset, int ldc, Tensor dh, long dhOffset, int lddh,
                                                Tensor dcLast, long dcLastOffset, Tensor du, long duOffset, int lddu,
                                                Tensor dx, long dxOffset, int lddx, Tensor dv, long dvOffset,
                                                Tensor dc0, long dc0Offset);

    protected abstract void olrnScanForwardImpl(int steps, int batch, int hidden, Tensor g, long gOffset, int ldg,
                                                Tensor h0, long h0Offset, Tensor lengths, Activation act,
                                                boolean reverse, Tensor hs, long hsOffset, int ldh,
                                                Tensor cs, long csOffset, int ldc, Tensor hLast, long hLastOffset);

    protected abstract void olrnScanBackwardImpl(int steps, int batch, int hidden, Tensor g, long gOffset, int ldg,
                                                 Tensor h0, long h0Offset, Tensor lengths, Activation act,
                                                 boolean reverse, Tensor hs, long hsOffset, int ldh,
                                                 Tensor cs, long csOffset, int ldc, Tensor dhs, long dhsOffset,
                                                 int lddh, Tensor dhLast, long dhLastOffset,
                                                 Tensor dg, long dgOffset, int lddg, Tensor dh0, long dh0Offset);

    protected abstract void layerNormForwardImpl(int m, int groups, int groupSize,
                                                 Tensor x, long xOffset, int ldx, Tensor gamma, Tensor beta,
                                                 double eps, Tensor y, long yOffset, int ldy,
                                                 Tensor mean, Tensor rstd);

    protected abstract void layerNormBackwardImpl(int m, int groups, int groupSize,
                                                  Tensor x, long xOffset, int ldx, Tensor gamma,
                                                  Tensor mean, Tensor rstd, Tensor dy, long dyOffset, int lddy,
                                                  Tensor dx, long dxOffset, int lddx, Tensor dgamma, Tensor dbeta);

    protected abstract void adamStepImpl(Tensor p, Tensor g, Tensor m, Tensor v, double lr, double beta1,
                                         double beta2, double eps, double weightDecay, double gradScale,
                                         double biasCorrection1, double biasCorrection2);

    protected abstract void sgdStepImpl(Tensor p, Tensor g, Tensor u, double lr, double momentum,
                                        double weightDecay, double gradScale, boolean nesterov);

    protected abstract double sumOfSquaresImpl(Tensor x);

    /** threshold = {@link #dropoutThreshold}(p); float backends multiply by (float) (1 / (1 − p)). */
    protected abstract void dropoutImpl(Tensor x, Tensor y, double p, int threshold, long seed);

    protected abstract void activationForwardImpl(ActivationKind kind, int n, Tensor x, long xOffset, Tensor y,
                                                  long yOffset);

    protected abstract void activationBackwardImpl(ActivationKind kind, int n, Tensor y, long yOffset, Tensor dy,
                                                   long dyOffset, Tensor dx, long dxOffset);

    protected abstract void embeddingGatherImpl(int m, int d, Tensor ids, Tensor table, int rows, int ldt,
                                                Tensor out, long outOffset, int ldo);

    protected abstract void embeddingScatterAddImpl(int m, int d, Tensor ids, Tensor dOut, long dOutOffset,
                                                    int ldo, Tensor dTable, int rows, int ldt);

    protected abstract void softmaxCrossEntropyImpl(int m, int n, Tensor logits, long offset, int ld,
                                                    Tensor targets, double scale, Tensor loss,
                                                    Tensor dLogits, long dOffset, int ldd);

    // ---- argument checks ---------------------------------------------------------------------------

    private static void nonNegative(String what, long v) {
        if (v < 0) {
            throw new IllegalArgumentException(what + " must be >= 0, got " + v);
        }
    }

    private static void positive(String what, long v) {
        if (v < 1) {
            throw new IllegalArgumentException(what + " must be >= 1, got " + v);
        }
    }

    private void sameDevice(String what, Tensor t) {
        if (t.device() != device()) {
            throw new IllegalArgumentException(what + " is on " + t.device() + " but the " + name()
                    + " backend computes on " + device() + "; copy it first");
        }
    }

    /** The element type of the call, taken from {@code t}, which must be a supported floating type. */
    private DType floating(String what, Tensor t) {
        Tensor.require(t, what);
        if (!t.dtype().isFloating() || !supports(t.dtype())) {
            throw new IllegalArgumentException(what + " has element type " + t.dtype()
                    + ", which the " + name() + " backend does not compute");
        }
        return t.dtype();
    }

    /** Checks that a rows×cols view with row stride ld at offset lies inside t, on this device, of type dt. */
    private void matrix(String what, Tensor t, DType dt, long offset, long rows, long cols, long ld) {
        Tensor.require(t, what);
        sameDevice(what, t);
        if (t.dtype() != dt) {
            throw new IllegalArgumentException(what + " has element type " + t.dtype() + ", expected " + dt);
        }
        if (offset < 0) {
            throw new IllegalArgumentException(what + " offset must be >= 0, got " + offset);
        }
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException(what + " row stride " + ld + " is smaller than its " + cols
                    + " columns");
        }
        if (rows > 0 && cols > 0) {
            long end = offset + (rows - 1) * ld + cols;
            if (end > t.numel()) {
                throw new IllegalArgumentException(what + ": a " + rows + "x" + cols + " view with row stride "
                        + ld + " at offset " + offset + " needs " + end + " elements, but " + t.describe()
                        + " has " + t.numel());
            }
        }
    }

    /**
     * Rejects an output view that overlaps an input view of the same storage: their element spans overlap,
     * unless both have the same row stride and lie in separate column ranges of it (the h and c halves of an
     * LSTM state row, the two directions of a bidirectional layer).
     */
    private static void disjoint(String out, Tensor o, long oOffset, long oRows, long oCols, long oLd,
                                 String in, Tensor i, long iOffset, long iRows, long iCols, long iLd) {
        if (o.storage() != i.storage() || oRows == 0 || oCols == 0 || iRows == 0 || iCols == 0) {
            return;
        }
        long oEnd = oOffset + (oRows - 1) * oLd + oCols;
        long iEnd = iOffset + (iRows - 1) * iLd + iCols;
        if (oOffset >= iEnd || iOffset >= oEnd) {
            return;
        }
        if (oLd == iLd) {
            long oCol = oOffset % oLd;
            long iCol = iOffset % iLd;
            boolean inRow = oCol + oCols <= oLd && iCol + iCols <= iLd;
            if (inRow && (oCol + oCols <= iCol || iCol + iCols <= oCol)) {
                return;
            }
        }
        throw new IllegalArgumentException(out + " overlaps " + in + " in the same storage");
    }
}

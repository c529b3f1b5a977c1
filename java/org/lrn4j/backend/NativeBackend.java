package org.lrn4j.backend;

import java.util.Locale;

import org.lrn4j.kernels.NativeKernels;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Device;
import org.lrn4j.tensor.HostStorage;
import org.lrn4j.tensor.Tensor;

/**
 * The C++ CPU kernels (scalar reference, AVX2/FMA, and an AVX-512F GEMM and LRN/oLRN scans, chosen at
 * run time by CPU features; OpenMP threads) called in place on off-heap host tensors through {@link NativeKernels}.
 * FLOAT64 tensors, which the native kernels do not compute, are handled by {@link ReferenceBackend}.
 *
 * <p>System properties read once at load: {@code lrn4j.threads} (kernel threads, default: all
 * processors) and {@code lrn4j.isa} ({@code scalar}, {@code avx2} or {@code avx512}, default: the best
 * the CPU has; {@code avx512} is the AVX-512F GEMM and LRN/oLRN scans with the AVX2 kernels for everything
 * else). Without
 * the property, the environment variable {@code LRN4J_ISA} is read the same way. Forcing a level the CPU
 * lacks is an error. The kernel sets may differ from each other by rounding; none depends on the thread
 * count.
 */
public final class NativeBackend extends Backend {
    private static NativeBackend instance;
    private static RuntimeException failure;

    private NativeBackend() {
    }

    /** The native backend, loading its libraries on first use; throws {@link IllegalStateException} with the reason if they cannot load. */
    public static synchronized NativeBackend load() {
        if (instance == null && failure == null) {
            try {
                int abi = NativeKernels.abiVersion();
                if (abi != 1) {
                    throw new IllegalStateException("liblrn4j_cpu has ABI version " + abi + ", expected 1");
                }
                configure();
                instance = new NativeBackend();
            } catch (LinkageError e) {
                failure = new IllegalStateException("the native library cannot be loaded on "
                        + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + ": " + e, e);
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        if (failure != null) {
            throw new IllegalStateException(failure.getMessage(), failure);
        }
        return instance;
    }

    private static void configure() {
        if (System.getProperty("lrn4j.threads") != null) {
            NativeKernels.setNumThreads(KernelThreads.configured());
        }
        String isa = System.getProperty("lrn4j.isa");
        String source = "-Dlrn4j.isa";
        if (isa == null) {
            isa = System.getenv("LRN4J_ISA");
            source = "LRN4J_ISA";
        }
        if (isa != null) {
            int wanted = isaLevel(isa, source);
            if (NativeKernels.setIsa(wanted) != wanted) {
                throw new IllegalStateException(source + "=" + isa + " is not supported by this CPU (features: "
                        + cpuFeatures() + ")");
            }
        }
    }

    private static int isaLevel(String name, String source) {
        switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "scalar":
                return NativeKernels.ISA_SCALAR;
            case "avx2":
                return NativeKernels.ISA_AVX2;
            case "avx512":
                return NativeKernels.ISA_AVX512;
            default:
                throw new IllegalStateException(source + " must be scalar, avx2 or avx512, got '" + name + "'");
        }
    }

    /** Whether this CPU runs kernel set {@code name} ("scalar", "avx2" or "avx512"). */
    public static boolean supportsIsa(String name) {
        int level = isaLevel(name, "kernel set");
        int f = NativeKernels.cpuFeatures();
        switch (level) {
            case NativeKernels.ISA_AVX512:
                return (f & NativeKernels.CPU_AVX2) != 0 && (f & NativeKernels.CPU_AVX512F) != 0;
            case NativeKernels.ISA_AVX2:
                return (f & NativeKernels.CPU_AVX2) != 0;
            default:
                return true;
        }
    }

    /**
     * Chooses the kernel set ("scalar", "avx2" or "avx512"), as {@code -Dlrn4j.isa} does at load; throws
     * {@link IllegalArgumentException} for a name this CPU cannot run. Results may differ between kernel
     * sets by rounding (each sums in its own order); within one set they do not depend on the thread
     * count. Meant for start-up and tests: not while kernels run on other threads.
     */
    public void setIsa(String name) {
        int wanted;
        try {
            wanted = isaLevel(name, "kernel set");
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        if (!supportsIsa(name)) {
            throw new IllegalArgumentException("kernel set " + name + " is not supported by this CPU (features: "
                    + cpuFeatures() + ")");
        }
        NativeKernels.setIsa(wanted);
    }

    /** The kernel set in use as {@link #setIsa} names it: "avx512", "avx2" or "scalar". */
    public String isaName() {
        switch (NativeKernels.isa()) {
            case NativeKernels.ISA_AVX512:
                return "avx512";
            case NativeKernels.ISA_AVX2:
                return "avx2";
            default:
                return "scalar";
        }
    }

    /** The kernel set in use: "AVX-512F GEMM and scans + AVX2/FMA", "AVX2/FMA" or "scalar". */
    public String isa() {
        switch (NativeKernels.isa()) {
            case NativeKernels.ISA_AVX512:
                return "AVX-512F GEMM and scans + AVX2/FMA";
            case NativeKernels.ISA_AVX2:
                return "AVX2/FMA";
            default:
                return "scalar";
        }
    }

    public int threads() {
        return NativeKernels.numThreads();
    }

    /** Sets the number of kernel threads (>= 1). Results do not depend on it. */
    public void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + n);
        }
        NativeKernels.setNumThreads(n);
    }

    /** CPU features the native library detected: "AVX2/FMA", "AVX-512F". */
    public static String cpuFeatures() {
        int f = NativeKernels.cpuFeatures();
        StringBuilder s = new StringBuilder();
        if ((f & NativeKernels.CPU_AVX2) != 0) {
            s.append("AVX2/FMA");
        }
        if ((f & NativeKernels.CPU_AVX512F) != 0) {
            s.append(s.length() > 0 ? ", " : "").append("AVX-512F");
        }
        return s.length() == 0 ? "none beyond x86-64" : s.toString();
    }

    @Override
    public String name() {
        return "native";
    }

    @Override
    public Device device() {
        return Device.HOST;
    }

    @Override
    public String description() {
        return "native CPU kernels (" + isa() + ", " + threads() + " threads)";
    }

    @Override
    public boolean supports(DType dtype) {
        return dtype == DType.FLOAT32 || dtype == DType.FLOAT64;
    }

    @Override
    public Tensor allocate(DType dtype, long... shape) {
        return Tensor.host(dtype, shape);
    }

    /** Address of element {@code offset} of a validated host tensor, or 0 (NULL) for an absent one. */
    private static long addr(Tensor t, long offset) {
        if (t == null) {
            return 0L;
        }
        HostStorage s = (HostStorage) t.storage();
        return s.address(NativeKernels::addressOf) + offset * t.dtype().bytes();
    }

    private static boolean reference(Tensor t) {
        return t.dtype() == DType.FLOAT64;
    }

    private static final ReferenceBackend REFERENCE = ReferenceBackend.INSTANCE;

    @Override
    protected void gemmImpl(boolean transA, boolean transB, int m, int n, int k,
                            Tensor a, long aOffset, int lda, Tensor b, long bOffset, int ldb,
                            Tensor bias, boolean accumulate, Tensor c, long cOffset, int ldc) {
        if (reference(c)) {
            REFERENCE.gemmImpl(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, bias, accumulate,
                    c, cOffset, ldc);
            return;
        }
        NativeKernels.gemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, addr(a, aOffset), lda, addr(b, bOffset), ldb,
                addr(bias, 0), accumulate ? 1 : 0, addr(c, cOffset), ldc);
    }

    @Override
    protected void colSumImpl(int m, int n, Tensor a, long aOffset, int lda, boolean accumulate, Tensor out,
                              long outOffset) {
        if (reference(out)) {
            REFERENCE.colSumImpl(m, n, a, aOffset, lda, accumulate, out, outOffset);
            return;
        }
        NativeKernels.colSum(m, n, addr(a, aOffset), lda, accumulate ? 1 : 0, addr(out, outOffset));
    }

    @Override
    protected void adamStepImpl(Tensor p, Tensor g, Tensor m, Tensor v, double lr, double beta1, double beta2,
                                double eps, double weightDecay, double gradScale, double bc1, double bc2) {
        if (reference(p)) {
            REFERENCE.adamStepImpl(p, g, m, v, lr, beta1, beta2, eps, weightDecay, gradScale, bc1, bc2);
            return;
        }
        NativeKernels.adamStep(p.numel(), addr(p, 0), addr(g, 0), addr(m, 0), addr(v, 0), (float) lr, (float) beta1,
                (float) beta2, (float) eps, (float) weightDecay, (float) gradScale, (float) bc1, (float) bc2);
    }

    @Override
    protected void sgdStepImpl(Tensor p, Tensor g, Tensor u, double lr, double momentum, double weightDecay,
                               double gradScale, boolean nesterov) {
        if (reference(p)) {
            REFERENCE.sgdStepImpl(p, g, u, lr, momentum, weightDecay, gradScale, nesterov);
            return;
        }
        NativeKernels.sgdStep(p.numel(), addr(p, 0), addr(g, 0), addr(u, 0), (float) lr, (float) momentum,
                (float) weightDecay, (float) gradScale, nesterov ? 1 : 0);
    }

    @Override
    protected void activationForwardImpl(ActivationKind kind, int n, Tensor x, long xOffset, Tensor y, long yOffset) {
        if (reference(x)) {
            REFERENCE.activationForwardImpl(kind, n, x, xOffset, y, yOffset);
            return;
        }
        NativeKernels.activationForward(kind.code(), n, addr(x, xOffset), addr(y, yOffset));
    }

    @Override
    protected void activationBackwardImpl(ActivationKind kind, int n, Tensor y, long yOffset, Tensor dy,
                                          long dyOffset, Tensor dx, long dxOffset) {
        if (reference(y)) {
            REFERENCE.activationBackwardImpl(kind, n, y, yOffset, dy, dyOffset, dx, dxOffset);
            return;
        }
        NativeKernels.activationBackward(kind.code(), n, addr(y, yOffset), addr(dy, dyOffset), addr(dx, dxOffset));
    }

    @Override
    protected void dropoutImpl(Tensor x, Tensor y, double p, int threshold, long seed) {
        if (reference(x)) {
            REFERENCE.dropoutImpl(x, y, p, threshold, seed);
            return;
        }
        NativeKernels.dropout(x.numel(), addr(x, 0), addr(y, 0), seed, 0, threshold, (float) (1 / (1 - p)));
    }

    @Override
    protected double sumOfSquaresImpl(Tensor x) {
        if (reference(x)) {
            return REFERENCE.sumOfSquaresImpl(x);
        }
        return NativeKernels.sumSquares(x.numel(), addr(x, 0));
    }

    @Override
    protected void embeddingGatherImpl(int m, int d, Tensor ids, Tensor table, int rows, int ldt,
                                       Tensor out, long outOffset, int ldo) {
        if (reference(table)) {
            REFERENCE.embeddingGatherImpl(m, d, ids, table, rows, ldt, out, outOffset, ldo);
            return;
        }
        NativeKernels.embeddingGather(m, d, addr(ids, 0), addr(table, 0), rows, ldt, addr(out, outOffset), ldo);
    }

    @Override
    protected void embeddingScatterAddImpl(int m, int d, Tensor ids, Tensor dOut, long dOutOffset, int ldo,
                                           Tensor dTable, int rows, int ldt) {
        if (reference(dTable)) {
            REFERENCE.embeddingScatterAddImpl(m, d, ids, dOut, dOutOffset, ldo, dTable, rows, ldt);
            return;
        }
        NativeKernels.embeddingScatterAdd(m, d, addr(ids, 0), addr(dOut, dOutOffset), ldo, addr(dTable, 0), rows,
                ldt);
    }

    @Override
    protected void softmaxCrossEntropyImpl(int m, int n, Tensor logits, long offset, int ld, Tensor targets,
                                           double scale, Tensor loss, Tensor dLogits, long dOffset, int ldd) {
        if (reference(logits)) {
            REFERENCE.softmaxCrossEntropyImpl(m, n, logits, offset, ld, targets, scale, loss, dLogits, dOffset, ldd);
            return;
        }
        NativeKernels.softmaxXent(m, n, addr(logits, offset), ld, addr(targets, 0), (float) scale, addr(loss, 0),
                addr(dLogits, dOffset), ldd);
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
        NativeKernels.lrnScanForward(steps, batch, hidden, addr(g, gOffset), ldg, addr(h0, h0Offset),
                addr(lengths, 0), act.code(), reverse ? 1 : 0, addr(hs, hsOffset), ldh, addr(hLast, hLastOffset));
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
        NativeKernels.lrnScanBackward(steps, batch, hidden, addr(g, gOffset), ldg, addr(h0, h0Offset),
                addr(lengths, 0), act.code(), reverse ? 1 : 0, addr(hs, hsOffset), ldh, addr(dhs, dhsOffset), lddh,
                addr(dhLast, dhLastOffset), addr(dg, dgOffset), lddg, addr(dh0, dh0Offset));
    }

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
        NativeKernels.cellStepForward(cell.code(), batch, hidden, step, addr(lengths, 0), addr(gx, gxOffset), ldgx,
                addr(gh, ghOffset), ldgh, addr(bh, bhOffset), addr(hPrev, hPrevOffset), ldhp, addr(cPrev, cPrevOffset),
                ldcp, addr(h, hOffset), ldh, addr(c, cOffset), ldc, addr(last, lastOffset), ldLast);
    }

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
        NativeKernels.cellStepBackward(cell.code(), batch, hidden, step, addr(lengths, 0), addr(gx, gxOffset), ldgx,
                addr(gh, ghOffset), ldgh, addr(bh, bhOffset), addr(hPrev, hPrevOffset), ldhp, addr(cPrev, cPrevOffset),
                ldcp, addr(c, cOffset), ldc, addr(dhOut, dhOutOffset), lddo, addr(dh, dhOffset), lddh,
                addr(dc, dcOffset), lddc, addr(dgx, dgxOffset), lddgx, addr(dgh, dghOffset), lddgh);
    }

    @Override
    protected void cellForwardImpl(Cell cell, int steps, int batch, int hidden, Tensor lengths, boolean reverse,
                                   Tensor gx, long gxOffset, int ldgx, Tensor u, long uOffset, int ldu,
                                   Tensor bh, long bhOffset, Tensor h0, long h0Offset, int ldh0,
                                   Tensor c0, long c0Offset, int ldc0, Tensor gh, long ghOffset, int ldgh,
                                   Tensor h, long hOffset, int ldh, Tensor c, long cOffset, int ldc,
                                   Tensor last, long lastOffset, int ldLast) {
        if (reference(gx)) {
            super.cellForwardImpl(cell, steps, batch, hidden, lengths, reverse, gx, gxOffset, ldgx, u, uOffset, ldu,
                    bh, bhOffset, h0, h0Offset, ldh0, c0, c0Offset, ldc0, gh, ghOffset, ldgh, h, hOffset, ldh, c,
                    cOffset, ldc, last, lastOffset, ldLast);
            return;
        }
        NativeKernels.cellForward(cell.code(), steps, batch, hidden, addr(lengths, 0), reverse ? 1 : 0,
                addr(gx, gxOffset), ldgx, addr(u, uOffset), ldu, addr(bh, bhOffset), addr(h0, h0Offset), ldh0,
                addr(c0, c0Offset), ldc0, addr(gh, ghOffset), ldgh, addr(h, hOffset), ldh, addr(c, cOffset), ldc,
                addr(last, lastOffset), ldLast);
    }

    @Override
    protected void cellBackwardImpl(Cell cell, int steps, int batch, int hidden, Tensor lengths, boolean reverse,
                                    Tensor gx, long gxOffset, int ldgx, Tensor gh, long ghOffset, int ldgh,
                                    Tensor u, long uOffset, int ldu, Tensor bh, long bhOffset,
                                    Tensor h0, long h0Offset, int ldh0, Tensor c0, long c0Offset, int ldc0,
                                    Tensor h, long hOffset, int ldh, Tensor c, long cOffset, int ldc,
                                    Tensor dhOut, long dhOutOffset, int lddo, Tensor dh, long dhOffset, int lddh,
                                    Tensor dc, long dcOffset, int lddc, Tensor dgx, long dgxOffset, int lddgx,
                                    Tensor dgh, long dghOffset, int lddgh) {
        if (reference(gx)) {
            super.cellBackwardImpl(cell, steps, batch, hidden, lengths, reverse, gx, gxOffset, ldgx, gh, ghOffset,
                    ldgh, u, uOffset, ldu, bh, bhOffset, h0, h0Offset, ldh0, c0, c0Offset, ldc0, h, hOffset, ldh, c,
                    cOffset, ldc, dhOut, dhOutOffset, lddo, dh, dhOffset, lddh, dc, dcOffset, lddc, dgx, dgxOffset,
                    lddgx, dgh, dghOffset, lddgh);
            return;
        }
        NativeKernels.cellBackward(cell.code(), steps, batch, hidden, addr(lengths, 0), reverse ? 1 : 0,
                addr(gx, gxOffset), ldgx, addr(gh, ghOffset), ldgh, addr(u, uOffset), ldu, addr(bh, bhOffset),
                addr(h0, h0Offset), ldh0, addr(c0, c0Offset), ldc0, addr(h, hOffset), ldh, addr(c, cOffset), ldc,
                addr(dhOut, dhOutOffset), lddo, addr(dh, dhOffset), lddh, addr(dc, dcOffset), lddc,
                addr(dgx, dgxOffset), lddgx, addr(dgh, dghOffset), lddgh);
    }

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
        NativeKernels.sruScanForward(steps, batch, hidden, k, addr(u, uOffset), ldu, addr(x, xOffset), ldx,
                addr(v, vOffset), addr(bias, biasOffset), addr(c0, c0Offset), addr(lengths, 0), act.code(),
                reverse ? 1 : 0, addr(h, hOffset), ldh, addr(c, cOffset), ldc, addr(cLast, cLastOffset));
    }

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
        NativeKernels.sruScanBackward(steps, batch, hidden, k, addr(u, uOffset), ldu, addr(x, xOffset), ldx,
                addr(v, vOffset), addr(bias, biasOffset), addr(c0, c0Offset), addr(lengths, 0), act.code(),
                reverse ? 1 : 0, addr(c, cOffset), ldc, addr(dh, dhOffset), lddh, addr(dcLast, dcLastOffset),
                addr(du, duOffset), lddu, addr(dx, dxOffset), lddx, addr(dv, dvOffset), addr(dc0, dc0Offset));
    }

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
        NativeKernels.olrnScanForward(steps, batch, hidden, addr(g, gOffset), ldg, addr(h0, h0Offset),
                addr(lengths, 0), act.code(), reverse ? 1 : 0, addr(hs, hsOffset), ldh, addr(cs, csOffset), ldc,
                addr(hLast, hLastOffset));
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
        NativeKernels.olrnScanBackward(steps, batch, hidden, addr(g, gOffset), ldg, addr(h0, h0Offset),
                addr(lengths, 0), act.code(), reverse ? 1 : 0, addr(hs, hsOffset), ldh, addr(cs, csOffset), ldc,
                addr(dhs, dhsOffset), lddh, addr(dhLast, dhLastOffset), addr(dg, dgOffset), lddg,
                addr(dh0, dh0Offset));
    }

    @Override
    protected void layerNormForwardImpl(int m, int groups, int groupSize, Tensor x, long xOffset, int ldx,
                                        Tensor gamma, Tensor beta, double eps, Tensor y, long yOffset, int ldy,
                                        Tensor mean, Tensor rstd) {
        if (reference(x)) {
            REFERENCE.layerNormForwardImpl(m, groups, groupSize, x, xOffset, ldx, gamma, beta, eps, y, yOffset, ldy,
                    mean, rstd);
            return;
        }
        NativeKernels.layerNormForward(m, groups, groupSize, addr(x, xOffset), ldx, addr(gamma, 0), addr(beta, 0),
                (float) eps, addr(y, yOffset), ldy, addr(mean, 0), addr(rstd, 0));
    }

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
        NativeKernels.layerNormBackward(m, groups, groupSize, addr(x, xOffset), ldx, addr(gamma, 0),
                addr(mean, 0), addr(rstd, 0), addr(dy, dyOffset), lddy, addr(dx, dxOffset), lddx,
                addr(dgamma, 0), addr(dbeta, 0));
    }
}

package org.lrn4j.backend;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicLong;

import org.bytedeco.cuda.cudart.CUstream_st;
import org.lrn4j.kernels.CudaRuntime;
import org.lrn4j.kernels.NativeKernels;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Device;
import org.lrn4j.tensor.DeviceStorage;
import org.lrn4j.tensor.HostStorage;
import org.lrn4j.tensor.Tensor;

/**
 * The CUDA kernels (liblrn4j_cuda.so) on device 0. Tensors live in device memory and stay there between
 * kernels; all kernels and copies run in order on one stream of this backend. Host data moves only through
 * {@link Tensor#copyFrom} / {@link Tensor#copyToHost}, which wait for the stream. FLOAT32 only.
 */
public final class CudaBackend extends Backend {
    private static final Cleaner CLEANER = Cleaner.create();
    private static CudaBackend instance;
    private static RuntimeException failure;

    private final String deviceName;
    private final CUstream_st stream;
    private final long streamAddress;

    private CudaBackend(String deviceName, CUstream_st stream) {
        this.deviceName = deviceName;
        this.stream = stream;
        this.streamAddress = stream.address();
    }

    /** The CUDA backend, opened on first use; throws {@link IllegalStateException} with the reason if CUDA cannot be used. */
    public static synchronized CudaBackend load() {
        if (instance == null && failure == null) {
            try {
                NativeBackend.load();
                CudaRuntime.open();
                CudaRuntime.setDevice(0);
                instance = new CudaBackend(CudaRuntime.describeDevice(0), CudaRuntime.createStream());
            } catch (LinkageError e) {
                failure = new IllegalStateException("CUDA cannot be used: " + e, e);
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        if (failure != null) {
            throw new IllegalStateException(failure.getMessage(), failure);
        }
        return instance;
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public Device device() {
        return Device.CUDA;
    }

    @Override
    public String description() {
        return "CUDA kernels on " + deviceName;
    }

    @Override
    public boolean supports(DType dtype) {
        return dtype == DType.FLOAT32;
    }

    @Override
    public Tensor allocate(DType dtype, long... shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension " + d);
            }
            n = Math.multiplyExact(n, d);
        }
        return Tensor.wrap(dtype, shape, new CudaStorage(Math.multiplyExact(n, (long) dtype.bytes())));
    }

    @Override
    public void synchronize() {
        CudaRuntime.synchronize(stream);
    }

    /** Device memory freed by close() or, if never closed, when it becomes unreachable. */
    private final class CudaStorage extends DeviceStorage {
        private final AtomicLong address;
        private final Cleaner.Cleanable cleanable;

        CudaStorage(long bytes) {
            super(bytes);
            AtomicLong a = new AtomicLong(CudaRuntime.malloc(bytes, stream));
            this.address = a;
            this.cleanable = CLEANER.register(this, () -> {
                long p = a.getAndSet(0);
                if (p != 0) {
                    CudaRuntime.free(p);
                }
            });
        }

        @Override
        public Device device() {
            return Device.CUDA;
        }

        @Override
        public long address() {
            checkOpen("device storage");
            return address.get();
        }

        @Override
        public void copyFromHost(HostStorage src, long srcOffset, long dstOffset, long bytes) {
            CudaRuntime.copy(address() + dstOffset, src.address(NativeKernels::addressOf) + srcOffset, bytes,
                    CudaRuntime.HOST_TO_DEVICE, stream);
        }

        @Override
        public void copyToHost(long srcOffset, HostStorage dst, long dstOffset, long bytes) {
            CudaRuntime.copy(dst.address(NativeKernels::addressOf) + dstOffset, address() + srcOffset, bytes,
                    CudaRuntime.DEVICE_TO_HOST, stream);
        }

        @Override
        public void copyFromDevice(DeviceStorage src, long srcOffset, long dstOffset, long bytes) {
            CudaRuntime.copy(address() + dstOffset, src.address() + srcOffset, bytes,
                    CudaRuntime.DEVICE_TO_DEVICE, stream);
        }

        @Override
        public void zero(long offset, long bytes) {
            CudaRuntime.zero(address() + offset, bytes, stream);
        }

        @Override
        protected void release() {
            // Work still queued on the stream may use this memory.
            CudaRuntime.synchronize(stream);
            cleanable.clean();
        }
    }

    private static long addr(Tensor t, long offset) {
        if (t == null) {
            return 0L;
        }
        return ((DeviceStorage) t.storage()).address() + offset * t.dtype().bytes();
    }

    private static void check(int err, String kernel) {
        if (err != 0) {
            throw new IllegalStateException("CUDA kernel " + kernel + " failed: " + CudaRuntime.errorString(err));
        }
    }

    @Override
    protected void gemmImpl(boolean transA, boolean transB, int m, int n, int k,
                            Tensor a, long aOffset, int lda, Tensor b, long bOffset, int ldb,
                            Tensor bias, boolean accumulate, Tensor c, long cOffset, int ldc) {
        check(NativeKernels.cudaGemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, addr(a, aOffset), lda,
                addr(b, bOffset), ldb, addr(bias, 0), accumulate ? 1 : 0, addr(c, cOffset), ldc, streamAddress), "gemm");
    }

    @Override
    protected void colSumImpl(int m, int n, Tensor a, long aOffset, int lda, boolean accumulate, Tensor out,
                              long outOffset) {
        check(NativeKernels.cudaColSum(m, n, addr(a, aOffset), lda, accumulate ? 1 : 0, addr(out, outOffset),
                streamAddress), "col_sum");
    }

    @Override
    protected void adamStepImpl(Tensor p, Tensor g, Tensor m, Tensor v, double lr, double beta1, double beta2,
                                double eps, double weightDecay, double gradScale, double bc1, double bc2) {
        check(NativeKernels.cudaAdamStep(p.numel(), addr(p, 0), addr(g, 0), addr(m, 0), addr(v, 0), (float) lr,
                (float) beta1, (float) beta2, (float) eps, (float) weightDecay, (float) gradScale, (float) bc1,
                (float) bc2, streamAddress), "adam_step");
    }

    @Override
    protected void sgdStepImpl(Tensor p, Tensor g, Tensor u, double lr, double momentum, double weightDecay,
                               double gradScale, boolean nesterov) {
        check(NativeKernels.cudaSgdStep(p.numel(), addr(p, 0), addr(g, 0), addr(u, 0), (float) lr, (float) momentum,
                (float) weightDecay, (float) gradScale, nesterov ? 1 : 0, streamAddress), "sgd_step");
    }

    @Override
    protected void activationForwardImpl(ActivationKind kind, int n, Tensor x, long xOffset, Tensor y, long yOffset) {
        check(NativeKernels.cudaActivationForward(kind.code(), n, addr(x, xOffset), addr(y, yOffset), streamAddress),
                "activation_forward");
    }

    @Override
    protected void activationBackwardImpl(ActivationKind kind, int n, Tensor y, long yOffset, Tensor dy,
                                          long dyOffset, Tensor dx, long dxOffset) {
        check(NativeKernels.cudaActivationBackward(kind.code(), n, addr(y, yOffset), addr(dy, dyOffset),
                addr(dx, dxOffset), streamAddress), "activation_backward");
    }

    @Override
    protected void dropoutImpl(Tensor x, Tensor y, double p, int threshold, long seed) {
        check(NativeKernels.cudaDropout(x.numel(), addr(x, 0), addr(y, 0), seed, 0, threshold, (float) (1 / (1 - p)),
                streamAddress), "dropout");
    }

    /** The kernel writes one double to device memory, copied back (the copy waits for the stream). */
    @Override
    protected double sumOfSquaresImpl(Tensor x) {
        try (Tensor out = allocate(DType.INT32, 2);  // the double's 8 bytes, read back as two ints
             Tensor host = Tensor.host(DType.INT32, 2)) {
            check(NativeKernels.cudaSumSquares(x.numel(), addr(x, 0), addr(out, 0), streamAddress), "sum_squares");
            host.copyFrom(out);
            long lo = (long) host.get(0) & 0xffffffffL;
            long hi = (long) host.get(1) & 0xffffffffL;
            return Double.longBitsToDouble(hi << 32 | lo);
        }
    }

    @Override
    protected void embeddingGatherImpl(int m, int d, Tensor ids, Tensor table, int rows, int ldt,
                                       Tensor out, long outOffset, int ldo) {
        check(NativeKernels.cudaEmbeddingGather(m, d, addr(ids, 0), addr(table, 0), rows, ldt, addr(out, outOffset),
                ldo, streamAddress), "embedding_gather");
    }

    @Override
    protected void embeddingScatterAddImpl(int m, int d, Tensor ids, Tensor dOut, long dOutOffset, int ldo,
                                           Tensor dTable, int rows, int ldt) {
        check(NativeKernels.cudaEmbeddingScatterAdd(m, d, addr(ids, 0), addr(dOut, dOutOffset), ldo,
                addr(dTable, 0), rows, ldt, streamAddress), "embedding_scatter_add");
    }

    @Override
    protected void softmaxCrossEntropyImpl(int m, int n, Tensor logits, long offset, int ld, Tensor targets,
                                           double scale, Tensor loss, Tensor dLogits, long dOffset, int ldd) {
        check(NativeKernels.cudaSoftmaxXent(m, n, addr(logits, offset), ld, addr(targets, 0), (float) scale,
                addr(loss, 0), addr(dLogits, dOffset), ldd, streamAddress), "softmax_xent");
    }

    @Override
    protected void lrnScanForwardImpl(int steps, int batch, int hidden,
                                      Tensor g, long gOffset, int ldg, Tensor h0, long h0Offset,
                                      Tensor lengths, Activation act, boolean reverse,
                                      Tensor hs, long hsOffset, int ldh, Tensor hLast, long hLastOffset) {
        check(NativeKernels.cudaLrnScanForward(steps, batch, hidden, addr(g, gOffset), ldg, addr(h0, h0Offset),
                addr(lengths, 0), act.code(), reverse ? 1 : 0, addr(hs, hsOffset), ldh, addr(hLast, hLastOffset),
                streamAddress), "lrn_scan_forward");
    }

    @Override
    protected void lrnScanBackwardImpl(int steps, int batch, int hidden,
                                       Tensor g, long gOffset, int ldg, Tensor h0, long h0Offset,
                                       Tensor lengths, Activation act, boolean reverse,
                                       Tensor hs, long hsOffset, int ldh,
                                       Tensor dhs, long dhsOffset, int lddh, Tensor dhLast, long dhLastOffset,
                                       Tensor dg, long dgOffset, int lddg, Tensor dh0, long dh0Offset) {
        check(NativeKernels.cudaLrnScanBackward(steps, batch, hidden, addr(g, gOffset), ldg, addr(h0, h0Offset),
                addr(lengths, 0), act.code(), reverse ? 1 : 0, addr(hs, hsOffset), ldh, addr(dhs, dhsOffset), lddh,
                addr(dhLast, dhLastOffset), addr(dg, dgOffset), lddg, addr(dh0, dh0Offset), streamAddress),
                "lrn_scan_backward");
    }

    @Override
    protected void cellStepForwardImpl(Cell cell, int batch, int hidden, int step, Tensor lengths,
                                       Tensor gx, long gxOffset, int ldgx, Tensor gh, long ghOffset, int ldgh,
                                       Tensor bh, long bhOffset, Tensor hPrev, long hPrevOffset, int ldhp,
                                       Tensor cPrev, long cPrevOffset, int ldcp, Tensor h, long hOffset, int ldh,
                                       Tensor c, long cOffset, int ldc, Tensor last, long lastOffset, int ldLast) {
        check(NativeKernels.cudaCellStepForward(cell.code(), batch, hidden, step, addr(lengths, 0), addr(gx, gxOffset),
                ldgx, addr(gh, ghOffset), ldgh, addr(bh, bhOffset), addr(hPrev, hPrevOffset), ldhp,
                addr(cPrev, cPrevOffset), ldcp, addr(h, hOffset), ldh, addr(c, cOffset), ldc, addr(last, lastOffset),
                ldLast, streamAddress), "cell_step_forward");
    }

    @Override
    protected void cellStepBackwardImpl(Cell cell, int batch, int hidden, int step, Tensor lengths,
                                        Tensor gx, long gxOffset, int ldgx, Tensor gh, long ghOffset, int ldgh,
                                        Tensor bh, long bhOffset, Tensor hPrev, long hPrevOffset, int ldhp,
                                        Tensor cPrev, long cPrevOffset, int ldcp, Tensor c, long cOffset, int ldc,
                                        Tensor dhOut, long dhOutOffset, int lddo, Tensor dh, long dhOffset, int lddh,
                                        Tensor dc, long dcOffset, int lddc, Tensor dgx, long dgxOffset, int lddgx,
                                        Tensor dgh, long dghOffset, int lddgh) {
        check(NativeKernels.cudaCellStepBackward(cell.code(), batch, hidden, step, addr(lengths, 0),
                addr(gx, gxOffset), ldgx, addr(gh, ghOffset), ldgh, addr(bh, bhOffset), addr(hPrev, hPrevOffset), ldhp,
                addr(cPrev, cPrevOffset), ldcp, addr(c, cOffset), ldc, addr(dhOut, dhOutOffset), lddo,
                addr(dh, dhOffset), lddh, addr(dc, dcOffset), lddc, addr(dgx, dgxOffset), lddgx, addr(dgh, dghOffset),
                lddgh, streamAddress), "cell_step_backward");
    }

    @Override
    protected void sruScanForwardImpl(int steps, int batch, int hidden, int k, Tensor u, long uOffset, int ldu,
                                      Tensor x, long xOffset, int ldx, Tensor v, long vOffset, Tensor bias,
                                      long biasOffset, Tensor c0, long c0Offset, Tensor lengths, Activation act,
                                      boolean reverse, Tensor h, long hOffset, int ldh, Tensor c, long cOffset,
                                      int ldc, Tensor cLast, long cLastOffset) {
        check(NativeKernels.cudaSruScanForward(steps, batch, hidden, k, addr(u, uOffset), ldu, addr(x, xOffset), ldx,
                addr(v, vOffset), addr(bias, biasOffset), addr(c0, c0Offset), addr(lengths, 0), act.code(),
                reverse ? 1 : 0, addr(h, hOffset), ldh, addr(c, cOffset), ldc, addr(cLast, cLastOffset),
                streamAddress), "sru_scan_forward");
    }

    @Override
    protected void sruScanBackwardImpl(int steps, int batch, int hidden, int k, Tensor u, long uOffset, int ldu,
                                       Tensor x, long xOffset, int ldx, Tensor v, long vOffset, Tensor bias,
                                       long biasOffset, Tensor c0, long c0Offset, Tensor lengths, Activation act,
                                       boolean reverse, Tensor c, long cOffset, int ldc, Tensor dh, long dhOffset,
                                       int lddh, Tensor dcLast, long dcLastOffset, Tensor du, long duOffset, int lddu,
                                       Tensor dx, long dxOffset, int lddx, Tensor dv, long dvOffset,
                                       Tensor dc0, long dc0Offset) {
        check(NativeKernels.cudaSruScanBackward(steps, batch, hidden, k, addr(u, uOffset), ldu, addr(x, xOffset), ldx,
                addr(v, vOffset), addr(bias, biasOffset), addr(c0, c0Offset), addr(lengths, 0), act.code(),
                reverse ? 1 : 0, addr(c, cOffset), ldc, addr(dh, dhOffset), lddh, addr(dcLast, dcLastOffset),
                addr(du, duOffset), lddu, addr(dx, dxOffset), lddx, addr(dv, dvOffset), addr(dc0, dc0Offset),
                streamAddress), "sru_scan_backward");
    }

    @Override
    protected void olrnScanForwardImpl(int steps, int batch, int hidden, Tensor g, long gOffset, int ldg,
                                       Tensor h0, long h0Offset, Tensor lengths, Activation act, boolean reverse,
                                       Tensor hs, long hsOffset, int ldh, Tensor cs, long csOffset, int ldc,
                                       Tensor hLast, long hLastOffset) {
        check(NativeKernels.cudaOlrnScanForward(steps, batch, hidden, addr(g, gOffset), ldg, addr(h0, h0Offset),
                addr(lengths, 0), act.code(), reverse ? 1 : 0, addr(hs, hsOffset), ldh, addr(cs, csOffset), ldc,
                addr(hLast, hLastOffset), streamAddress), "olrn_scan_forward");
    }

    @Override
    protected void olrnScanBackwardImpl(int steps, int batch, int hidden, Tensor g, long gOffset, int ldg,
                                        Tensor h0, long h0Offset, Tensor lengths, Activation act, boolean reverse,
                                        Tensor hs, long hsOffset, int ldh, Tensor cs, long csOffset, int ldc,
                                        Tensor dhs, long dhsOffset, int lddh, Tensor dhLast, long dhLastOffset,
                                        Tensor dg, long dgOffset, int lddg, Tensor dh0, long dh0Offset) {
        check(NativeKernels.cudaOlrnScanBackward(steps, batch, hidden, addr(g, gOffset), ldg, addr(h0, h0Offset),
                addr(lengths, 0), act.code(), reverse ? 1 : 0, addr(hs, hsOffset), ldh, addr(cs, csOffset), ldc,
                addr(dhs, dhsOffset), lddh, addr(dhLast, dhLastOffset), addr(dg, dgOffset), lddg,
                addr(dh0, dh0Offset), streamAddress), "olrn_scan_backward");
    }

    @Override
    protected void layerNormForwardImpl(int m, int groups, int groupSize, Tensor x, long xOffset, int ldx,
                                        Tensor gamma, Tensor beta, double eps, Tensor y, long yOffset, int ldy,
                                        Tensor mean, Tensor rstd) {
        check(NativeKernels.cudaLayerNormForward(m, groups, groupSize, addr(x, xOffset), ldx, addr(gamma, 0),
                addr(beta, 0), (float) eps, addr(y, yOffset), ldy, addr(mean, 0), addr(rstd, 0), streamAddress),
                "layer_norm_forward");
    }

    @Override
    protected void layerNormBackwardImpl(int m, int groups, int groupSize, Tensor x, long xOffset, int ldx,
                                         Tensor gamma, Tensor mean, Tensor rstd, Tensor dy, long dyOffset,
                                         int lddy, Tensor dx, long dxOffset, int lddx,
                                         Tensor dgamma, Tensor dbeta) {
        check(NativeKernels.cudaLayerNormBackward(m, groups, groupSize, addr(x, xOffset), ldx, addr(gamma, 0),
                addr(mean, 0), addr(rstd, 0), addr(dy, dyOffset), lddy, addr(dx, dxOffset), lddx,
                addr(dgamma, 0), addr(dbeta, 0), streamAddress), "layer_norm_backward");
    }
}

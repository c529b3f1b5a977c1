package org.lrn4j.kernels;

import java.nio.ByteBuffer;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JavaCPP binding of {@code include/lrn4j/lrn4j.h}: the only Java that calls into native code. Pointers
 * cross as raw addresses ({@code long}), so a call allocates nothing on the Java heap and copies no
 * tensor data; the backends compute the addresses from tensors they have validated. The glue library
 * (jnilrn4j) and liblrn4j_cpu.so are packaged under {@code org/lrn4j/linux-x86_64/} in the jar.
 * Class initialization loads them and fails with {@link UnsatisfiedLinkError} where they cannot load.
 */
@Platform(include = "lrn4j/lrn4j.h", link = "lrn4j_cpu", library = "jnilrn4j")
public final class NativeKernels {
    static {
        Loader.load();
    }

    private NativeKernels() {
    }

    /** The native address of a direct buffer's first byte. */
    public static long addressOf(ByteBuffer buffer) {
        return new Pointer(buffer).address();
    }

    /** Kernel sets ({@code LRN4J_ISA_*} of lrn4j.h). */
    public static final int ISA_SCALAR = 0;
    public static final int ISA_AVX2 = 1;
    public static final int ISA_AVX512 = 2;

    /** CPU feature bits ({@code LRN4J_CPU_*} of lrn4j.h). */
    public static final int CPU_AVX2 = 1;
    public static final int CPU_AVX512F = 2;

    @Name("lrn4j_abi_version")
    public static native int abiVersion();

    @Name("lrn4j_cpu_features")
    public static native int cpuFeatures();

    @Name("lrn4j_isa")
    public static native int isa();

    @Name("lrn4j_set_isa")
    public static native int setIsa(int isa);

    @Name("lrn4j_num_threads")
    public static native int numThreads();

    @Name("lrn4j_set_num_threads")
    public static native void setNumThreads(int n);

    @Name("lrn4j_gemm")
    public static native void gemm(int transA, int transB, @Cast("int64_t") long m, @Cast("int64_t") long n,
                                   @Cast("int64_t") long k, @Cast("const float*") long a, @Cast("int64_t") long lda,
                                   @Cast("const float*") long b, @Cast("int64_t") long ldb,
                                   @Cast("const float*") long bias, int accumulate,
                                   @Cast("float*") long c, @Cast("int64_t") long ldc);

    @Name("lrn4j_col_sum")
    public static native void colSum(@Cast("int64_t") long m, @Cast("int64_t") long n,
                                     @Cast("const float*") long a, @Cast("int64_t") long lda, int accumulate,
                                     @Cast("float*") long out);

    @Name("lrn4j_adam_step")
    public static native void adamStep(@Cast("int64_t") long n, @Cast("float*") long p, @Cast("const float*") long g,
                                       @Cast("float*") long m, @Cast("float*") long v, float lr, float beta1,
                                       float beta2, float eps, float weightDecay, float gradScale,
                                       float biasCorrection1, float biasCorrection2);

    @Name("lrn4j_sgd_step")
    public static native void sgdStep(@Cast("int64_t") long n, @Cast("float*") long p, @Cast("const float*") long g,
                                      @Cast("float*") long u, float lr, float momentum, float weightDecay,
                                      float gradScale, int nesterov);

    @Name("lrn4j_dropout")
    public static native void dropout(@Cast("int64_t") long n, @Cast("const float*") long x, @Cast("float*") long y,
                                      @Cast("uint64_t") long seed, @Cast("uint64_t") long offset,
                                      @Cast("uint32_t") int threshold, float scale);

    @Name("lrn4j_activation_forward")
    public static native void activationForward(int fn, @Cast("int64_t") long n, @Cast("const float*") long x,
                                                @Cast("float*") long y);

    @Name("lrn4j_activation_backward")
    public static native void activationBackward(int fn, @Cast("int64_t") long n, @Cast("const float*") long y,
                                                 @Cast("const float*") long dy, @Cast("float*") long dx);

    @Name("lrn4j_sum_squares")
    public static native double sumSquares(@Cast("int64_t") long n, @Cast("const float*") long x);

    @Name("lrn4j_embedding_gather")
    public static native void embeddingGather(@Cast("int64_t") long m, @Cast("int64_t") long d,
                                              @Cast("const int32_t*") long ids, @Cast("const float*") long table,
                                              @Cast("int64_t") long rows, @Cast("int64_t") long ldt,
                                              @Cast("float*") long out, @Cast("int64_t") long ldo);

    @Name("lrn4j_embedding_scatter_add")
    public static native void embeddingScatterAdd(@Cast("int64_t") long m, @Cast("int64_t") long d,
                                                  @Cast("const int32_t*") long ids, @Cast("const float*") long dout,
                                                  @Cast("int64_t") long ldo, @Cast("float*") long dtable,
                                                  @Cast("int64_t") long rows, @Cast("int64_t") long ldt);

    @Name("lrn4j_softmax_xent")
    public static native void softmaxXent(@Cast("int64_t") long m, @Cast("int64_t") long n,
                                          @Cast("const float*") long logits, @Cast("int64_t") long ld,
                                          @Cast("const int32_t*") long targets, float scale,
                                          @Cast("float*") long loss, @Cast("float*") long dlogits,
                                          @Cast("int64_t") long ldd);

    @Name("lrn4j_lrn_scan_forward")
    public static native void lrnScanForward(@Cast("int64_t") long steps, @Cast("int64_t") long batch,
                                             @Cast("int64_t") long hidden,
                                             @Cast("const float*") long g, @Cast("int64_t") long ldg,
                                             @Cast("const float*") long h0, @Cast("const int32_t*") long lengths,
                                             int act, int reverse, @Cast("float*") long hs, @Cast("int64_t") long ldh,
                                             @Cast("float*") long hLast);

    @Name("lrn4j_lrn_scan_backward")
    public static native void lrnScanBackward(@Cast("int64_t") long steps, @Cast("int64_t") long batch,
                                              @Cast("int64_t") long hidden,
                                              @Cast("const float*") long g, @Cast("int64_t") long ldg,
                                              @Cast("const float*") long h0, @Cast("const int32_t*") long lengths,
                                              int act, int reverse, @Cast("const float*") long hs,
                                              @Cast("int64_t") long ldh, @Cast("const float*") long dhs,
                                              @Cast("int64_t") long lddh, @Cast("const float*") long dhLast,
                                              @Cast("float*") long dg, @Cast("int64_t") long lddg,
                                              @Cast("float*") long dh0);

    @Name("lrn4j_cell_step_forward")
    public static native void cellStepForward(int cell, @Cast("int64_t") long batch, @Cast("int64_t") long hidden,
                                              @Cast("int64_t") long t, @Cast("const int32_t*") long lengths,
                                              @Cast("const float*") long gx, @Cast("int64_t") long ldgx,
                                              @Cast("const float*") long gh, @Cast("int64_t") long ldgh,
                                              @Cast("const float*") long bh,
                                              @Cast("const float*") long hPrev, @Cast("int64_t") long ldhp,
                                              @Cast("const float*") long cPrev, @Cast("int64_t") long ldcp,
                                              @Cast("float*") long h, @Cast("int64_t") long ldh,
                                              @Cast("float*") long c, @Cast("int64_t") long ldc,
                                              @Cast("float*") long last, @Cast("int64_t") long ldLast);

    @Name("lrn4j_cell_step_backward")
    public static native void cellStepBackward(int cell, @Cast("int64_t") long batch, @Cast("int64_t") long hidden,
                                               @Cast("int64_t") long t, @Cast("const int32_t*") long lengths,
                                               @Cast("const float*") long gx, @Cast("int64_t") long ldgx,
                                               @Cast("const float*") long gh, @Cast("int64_t") long ldgh,
                                               @Cast("const float*") long bh,
                                               @Cast("const float*") long hPrev, @Cast("int64_t") long ldhp,
                                               @Cast("const float*") long cPrev, @Cast("int64_t") long ldcp,
                                               @Cast("const float*") long c, @Cast("int64_t") long ldc,
                                               @Cast("const float*") long dhOut, @Cast("int64_t") long lddo,
                                               @Cast("float*") long dh, @Cast("int64_t") long lddh,
                                               @Cast("float*") long dc, @Cast("int64_t") long lddc,
                                               @Cast("float*") long dgx, @Cast("int64_t") long lddgx,
                                               @Cast("float*") long dgh, @Cast("int64_t") long lddgh);

    @Name("lrn4j_cell_forward")
    public static native void cellForward(int cell, @Cast("int64_t") long steps, @Cast("int64_t") long batch,
                                          @Cast("int64_t") long hidden, @Cast("const int32_t*") long lengths,
                                          int reverse, @Cast("const float*") long gx, @Cast("int64_t") long ldgx,
                                          @Cast("const float*") long u, @Cast("int64_t") long ldu,
                                          @Cast("const float*") long bh,
                                          @Cast("const float*") long h0, @Cast("int64_t") long ldh0,
                                          @Cast("const float*") long c0, @Cast("int64_t") long ldc0,
                                          @Cast("float*") long gh, @Cast("int64_t") long ldgh,
                                          @Cast("float*") long h, @Cast("int64_t") long ldh,
                                          @Cast("float*") long c, @Cast("int64_t") long ldc,
                                          @Cast("float*") long last, @Cast("int64_t") long ldLast);

    @Name("lrn4j_cell_backward")
    public static native void cellBackward(int cell, @Cast("int64_t") long steps, @Cast("int64_t") long batch,
                                           @Cast("int64_t") long hidden, @Cast("const int32_t*") long lengths,
                                           int reverse, @Cast("const float*") long gx, @Cast("int64_t") long ldgx,
                                           @Cast("const float*") long gh, @Cast("int64_t") long ldgh,
                                           @Cast("const float*") long u, @Cast("int64_t") long ldu,
                                           @Cast("const float*") long bh,
                                           @Cast("const float*") long h0, @Cast("int64_t") long ldh0,
                                           @Cast("const float*") long c0, @Cast("int64_t") long ldc0,
                                           @Cast("const float*") long h, @Cast("int64_t") long ldh,
                                           @Cast("const float*") long c, @Cast("int64_t") long ldc,
                                           @Cast("const float*") long dhOut, @Cast("int64_t") long lddo,
                                           @Cast("float*") long dh, @Cast("int64_t") long lddh,
                                           @Cast("float*") long dc, @Cast("int64_t") long lddc,
                                           @Cast("float*") long dgx, @Cast("int64_t") long lddgx,
                                           @Cast("float*") long dgh, @Cast("int64_t") long lddgh);

    @Name("lrn4j_sru_scan_forward")
    public static native void sruScanForward(@Cast("int64_t") long steps, @Cast("int64_t") long batch,
                                             @Cast("int64_t") long hidden, @Cast("int64_t") long k,
                                             @Cast("const float*") long u, @Cast("int64_t") long ldu,
                                             @Cast("const float*") long x, @Cast("int64_t") long ldx,
                                             @Cast("const float*") long v, @Cast("const float*") long bias,
                                             @Cast("const float*") long c0, @Cast("const int32_t*") long lengths,
                                             int act, int reverse, @Cast("float*") long h, @Cast("int64_t") long ldh,
                                             @Cast("float*") long c, @Cast("int64_t") long ldc,
                                             @Cast("float*") long cLast);

    @Name("lrn4j_sru_scan_backward")
    public static native void sruScanBackward(@Cast("int64_t") long steps, @Cast("int64_t") long batch,
                                              @Cast("int64_t") long hidden, @Cast("int64_t") long k,
                                              @Cast("const float*") long u, @Cast("int64_t") long ldu,
                                              @Cast("const float*") long x, @Cast("int64_t") long ldx,
                                              @Cast("const float*") long v, @Cast("const float*") long bias,
                                              @Cast("const float*") long c0, @Cast("const int32_t*") long lengths,
                                              int act, int reverse, @Cast("const float*") long c,
                                              @Cast("int64_t") long ldc, @Cast("const float*") long dh,
                                              @Cast("int64_t") long lddh, @Cast("const float*") long dcLast,
                                              @Cast("float*") long du, @Cast("int64_t") long lddu,
                                              @Cast("float*") long dx, @Cast("int64_t") long lddx,
                                              @Cast("float*") long dv, @Cast("float*") long dc0);

    @Name("lrn4j_olrn_scan_forward")
    public static native void olrnScanForward(@Cast("int64_t") long steps, @Cast("int64_t") long batch,
                                              @Cast("int64_t") long hidden,
                                              @Cast("const float*") long g, @Cast("int64_t") long ldg,
                                              @Cast("const float*") long h0, @Cast("const int32_t*") long lengths,
                                              int act, int reverse, @Cast("float*") long hs, @Cast("int64_t") long ldh,
                                              @Cast("float*") long cs, @Cast("int64_t") long ldc,
                                              @Cast("float*") long hLast);

    @Name("lrn4j_olrn_scan_backward")
    public static native void olrnScanBackward(@Cast("int64_t") long steps, @Cast("int64_t") long batch,
                                               @Cast("int64_t") long hidden,
                                               @Cast("const float*") long g, @Cast("int64_t") long ldg,
                                               @Cast("const float*") long h0, @Cast("const int32_t*") long lengths,
                                               int act, int reverse, @Cast("const float*") long hs,
                                               @Cast("int64_t") long ldh, @Cast("const float*") long cs,
                                               @Cast("int64_t") long ldc, @Cast("const float*") long dhs,
                                               @Cast("int64_t") long lddh, @Cast("const float*") long dhLast,
                                               @Cast("float*") long dg, @Cast("int64_t") long lddg,
                                               @Cast("float*") long dh0);

    @Name("lrn4j_layer_norm_forward")
    public static native void layerNormForward(@Cast("int64_t") long m, @Cast("int64_t") long groups,
                                               @Cast("int64_t") long groupSize, @Cast("const float*") long x,
                                               @Cast("int64_t") long ldx, @Cast("const float*") long gamma,
                                               @Cast("const float*") long beta, float eps,
                                               @Cast("float*") long y, @Cast("int64_t") long ldy,
                                               @Cast("float*") long mean, @Cast("float*") long rstd);

    @Name("lrn4j_layer_norm_backward")
    public static native void layerNormBackward(@Cast("int64_t") long m, @Cast("int64_t") long groups,
                                                @Cast("int64_t") long groupSize, @Cast("const float*") long x,
                                                @Cast("int64_t") long ldx, @Cast("const float*") long gamma,
                                                @Cast("const float*") long mean, @Cast("const float*") long rstd,
                                                @Cast("const float*") long dy, @Cast("int64_t") long lddy,
                                                @Cast("float*") long dx, @Cast("int64_t") long lddx,
                                                @Cast("float*") long dgamma, @Cast("float*") long dbeta);

    // ---- CUDA bridge: forwards to liblrn4j_cuda.so once opened; device pointers, stream as void* ----

    @Name("lrn4j_cuda_bridge_open")
    public static native int cudaBridgeOpen(String path);

    @Name("lrn4j_cuda_bridge_error")
    public static native String cudaBridgeError();

    @Name("lrn4j_cudab_gemm")
    public static native int cudaGemm(int transA, int transB, @Cast("int64_t") long m, @Cast("int64_t") long n,
                                      @Cast("int64_t") long k, @Cast("const float*") long a,
                                      @Cast("int64_t") long lda, @Cast("const float*") long b,
                                      @Cast("int64_t") long ldb, @Cast("const float*") long bias, int accumulate,
                                      @Cast("float*") long c, @Cast("int64_t") long ldc,
                                      @Cast("void*") long stream);

    @Name("lrn4j_cudab_col_sum")
    public static native int cudaColSum(@Cast("int64_t") long m, @Cast("int64_t") long n,
                                        @Cast("const float*") long a, @Cast("int64_t") long lda, int accumulate,
                                        @Cast("float*") long out, @Cast("void*") long stream);

    @Name("lrn4j_cudab_adam_step")
    public static native int cudaAdamStep(@Cast("int64_t") long n, @Cast("float*") long p,
                                          @Cast("const float*") long g, @Cast("float*") long m,
                                          @Cast("float*") long v, float lr, float beta1, float beta2, float eps,
                                          float weightDecay, float gradScale, float biasCorrection1,
                                          float biasCorrection2, @Cast("void*") long stream);

    @Name("lrn4j_cudab_sgd_step")
    public static native int cudaSgdStep(@Cast("int64_t") long n, @Cast("float*") long p,
                                         @Cast("const float*") long g, @Cast("float*") long u, float lr,
                                         float momentum, float weightDecay, float gradScale, int nesterov,
                                         @Cast("void*") long stream);

    @Name("lrn4j_cudab_dropout")
    public static native int cudaDropout(@Cast("int64_t") long n, @Cast("const float*") long x,
                                         @Cast("float*") long y, @Cast("uint64_t") long seed,
                                         @Cast("uint64_t") long offset, @Cast("uint32_t") int threshold, float scale,
                                         @Cast("void*") long stream);

    @Name("lrn4j_cudab_activation_forward")
    public static native int cudaActivationForward(int fn, @Cast("int64_t") long n, @Cast("const float*") long x,
                                                   @Cast("float*") long y, @Cast("void*") long stream);

    @Name("lrn4j_cudab_activation_backward")
    public static native int cudaActivationBackward(int fn, @Cast("int64_t") long n, @Cast("const float*") long y,
                                                    @Cast("const float*") long dy, @Cast("float*") long dx,
                                                    @Cast("void*") long stream);

    @Name("lrn4j_cudab_sum_squares")
    public static native int cudaSumSquares(@Cast("int64_t") long n, @Cast("const float*") long x,
                                            @Cast("double*") long out, @Cast("void*") long stream);

    @Name("lrn4j_cudab_embedding_gather")
    public static native int cudaEmbeddingGather(@Cast("int64_t") long m, @Cast("int64_t") long d,
                                                 @Cast("const int32_t*") long ids, @Cast("const float*") long table,
                                                 @Cast("int64_t") long rows, @Cast("int64_t") long ldt,
                                                 @Cast("float*") long out, @Cast("int64_t") long ldo,
                                                 @Cast("void*") long stream);

    @Name("lrn4j_cudab_embedding_scatter_add")
    public static native int cudaEmbeddingScatterAdd(@Cast("int64_t") long m, @Cast("int64_t") long d,
                                                     @Cast("const int32_t*") long ids,
                                                     @Cast("const float*") long dout, @Cast("int64_t") long ldo,
                                                     @Cast("float*") long dtable, @Cast("int64_t") long rows,
                                                     @Cast("int64_t") long ldt, @Cast("void*") long stream);

    @Name("lrn4j_cudab_softmax_xent")
    public static native int cudaSoftmaxXent(@Cast("int64_t") long m, @Cast("int64_t") long n,
                                             @Cast("const float*") long logits, @Cast("int64_t") long ld,
                                             @Cast("const int32_t*") long targets, float scale,
                                             @Cast("float*") long loss, @Cast("float*") long dlogits,
                                             @Cast("int64_t") long ldd, @Cast("void*") long stream);

    @Name("lrn4j_cudab_lrn_scan_forward")
    public static native int cudaLrnScanForward(@Cast("int64_t") long steps, @Cast("int64_t") long batch,
                                                @Cast("int64_t") long hidden,
                                                @Cast("const float*") long g, @Cast("int64_t") long ldg,
                                                @Cast("const float*") long h0,
                                                @Cast("const int32_t*") long lengths, int act, int reverse,
                                                @Cast("float*") long hs, @Cast("int64_t") long ldh,
                                                @Cast("float*") long hLast, @Cast("void*") long stream);

    @Name("lrn4j_cudab_lrn_scan_backward")
    public static native int cudaLrnScanBackward(@Cast("int64_t") long steps, @Cast("int64_t") long batch,
                                                 @Cast("int64_t") long hidden,
                                                 @Cast("const float*") long g, @Cast("int64_t") long ldg,
                                                 @Cast("const float*") long h0,
                                                 @Cast("const int32_t*") long lengths, int act, int reverse,
                                                 @Cast("const float*") long hs, @Cast("int64_t") long ldh,
                                                 @Cast("const float*") long dhs, @Cast("int64_t") long lddh,
                                                 @Cast("const float*") long dhLast,
                                                 @Cast("float*") long dg, @Cast("int64_t") long lddg,
                                                 @Cast("float*") long dh0, @Cast("void*") long stream);

    @Name("lrn4j_cudab_cell_step_forward")
    public static native int cudaCellStepForward(int cell, @Cast("int64_t") long batch, @Cast("int64_t") long hidden,
                                                 @Cast("int64_t") long t, @Cast("const int32_t*") long lengths,
                                                 @Cast("const float*") long gx, @Cast("int64_t") long ldgx,
                                                 @Cast("const float*") long gh, @Cast("int64_t") long ldgh,
                                                 @Cast("const float*") long bh,
                                                 @Cast("const float*") long hPrev, @Cast("int64_t") long ldhp,
                                                 @Cast("const float*") long cPrev, @Cast("int64_t") long ldcp,
                                                 @Cast("float*") long h, @Cast("int64_t") long ldh,
                                                 @Cast("float*") long c, @Cast("int64_t") long ldc,
                                                 @Cast("float*") long last, @Cast("int64_t") long ldLast,
                                                 @Cast("void*") long stream);

    @Name("lrn4j_cudab_cell_step_backward")
    public static native int cudaCellStepBackward(int cell, @Cast("int64_t") long batch, @Cast("int64_t") long hidden,
                                                  @Cast("int64_t") long t, @Cast("const int32_t*") long lengths,
                                                  @Cast("const float*") long gx, @Cast("int64_t") long ldgx,
                                                  @Cast("const float*") long gh, @Cast("int64_t") long ldgh,
                                                  @Cast("const float*") long bh,
                                                  @Cast("const float*") long hPrev, @Cast("int64_t") long ldhp,
                                                  @Cast("const float*") long cPrev, @Cast("int64_t") long ldcp,
                                                  @Cast("const float*") long c, @Cast("int64_t") long ldc,
                                                  @Cast("const float*") long dhOut, @Cast("int64_t") long lddo,
                                                  @Cast("float*") long dh, @Cast("int64_t") long lddh,
                                                  @Cast("float*") long dc, @Cast("int64_t") long lddc,
                                                  @Cast("float*") long dgx, @Cast("int64_t") long lddgx,
                                                  @Cast("float*") long dgh, @Cast("int64_t") long lddgh,
                                                  @Cast("void*") long stream);

    @Name("lrn4j_cudab_sru_scan_forward")
    public static native int cudaSruScanForward(@Cast("int64_t") long steps, @Cast("int64_t") long batch,
                                                @Cast("int64_t") long hidden, @Cast("int64_t") long k,
                                                @Cast("const float*") long u, @Cast("int64_t") long ldu,
                                                @Cast("const float*") long x, @Cast("int64_t") long ldx,
                                                @Cast("const float*") long v, @Cast("const float*") long bias,
                                                @Cast("const float*") long c0, @Cast("const int32_t*") long lengths,
                                                int act, int reverse, @Cast("float*") long h,
                                                @Cast("int64_t") long ldh, @Cast("float*") long c,
                                                @Cast("int64_t") long ldc, @Cast("float*") long cLast,
                                                @Cast("void*") long stream);

    @Name("lrn4j_cudab_sru_scan_backward")
    public static native int cudaSruScanBackward(@Cast("int64_t") long steps, @Cast("int64_t") long batch,
                                                 @Cast("int64_t") long hidden, @Cast("int64_t") long k,
                                                 @Cast("const float*") long u, @Cast("int64_t") long ldu,
                                                 @Cast("const float*") long x, @Cast("int64_t") long ldx,
                                                 @Cast("const float*") long v, @Cast("const float*") long bias,
                                                 @Cast("const float*") long c0, @Cast("const int32_t*") long lengths,
                                                 int act, int reverse, @Cast("const float*") long c,
                                                 @Cast("int64_t") long ldc, @Cast("const float*") long dh,
                                                 @Cast("int64_t") long lddh, @Cast("const float*") long dcLast,
                                                 @Cast("float*") long du, @Cast("int64_t") long lddu,
                                                 @Cast("float*") long dx, @Cast("int64_t") long lddx,
                                                 @Cast("float*") long dv, @Cast("float*") long dc0,
                                                 @Cast("void*") long stream);

    @Name("lrn4j_cudab_olrn_scan_forward")
    public static native int cudaOlrnScanForward(@Cast("int64_t") long steps, @Cast("int64_t") long batch,
                                                 @Cast("int64_t") long hidden,
                                                 @Cast("const float*") long g, @Cast("int64_t") long ldg,
                                                 @Cast("const float*") long h0, @Cast("const int32_t*") long lengths,
                                                 int act, int reverse, @Cast("float*") long hs,
                                                 @Cast("int64_t") long ldh, @Cast("float*") long cs,
                                                 @Cast("int64_t") long ldc, @Cast("float*") long hLast,
                                                 @Cast("void*") long stream);

    @Name("lrn4j_cudab_olrn_scan_backward")
    public static native int cudaOlrnScanBackward(@Cast("int64_t") long steps, @Cast("int64_t") long batch,
                                                  @Cast("int64_t") long hidden,
                                                  @Cast("const float*") long g, @Cast("int64_t") long ldg,
                                                  @Cast("const float*") long h0, @Cast("const int32_t*") long lengths,
                                                  int act, int reverse, @Cast("const float*") long hs,
                                                  @Cast("int64_t") long ldh, @Cast("const float*") long cs,
                                                  @Cast("int64_t") long ldc, @Cast("const float*") long dhs,
                                                  @Cast("int64_t") long lddh, @Cast("const float*") long dhLast,
                                                  @Cast("float*") long dg, @Cast("int64_t") long lddg,
                                                  @Cast("float*") long dh0, @Cast("void*") long stream);

    @Name("lrn4j_cudab_layer_norm_forward")
    public static native int cudaLayerNormForward(@Cast("int64_t") long m, @Cast("int64_t") long groups,
                                                  @Cast("int64_t") long groupSize, @Cast("const float*") long x,
                                                  @Cast("int64_t") long ldx, @Cast("const float*") long gamma,
                                                  @Cast("const float*") long beta, float eps,
                                                  @Cast("float*") long y, @Cast("int64_t") long ldy,
                                                  @Cast("float*") long mean, @Cast("float*") long rstd,
                                                  @Cast("void*") long stream);

    @Name("lrn4j_cudab_layer_norm_backward")
    public static native int cudaLayerNormBackward(@Cast("int64_t") long m, @Cast("int64_t") long groups,
                                                   @Cast("int64_t") long groupSize, @Cast("const float*") long x,
                                                   @Cast("int64_t") long ldx, @Cast("const float*") long gamma,
                                                   @Cast("const float*") long mean, @Cast("const float*") long rstd,
                                                   @Cast("const float*") long dy, @Cast("int64_t") long lddy,
                                                   @Cast("float*") long dx, @Cast("int64_t") long lddx,
                                                   @Cast("float*") long dgamma, @Cast("float*") long dbeta,
                                                   @Cast("void*") long stream);
}

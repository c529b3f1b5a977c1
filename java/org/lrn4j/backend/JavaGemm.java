package org.lrn4j.backend;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * The FLOAT32 GEMM of {@link JavaBackend}: C = op(A)·op(B) [+ bias] [+ C] in plain Java that the JIT
 * (C2) turns into AVX loops.
 *
 * <p>Structure: op(A) is packed once into a dense row-major m×k array and op(B) into k separate rows of
 * n floats, so both transposes are paid for outside the hot loop. C is cut into fixed MC×NC tiles, one
 * task each. A tile accumulates in per-thread rows of n floats (MC·NC floats stay in L1) while the loop
 * over k walks four rows of op(B) at a time: {@code c[j] += a0·b0[j] + a1·b1[j] + a2·b2[j] + a3·b3[j]}.
 *
 * <p>Why that exact shape: C2's superword pass in JDK 17 vectorises a loop only when it can prove that
 * no store feeds a later load, and it cannot prove that for one array read at two unrelated offsets, nor
 * for two stored arrays. A loop that stores into one array and reads every array at the same index
 * {@code j} is always safe, and is vectorised (measured: ~30 GFLOP/s on one core of the dev machine,
 * against ~6 for the same arithmetic written over offsets into one array). Eight rows of op(B) per pass
 * were not vectorised at all; two rows of C per pass neither.
 *
 * <p>Every element of C is summed by one task in the same order (k in groups of four, then the
 * remainder), so results do not depend on the thread count.
 */
final class JavaGemm {
    /** Rows of C per tile: MC rows of NC floats (16 KiB) stay in L1 beside four rows of op(B). */
    private static final int MC = 16;
    /** Columns of C per tile. */
    private static final int NC = 256;
    /** Rows (or columns) per packing task. */
    private static final int PACK = 16;

    private static final ThreadLocal<float[]> PACKED_A = new ThreadLocal<>();
    private static final ThreadLocal<float[][]> PACKED_B = new ThreadLocal<>();
    private static final ThreadLocal<float[]> BIAS = new ThreadLocal<>();
    private static final ThreadLocal<float[]> TRANSPOSE = new ThreadLocal<>();
    private static final ThreadLocal<float[][]> TILE = new ThreadLocal<>();
    private static final ThreadLocal<float[]> OLD_C = new ThreadLocal<>();

    private JavaGemm() {
    }

    /** A per-thread array of at least n floats, kept for the next call (contents undefined). */
    static float[] scratch(ThreadLocal<float[]> slot, int n) {
        float[] a = slot.get();
        if (a == null || a.length < n) {
            a = new float[n];
            slot.set(a);
        }
        return a;
    }

    /** Per-thread rows × cols floats as separate row arrays, kept for the next call (contents undefined). */
    static float[][] scratchRows(ThreadLocal<float[][]> slot, int rows, int cols) {
        float[][] a = slot.get();
        if (a == null || a.length < rows || (rows > 0 && a[0].length < cols)) {
            int r = a == null ? rows : Math.max(rows, a.length);
            int c = a == null || a.length == 0 ? cols : Math.max(cols, a[0].length);
            a = new float[r][c];
            slot.set(a);
        }
        return a;
    }

    /**
     * Arguments as validated by {@link Backend#gemm}; offsets and strides are in elements of the FLOAT32
     * buffers, which hold every element the views address.
     */
    static void gemm(KernelThreads threads, boolean transA, boolean transB, int m, int n, int k,
                     FloatBuffer a, int aOffset, int lda, FloatBuffer b, int bOffset, int ldb,
                     FloatBuffer bias, boolean accumulate, FloatBuffer c, int cOffset, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        float[] opA = packA(threads, transA, m, k, a, aOffset, lda);
        float[][] opB = packB(threads, transB, n, k, b, bOffset, ldb);
        float[] biasv = null;
        if (bias != null) {
            biasv = scratch(BIAS, n);
            bias.get(0, biasv, 0, n);
        }
        float[] bv = biasv;
        int colBlocks = (n + NC - 1) / NC;
        int rowBlocks = (m + MC - 1) / MC;
        threads.run(rowBlocks * colBlocks, t -> tile(opA, opB, bv, accumulate, c, cOffset, ldc, m, n, k,
                t / colBlocks * MC, t % colBlocks * NC));
    }

    /** op(A) as a dense row-major m×k array. */
    private static float[] packA(KernelThreads threads, boolean transA, int m, int k,
                                 FloatBuffer a, int aOffset, int lda) {
        float[] opA = scratch(PACKED_A, m * k);
        if (!transA) {
            threads.run((m + PACK - 1) / PACK, t -> {
                for (int i = t * PACK; i < Math.min(m, (t + 1) * PACK); i++) {
                    a.get(aOffset + i * lda, opA, i * k, k);
                }
            });
        } else {
            // A is k×m: read PACK of its rows at once so each row of op(A) receives a contiguous run.
            threads.run((k + PACK - 1) / PACK, t -> {
                int p0 = t * PACK;
                int rows = Math.min(PACK, k - p0);
                float[] buf = scratch(TRANSPOSE, rows * m);
                for (int u = 0; u < rows; u++) {
                    a.get(aOffset + (p0 + u) * lda, buf, u * m, m);
                }
                for (int i = 0; i < m; i++) {
                    for (int u = 0; u < rows; u++) {
                        opA[i * k + p0 + u] = buf[u * m + i];
                    }
                }
            });
        }
        return opA;
    }

    /** op(B) as k separate rows of (at least) n floats. */
    private static float[][] packB(KernelThreads threads, boolean transB, int n, int k,
                                   FloatBuffer b, int bOffset, int ldb) {
        float[][] opB = scratchRows(PACKED_B, k, n);
        if (!transB) {
            threads.run((k + PACK - 1) / PACK, t -> {
                for (int p = t * PACK; p < Math.min(k, (t + 1) * PACK); p++) {
                    b.get(bOffset + p * ldb, opB[p], 0, n);
                }
            });
        } else {
            // B is n×k: read PACK of its rows (columns of op(B)) at once, then scatter them down op(B).
            threads.run((n + PACK - 1) / PACK, t -> {
                int j0 = t * PACK;
                int cols = Math.min(PACK, n - j0);
                float[] buf = scratch(TRANSPOSE, cols * k);
                for (int u = 0; u < cols; u++) {
                    b.get(bOffset + (j0 + u) * ldb, buf, u * k, k);
                }
                for (int p = 0; p < k; p++) {
                    float[] row = opB[p];
                    for (int u = 0; u < cols; u++) {
                        row[j0 + u] = buf[u * k + p];
                    }
                }
            });
        }
        return opB;
    }

    /** One MC×NC tile of C at (i0, j0), clipped to m×n. */
    private static void tile(float[] opA, float[][] opB, float[] bias, boolean accumulate,
                             FloatBuffer c, int cOffset, int ldc, int m, int n, int k, int i0, int j0) {
        int rows = Math.min(MC, m - i0);
        int j1 = Math.min(n, j0 + NC);
        float[][] acc = scratchRows(TILE, MC, n);
        for (int i = 0; i < rows; i++) {
            Arrays.fill(acc[i], j0, j1, 0f);
        }
        int p = 0;
        for (; p + 4 <= k; p += 4) {
            float[] b0 = opB[p];
            float[] b1 = opB[p + 1];
            float[] b2 = opB[p + 2];
            float[] b3 = opB[p + 3];
            for (int i = 0; i < rows; i++) {
                int at = (i0 + i) * k + p;
                axpy4(acc[i], b0, b1, b2, b3, opA[at], opA[at + 1], opA[at + 2], opA[at + 3], j0, j1);
            }
        }
        for (; p < k; p++) {
            float[] b0 = opB[p];
            for (int i = 0; i < rows; i++) {
                axpy1(acc[i], b0, opA[(i0 + i) * k + p], j0, j1);
            }
        }
        float[] old = accumulate ? scratch(OLD_C, n) : null;
        for (int i = 0; i < rows; i++) {
            float[] row = acc[i];
            if (bias != null) {
                addInto(row, bias, j0, j1);
            }
            int at = cOffset + (i0 + i) * ldc + j0;
            if (accumulate) {
                c.get(at, old, j0, j1 - j0);
                addInto(row, old, j0, j1);
            }
            c.put(at, row, j0, j1 - j0);
        }
    }

    /** c[j] += a0·b0[j] + a1·b1[j] + a2·b2[j] + a3·b3[j] for j in [j0, j1): the vectorised inner loop. */
    private static void axpy4(float[] c, float[] b0, float[] b1, float[] b2, float[] b3,
                              float a0, float a1, float a2, float a3, int j0, int j1) {
        for (int j = j0; j < j1; j++) {
            c[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
        }
    }

    private static void axpy1(float[] c, float[] b0, float a0, int j0, int j1) {
        for (int j = j0; j < j1; j++) {
            c[j] += a0 * b0[j];
        }
    }

    /** row[j] = x[j] + row[j] for j in [j0, j1): bias or old C added after the whole sum over k. */
    private static void addInto(float[] row, float[] x, int j0, int j1) {
        for (int j = j0; j < j1; j++) {
            row[j] = x[j] + row[j];
        }
    }
}

package org.lrn4j.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.lrn4j.TestData.assertClose;
import static org.lrn4j.TestData.assertView;
import static org.lrn4j.TestData.poisoned;
import static org.lrn4j.TestData.random;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lrn4j.TestData.On;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * The native GEMM at each SIMD kernel set this CPU has (forced with {@link NativeBackend#setIsa}), against
 * the double-precision reference: every form the layers use (G = X·W + b, dX = dG·Wᵀ, dW += Xᵀ·dG, both
 * transposes, K = 0) on odd sizes that cross the register tiles, the cache blocks and the small-M paths,
 * with row strides wider than the rows, outputs poisoned with NaN and the padding checked untouched. Each
 * set's results are also checked bit-identical for 1 and 2 threads and from one call to the next. A set
 * the CPU lacks is skipped with the reason.
 */
class NativeGemmIsaTest {
    private static final DType F = DType.FLOAT32;
    private static final Backend REF = ReferenceBackend.INSTANCE;

    /** {m, n, k}: tiles and their edges, the small-M paths (m <= 32), several K and N blocks. */
    private static final int[][] SHAPES = {
        {1, 1, 1}, {1, 17, 5}, {1, 1536, 77}, {2, 200, 9}, {7, 1000, 600}, {12, 32, 257}, {13, 33, 100},
        {31, 95, 1100}, {32, 129, 300}, {33, 95, 1030}, {49, 2049, 70}, {173, 5, 260}, {300, 517, 200},
        {700, 70, 300}, {40, 2100, 1030}, {1000, 49, 31},
    };

    /** The native backend, the test skipped with the reason when the CPU lacks kernel set {@code isa}. */
    static NativeBackend nativeAt(String isa) {
        NativeBackend nat = NativeBackend.load();
        Assumptions.assumeTrue(NativeBackend.supportsIsa(isa),
                "this CPU has no " + isa + " (features: " + NativeBackend.cpuFeatures() + ")");
        return nat;
    }

    /** Runs {@code body} on the native backend at kernel set {@code isa} (skipped when the CPU lacks it). */
    static void atKernelSet(String isa, Consumer<NativeBackend> body) {
        NativeBackend nat = nativeAt(isa);
        withIsa(nat, isa, () -> body.accept(nat));
    }

    /** Runs {@code body} with kernel set {@code isa}, restoring the previous set afterwards. */
    static void withIsa(NativeBackend nat, String isa, Runnable body) {
        String saved = nat.isaName();
        nat.setIsa(isa);
        try {
            assertEquals(isa, nat.isaName());
            body.run();
        } finally {
            nat.setIsa(saved);
        }
    }

    /** One GEMM call on its own tensors: op(A) m×k, op(B) k×n, C m×n with row strides padded by {@code pad}. */
    private record Case(boolean transA, boolean transB, int m, int n, int k, int pad, boolean bias,
                        boolean accumulate) {
        int lda() {
            return (transA ? m : k) + pad;
        }

        int ldb() {
            return (transB ? k : n) + 2 * pad;
        }

        int ldc() {
            return n + pad;
        }

        String describe() {
            return "ta=" + transA + " tb=" + transB + " m=" + m + " n=" + n + " k=" + k + " pad=" + pad
                    + " bias=" + bias + " acc=" + accumulate;
        }
    }

    private static final class Data implements AutoCloseable {
        final Tensor a;
        final Tensor b;
        final Tensor bias;
        final Tensor c0;

        Data(SplittableRandom rng, Case c) {
            a = random(rng, F, -1, 1, Math.max(1, c.transA ? c.k : c.m), c.lda());
            b = random(rng, F, -1, 1, Math.max(1, c.transB ? c.n : c.k), c.ldb());
            bias = random(rng, F, -1, 1, c.n);
            // Not accumulating: C is never read, so NaN there must vanish and any element left unwritten shows.
            c0 = c.accumulate ? random(rng, F, -1, 1, c.m, c.ldc()) : poisoned(F, c.m, c.ldc());
        }

        double[] run(Backend backend, Case c) {
            try (On on = new On(backend)) {
                Tensor out = on.put(c0);
                backend.gemm(c.transA, c.transB, c.m, c.n, c.k, on.put(a), 0, c.lda(), on.put(b), 0, c.ldb(),
                        c.bias ? on.put(bias) : null, c.accumulate, out, 0, c.ldc());
                return on.get(out);
            }
        }

        @Override
        public void close() {
            a.close();
            b.close();
            bias.close();
            c0.close();
        }
    }

    private static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        int i = 0;
        for (int[] s : SHAPES) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            int pad = i++ % 3 == 0 ? 0 : 3;
            cases.add(new Case(false, false, m, n, k, pad, true, false));          // G = X·W + b
            cases.add(new Case(false, true, m, n, k, pad, false, false));          // dX = dG·Wᵀ
            cases.add(new Case(true, false, m, n, k, pad, false, true));           // dW += Xᵀ·dG
            cases.add(new Case(true, true, m, n, k, pad, i % 2 == 0, i % 4 == 0)); // both transposed
        }
        for (boolean acc : new boolean[] {false, true}) {
            for (boolean bias : new boolean[] {false, true}) {
                cases.add(new Case(false, false, 9, 21, 0, 2, bias, acc));        // K = 0
            }
        }
        return cases;
    }

    @ParameterizedTest
    @ValueSource(strings = {"avx512", "avx2", "scalar"})
    void gemmMatchesTheReferenceAtEachKernelSet(String isa) {
        atKernelSet(isa, nat -> {
            SplittableRandom rng = new SplittableRandom(11);
            for (Case c : cases()) {
                try (Data d = new Data(rng, c)) {
                    double[] want = d.run(REF, c);
                    double[] got = d.run(nat, c);
                    assertView(isa + " " + c.describe(), d.c0.toDoubleArray(), want, got, c.m, c.n, c.ldc(),
                            2e-6 * (c.k + 1), 1e-5);
                }
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"avx512", "avx2", "scalar"})
    void gemmIsBitIdenticalForOneAndTwoThreads(String isa) {
        atKernelSet(isa, nat -> {
            SplittableRandom rng = new SplittableRandom(12);
            // The bench shapes (scaled down where the reference would be slow), tall, wide and small-M ones
            // (the small-M path starts a second thread from 2^23 multiply-adds).
            int[][] shapes = {{1, 1536, 512}, {32, 1536, 512}, {20, 3000, 300}, {600, 768, 256}, {300, 517, 1100},
                {40, 2000, 300}, {1000, 20, 700}};
            for (int[] s : shapes) {
                for (int form = 0; form < 3; form++) {
                    Case c = new Case(form == 2, form == 1, s[0], s[1], s[2], 1, form == 0, form == 2);
                    try (Data d = new Data(rng, c)) {
                        assertSameForOneAndTwoThreads(nat, isa + " " + c.describe(), () -> d.run(nat, c));
                    }
                }
            }
        });
    }

    /** Runs {@code call} with 1 thread, 2 threads and 2 again: all three results bit-identical. */
    static void assertSameForOneAndTwoThreads(NativeBackend nat, String what, Supplier<double[]> call) {
        int saved = nat.threads();
        try {
            nat.setThreads(1);
            double[] one = call.get();
            nat.setThreads(2);
            double[] two = call.get();
            double[] again = call.get();
            assertArrayEquals(one, two, 0.0, what + ": 1 vs 2 threads");
            assertArrayEquals(two, again, 0.0, what + ": two runs");
        } finally {
            nat.setThreads(saved);
        }
    }

    /**
     * The AVX-512 and AVX2 sets sum each element in different orders, so over 155 000 sums of 1000 products
     * some last bits differ: identical results would mean that forcing the set changed nothing.
     */
    @Test
    void forcingTheKernelSetChangesThePath() {
        NativeBackend nat = nativeAt("avx512");
        Case c = new Case(false, false, 300, 517, 1000, 0, true, false);
        try (Data d = new Data(new SplittableRandom(13), c)) {
            double[][] got = new double[2][];
            withIsa(nat, "avx512", () -> got[0] = d.run(nat, c));
            withIsa(nat, "avx2", () -> got[1] = d.run(nat, c));
            assertClose("avx512 vs avx2", got[1], got[0], 2e-6 * 1001, 1e-5);
            assertFalse(Arrays.equals(got[0], got[1]),
                    "avx512 and avx2 gave bit-identical results");
        }
    }

    @Test
    void unknownOrUnsupportedKernelSetIsRejected() {
        NativeBackend nat = NativeBackend.load();
        String before = nat.isaName();
        assertThrows(IllegalArgumentException.class, () -> nat.setIsa("sse9"));
        if (!NativeBackend.supportsIsa("avx512")) {
            assertThrows(IllegalArgumentException.class, () -> nat.setIsa("avx512"));
        }
        assertEquals(before, nat.isaName());
    }
}

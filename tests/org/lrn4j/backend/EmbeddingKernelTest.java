package org.lrn4j.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lrn4j.TestData.assertClose;
import static org.lrn4j.TestData.poisoned;
import static org.lrn4j.TestData.random;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.lrn4j.TestData;
import org.lrn4j.TestData.On;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * Embedding lookup and its backward: every backend against the reference on odd sizes (repeated ids,
 * padding ids, strides), the backward as the exact adjoint of the lookup in double, and bad input.
 */
class EmbeddingKernelTest {
    private static final Backend REF = ReferenceBackend.INSTANCE;

    static java.util.List<String> backends() {
        return TestData.acceleratedBackends();
    }

    private static Tensor ids(SplittableRandom rng, int m, int rows) {
        int[] v = new int[m];
        for (int i = 0; i < m; i++) {
            v[i] = i % 7 == 5 ? -1 : rng.nextInt(Math.min(rows, 1 + m / 2));  // repeats, and some padding
        }
        return Tensor.ofInts(v);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void matchesTheReference(String name) {
        Backend backend = TestData.backendOrSkip(name);
        SplittableRandom rng = new SplittableRandom(3);
        for (int m : new int[] {1, 9, 130}) {
            for (int d : new int[] {1, 7, 8, 65, 300}) {
                for (int rows : new int[] {1, 50}) {
                    int ldt = d + 2;
                    int ldo = d + 5;
                    String what = name + " m=" + m + " d=" + d + " rows=" + rows;
                    try (Tensor id = ids(rng, m, rows);
                         Tensor table = random(rng, DType.FLOAT32, -1, 1, (long) rows * ldt);
                         Tensor out = poisoned(DType.FLOAT32, 3 + (long) m * ldo);
                         Tensor dOut = random(rng, DType.FLOAT32, -1, 1, 3 + (long) m * ldo);
                         Tensor dTable = random(rng, DType.FLOAT32, -1, 1, (long) rows * ldt)) {
                        double[][] want = both(REF, id, table, out, dOut, dTable, m, d, rows, ldt, ldo);
                        double[][] got = both(backend, id, table, out, dOut, dTable, m, d, rows, ldt, ldo);
                        assertClose(what + " gather", want[0], got[0], 0, 0);  // a copy: exact (NaN padding too)
                        assertClose(what + " scatter_add", want[1], got[1], 1e-7 * (m + 1), 1e-6);  // float sums of up to m rows
                    }
                }
            }
        }
    }

    /** Runs gather and scatter-add on `b`; returns {out buffer without its NaN padding, dTable buffer}. */
    private static double[][] both(Backend b, Tensor ids, Tensor table, Tensor out, Tensor dOut, Tensor dTable,
                                   int m, int d, int rows, int ldt, int ldo) {
        try (On on = new On(b)) {
            Tensor o = on.put(out);
            Tensor t = on.put(dTable);
            Tensor i = on.put(ids);
            b.embeddingGather(m, d, i, on.put(table), rows, ldt, o, 3, ldo);
            b.embeddingScatterAdd(m, d, i, on.put(dOut), 3, ldo, t, rows, ldt);
            double[] all = on.get(o);
            double[] view = new double[m * d];
            for (int k = 0; k < all.length; k++) {
                int r = (k - 3) / ldo;
                int c = (k - 3) % ldo;
                if (k >= 3 && r < m && c < d) {
                    view[r * d + c] = all[k];
                } else if (!Double.isNaN(all[k])) {
                    throw new AssertionError(b.name() + ": element " + k + " outside the output view was written");
                }
            }
            return new double[][] {view, on.get(t)};
        }
    }

    /** <gather(T), G> = <T, scatter(G)>: the backward is the adjoint of the lookup (exact in double). */
    @Test
    void scatterAddIsTheAdjointOfGather() {
        SplittableRandom rng = new SplittableRandom(8);
        int m = 23;
        int d = 5;
        int rows = 6;
        try (Tensor id = ids(rng, m, rows);
             Tensor t = random(rng, DType.FLOAT64, -1, 1, rows, d);
             Tensor g = random(rng, DType.FLOAT64, -1, 1, m, d);
             Tensor out = Tensor.host(DType.FLOAT64, m, d);
             Tensor dt = Tensor.host(DType.FLOAT64, rows, d)) {
            REF.embeddingGather(m, d, id, t, rows, d, out, 0, d);
            REF.embeddingScatterAdd(m, d, id, g, 0, d, dt, rows, d);
            double lhs = dot(out.toDoubleArray(), g.toDoubleArray());
            double rhs = dot(t.toDoubleArray(), dt.toDoubleArray());
            assertEquals(lhs, rhs, 1e-12 * (1 + Math.abs(lhs)));
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void badInputIsRejected(String name) {
        Backend backend = TestData.backendOrSkip(name);
        try (On on = new On(backend)) {
            Tensor table = on.put(Tensor.host(DType.FLOAT32, 4, 3));
            Tensor out = on.put(Tensor.host(DType.FLOAT32, 2, 3));
            Tensor id = on.put(Tensor.ofInts(new int[] {0, 3}));
            Tensor idShort = on.put(Tensor.ofInts(new int[] {0}));
            assertThrows(IllegalArgumentException.class, () -> backend.embeddingGather(2, 3, idShort, table, 4, 3, out, 0, 3));
            assertThrows(IllegalArgumentException.class, () -> backend.embeddingGather(2, 3, id, table, 5, 3, out, 0, 3));
            assertThrows(IllegalArgumentException.class, () -> backend.embeddingGather(2, 3, id, table, 4, 3, table, 0, 3));
            assertThrows(IllegalArgumentException.class, () -> backend.embeddingGather(2, 3, null, table, 4, 3, out, 0, 3));
            assertThrows(IllegalArgumentException.class, () -> backend.embeddingScatterAdd(2, 3, id, out, 0, 3, out, 2, 3));
            if (backend.device() == org.lrn4j.tensor.Device.HOST) {
                Tensor bad = on.put(Tensor.ofInts(new int[] {0, 4}));
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> backend.embeddingGather(2, 3, bad, table, 4, 3, out, 0, 3));
                assertTrue(e.getMessage().contains("ids[1] = 4"), e.getMessage());
            }
        }
    }
}

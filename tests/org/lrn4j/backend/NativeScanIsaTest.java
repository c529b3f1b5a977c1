package org.lrn4j.backend;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.lrn4j.TestData.assertClose;
import static org.lrn4j.TestData.poisoned;
import static org.lrn4j.TestData.random;
import static org.lrn4j.backend.NativeGemmIsaTest.assertSameForOneAndTwoThreads;
import static org.lrn4j.backend.NativeGemmIsaTest.atKernelSet;
import static org.lrn4j.backend.NativeGemmIsaTest.nativeAt;
import static org.lrn4j.backend.NativeGemmIsaTest.withIsa;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * The native LRN and oLRN scans at each SIMD kernel set this CPU has (forced with {@link NativeBackend#setIsa}),
 * against the reference: hidden sizes that are no multiple of the 8 or 16 lanes and cross the 64- and 128-unit
 * chunks, both activations, forward and reverse, ragged lengths (padding steps) and full ones, with and without
 * h0, row strides wider than the rows, forward and backward (KernelParityTest's scan case). Each set's scans
 * are also checked bit-identical for 1 and 2 threads and from one call to the next. A set the CPU lacks is
 * skipped with the reason.
 */
class NativeScanIsaTest {
    private static final DType F = DType.FLOAT32;
    private static final int[] STEPS = {1, 5, 33};
    private static final int[] BATCH = {1, 3};
    private static final int[] HIDDEN = {1, 15, 16, 17, 33, 129, 257};

    @ParameterizedTest
    @ValueSource(strings = {"avx512", "avx2", "scalar"})
    void scansMatchTheReferenceAtEachKernelSet(String isa) {
        atKernelSet(isa, nat -> {
            SplittableRandom rng = new SplittableRandom(21);
            int caseNo = 0;
            for (boolean outputGate : new boolean[] {false, true}) {
                for (int t : STEPS) {
                    for (int bt : BATCH) {
                        for (int h : HIDDEN) {
                            for (Activation act : Activation.values()) {
                                for (boolean reverse : new boolean[] {false, true}) {
                                    boolean ragged = caseNo % 2 == 0;
                                    boolean withState = caseNo % 3 != 1;
                                    int pad = caseNo++ % 4 == 1 ? 3 : 0;
                                    KernelParityTest.scanCase(nat, rng, outputGate, t, bt, h, act, reverse, ragged,
                                            withState, pad);
                                }
                            }
                        }
                    }
                }
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"avx512", "avx2", "scalar"})
    void scansAreBitIdenticalForOneAndTwoThreads(String isa) {
        atKernelSet(isa, nat -> {
            // Several chunks per row at either width (H = 257: 5 of 64 units, 3 of 128), ragged lengths.
            for (boolean outputGate : new boolean[] {false, true}) {
                for (int h : new int[] {129, 257}) {
                    try (Walk w = new Walk(new SplittableRandom(22), outputGate, 33, 8, h)) {
                        assertSameForOneAndTwoThreads(nat, isa + (outputGate ? " olrn" : " lrn") + " H" + h,
                                () -> w.run(nat));
                    }
                }
            }
        });
    }

    /**
     * The AVX-512 scans divide through a refined reciprocal estimate and the AVX2 ones with a division: some
     * last bits differ over many steps, so identical results would mean that forcing the set changed nothing.
     */
    @Test
    void forcingTheKernelSetChangesTheScan() {
        NativeBackend nat = nativeAt("avx512");
        try (Walk w = new Walk(new SplittableRandom(23), false, 33, 8, 257)) {
            double[][] got = new double[2][];
            withIsa(nat, "avx512", () -> got[0] = w.run(nat));
            withIsa(nat, "avx2", () -> got[1] = w.run(nat));
            assertClose("avx512 vs avx2", got[1], got[0], 1e-5, 1e-4);
            assertFalse(Arrays.equals(got[0], got[1]), "avx512 and avx2 scans gave bit-identical results");
        }
    }

    /** A tanh scan, forward then backward from its own states, on fixed random data: hs, cs, dg and dh0. */
    private static final class Walk implements AutoCloseable {
        final boolean outputGate;
        final int t;
        final int bt;
        final int h;
        final Tensor g;
        final Tensor h0;
        final Tensor lengths;
        final Tensor dhs;

        Walk(SplittableRandom rng, boolean outputGate, int t, int bt, int h) {
            this.outputGate = outputGate;
            this.t = t;
            this.bt = bt;
            this.h = h;
            g = random(rng, F, -2, 2, (long) t * bt, (outputGate ? 4 : 3) * h);
            h0 = random(rng, F, -1, 1, bt, h);
            int[] len = new int[bt];
            for (int b = 0; b < bt; b++) {
                len[b] = 1 + (b * 5) % t;
            }
            lengths = Tensor.ofInts(len);
            dhs = random(rng, F, -1, 1, (long) t * bt, h);
        }

        double[] run(Backend backend) {
            int rows = t * bt;
            int ldg = (outputGate ? 4 : 3) * h;
            try (Tensor hs = poisoned(F, rows, h);
                 Tensor cs = outputGate ? poisoned(F, rows, h) : null;
                 Tensor dg = poisoned(F, rows, ldg);
                 Tensor dh0 = poisoned(F, bt, h)) {
                if (outputGate) {
                    backend.olrnScanForward(t, bt, h, g, 0, ldg, h0, 0, lengths, Activation.TANH, false, hs, 0, h,
                            cs, 0, h, null, 0);
                    backend.olrnScanBackward(t, bt, h, g, 0, ldg, h0, 0, lengths, Activation.TANH, false, hs, 0, h,
                            cs, 0, h, dhs, 0, h, null, 0, dg, 0, ldg, dh0, 0);
                } else {
                    backend.lrnScanForward(t, bt, h, g, 0, ldg, h0, 0, lengths, Activation.TANH, false, hs, 0, h,
                            null, 0);
                    backend.lrnScanBackward(t, bt, h, g, 0, ldg, h0, 0, lengths, Activation.TANH, false, hs, 0, h,
                            dhs, 0, h, null, 0, dg, 0, ldg, dh0, 0);
                }
                double[] a = hs.toDoubleArray();
                double[] c = cs == null ? new double[0] : cs.toDoubleArray();
                double[] d = dg.toDoubleArray();
                double[] e = dh0.toDoubleArray();
                double[] all = Arrays.copyOf(a, a.length + c.length + d.length + e.length);
                System.arraycopy(c, 0, all, a.length, c.length);
                System.arraycopy(d, 0, all, a.length + c.length, d.length);
                System.arraycopy(e, 0, all, a.length + c.length + d.length, e.length);
                return all;
            }
        }

        @Override
        public void close() {
            g.close();
            h0.close();
            lengths.close();
            dhs.close();
        }
    }
}

package org.lrn4j.lmu;

import java.util.Arrays;

import org.jtransforms.fft.DoubleFFT_1D;
import org.lrn4j.backend.Backend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Device;
import org.lrn4j.tensor.Tensor;

/**
 * The memory of the parallel LMU, {@code m_t = Σ_{j≤t} H_{t−j} u_j} with the impulse response
 * {@code H_s = Ā^s B̄}, for C independent channels at once, and its adjoint
 * {@code du_t = Σ_{t'≥t} H_{t'−t}ᵀ dm_{t'}}, computed three ways (see {@link MemoryMode}).
 *
 * <p>Layouts: u and du are {@code [T, C]} (step-major, the layout of the u GEMM's output); the memory of all
 * steps and its gradient are {@code [C, T·d]} (channel-major: channel c's memory at step t is the d values at
 * {@code c·T·d + t·d}); the final memory is {@code [C, d]}. The channel-major layout makes each block of the
 * blocked convolution one plain row-major view of width L·d, so a block is two GEMMs.
 *
 * <p>All constant matrices are computed in double precision from the {@link LegendreSystem} and rounded to
 * the layer's dtype once; they live on the backend. Not thread-safe (the caches of the last-step matrix and
 * the FFT spectra are per sequence length); the layer serialises calls.
 */
final class MemoryConvolution implements AutoCloseable {
    private final Backend backend;
    private final DType dtype;
    private final LegendreSystem system;
    private final int d;
    private final int block;
    /** Kt [L, L·d]: Kt[σ, τ·d + i] = H_{τ−σ}[i] for σ ≤ τ, else 0 (the intra-block Toeplitz matrix). */
    private final Tensor toeplitz;
    /** P [d, L·d]: P[j, τ·d + i] = (Ā^{τ+1})[i, j] (carry of the state before a block into its steps). */
    private final Tensor carry;
    /** R [L·d, d]: R[σ·d + i, j] = (Ā^σ)[i, j] (adjoint state at a block's start from its gradients). */
    private final Tensor adjointCarry;
    /** Q [L, d]: Q[τ, j] = H_{L−τ}[j] (adjoint state after a block into its input gradients). */
    private final Tensor adjointInto;
    /** Ā^L [d, d]. */
    private final Tensor blockPower;
    /** Ā [d, d] and B̄ [1, d] for the step-by-step recurrence. */
    private final Tensor abar;
    private final Tensor bbar;
    private double[][] impulse = new double[0][];
    private int reversedSteps = -1;
    /** Hrev [T, d]: Hrev[j] = H_{T−1−j}, for the last T seen. */
    private Tensor reversed;
    private int spectraSteps = -1;
    /** d spectra of the impulse response, real FFTs of length {@link #fftLength} in JTransforms' packed layout. */
    private double[][] spectra;
    private DoubleFFT_1D fft;

    MemoryConvolution(Backend backend, DType dtype, LegendreSystem system, int block) {
        this.backend = backend;
        this.dtype = dtype;
        this.system = system;
        this.d = system.order();
        this.block = block;
        double[][] a = system.a();
        double[][] h = impulse(block + 1);
        double[] kt = new double[block * block * d];
        for (int s = 0; s < block; s++) {
            for (int t = s; t < block; t++) {
                System.arraycopy(h[t - s], 0, kt, s * block * d + t * d, d);
            }
        }
        // powers[p] = Ā^p for p = 0..L
        double[][][] powers = new double[block + 1][][];
        powers[0] = identity(d);
        for (int p = 1; p <= block; p++) {
            powers[p] = LegendreSystem.multiply(a, powers[p - 1]);
        }
        double[] pc = new double[d * block * d];
        double[] rc = new double[block * d * d];
        for (int t = 0; t < block; t++) {
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    pc[j * block * d + t * d + i] = powers[t + 1][i][j];
                    rc[(t * d + i) * d + j] = powers[t][i][j];
                }
            }
        }
        double[] qc = new double[block * d];
        for (int t = 0; t < block; t++) {
            System.arraycopy(h[block - t], 0, qc, t * d, d);
        }
        this.toeplitz = constant(kt, block, block * d);
        this.carry = constant(pc, d, block * d);
        this.adjointCarry = constant(rc, block * d, d);
        this.adjointInto = constant(qc, block, d);
        this.blockPower = constant(flatten(powers[block]), d, d);
        this.abar = constant(flatten(a), d, d);
        this.bbar = constant(system.b(), 1, d);
    }

    int block() {
        return block;
    }

    /** mem [C, T·d] = the memory of every step of u [T, C] (BLOCKED). */
    void blockedForward(int steps, int channels, Tensor u, Tensor mem) {
        int ld = steps * d;
        for (int t0 = 0; t0 < steps; t0 += block) {
            int len = Math.min(block, steps - t0);
            backend.gemm(true, false, channels, len * d, len, u, (long) t0 * channels, channels,
                    toeplitz, 0, block * d, null, false, mem, (long) t0 * d, ld);
            if (t0 > 0) {
                backend.gemm(false, false, channels, len * d, d, mem, (long) (t0 - 1) * d, ld,
                        carry, 0, block * d, null, true, mem, (long) t0 * d, ld);
            }
        }
    }

    /**
     * du [T, C] = the adjoint of {@link #blockedForward} applied to dm [C, T·d] (BLOCKED), walking the blocks
     * backwards with the adjoint state g (two [C, d] buffers, swapped per block).
     */
    void blockedAdjoint(int steps, int channels, Tensor dm, Tensor du, Tensor g0, Tensor g1) {
        int ld = steps * d;
        int last = ((steps - 1) / block) * block;
        Tensor next = g0;
        Tensor cur = g1;
        for (int t0 = last; t0 >= 0; t0 -= block) {
            int len = Math.min(block, steps - t0);
            boolean hasNext = t0 != last;
            backend.gemm(false, true, len, channels, len * d, toeplitz, 0, block * d, dm, (long) t0 * d, ld,
                    null, false, du, (long) t0 * channels, channels);
            if (hasNext) {
                backend.gemm(false, true, len, channels, d, adjointInto, 0, d, next, 0, d, null, true, du,
                        (long) t0 * channels, channels);
            }
            if (t0 > 0) {
                backend.gemm(false, false, channels, d, len * d, dm, (long) t0 * d, ld, adjointCarry, 0, d,
                        null, false, cur, 0, d);
                if (hasNext) {
                    backend.gemm(false, false, channels, d, d, next, 0, d, blockPower, 0, d, null, true, cur, 0, d);
                }
                Tensor t = next;
                next = cur;
                cur = t;
            }
        }
    }

    /** mfin [C, d] = the memory after the last of T steps of u [T, C] (LAST_STEP): U^T·Hrev. */
    void lastForward(int steps, int channels, Tensor u, Tensor mfin) {
        backend.gemm(true, false, channels, d, steps, u, 0, channels, reversed(steps), 0, d, null, false,
                mfin, 0, d);
    }

    /** du [T, C] = Hrev·dmfinᵀ, the adjoint of {@link #lastForward}. */
    void lastAdjoint(int steps, int channels, Tensor dmfin, Tensor du) {
        backend.gemm(false, true, steps, channels, d, reversed(steps), 0, d, dmfin, 0, d, null, false, du, 0,
                channels);
    }

    /**
     * One step of the recurrence for C channels: {@code next = prev·Āᵀ + u ⊗ B̄}, prev and next [C, d] views
     * (row stride d) at their offsets, u the C values at uOffset. prev null means a zero state.
     */
    void step(int channels, Tensor prev, long prevOffset, Tensor u, long uOffset, Tensor next, long nextOffset) {
        if (prev != null) {
            backend.gemm(false, true, channels, d, d, prev, prevOffset, d, abar, 0, d, null, false, next,
                    nextOffset, d);
        }
        backend.gemm(false, false, channels, d, 1, u, uOffset, 1, bbar, 0, d, null, prev != null, next,
                nextOffset, d);
    }

    /**
     * The FFT length for T steps: the power of two at or above 2T. Any length ≥ 2T − 1 keeps the circular
     * convolution from wrapping; a power of two keeps JTransforms on its radix-2 path, which is faster and, unlike
     * its mixed-radix path, allocates nothing per transform.
     */
    static int fftLength(int steps) {
        return Integer.highestOneBit(2 * steps - 1) << 1;
    }

    /** mem [C, T·d] from u [T, C] by FFT convolution (FFT). */
    void fftForward(int steps, int channels, Tensor u, Tensor mem) {
        int n = fftLength(steps);
        double[][] hs = spectra(steps);
        double[] uv = hostValues(u, (long) steps * channels);
        boolean host = mem.device() == Device.HOST;
        Tensor out = host ? mem : Tensor.host(dtype, mem.shape());
        try {
            double[] spec = new double[n];
            double[] prod = new double[n];
            double[] row = new double[steps * d];
            for (int c = 0; c < channels; c++) {
                Arrays.fill(spec, 0);
                for (int t = 0; t < steps; t++) {
                    spec[t] = uv[t * channels + c];
                }
                fft.realForward(spec);
                for (int i = 0; i < d; i++) {
                    multiply(spec, hs[i], prod, false);
                    fft.realInverse(prod, true);
                    for (int t = 0; t < steps; t++) {
                        row[t * d + i] = prod[t];
                    }
                }
                out.write((long) c * steps * d, row, 0, row.length);
            }
            if (!host) {
                mem.copyFrom(out);
            }
        } finally {
            if (!host) {
                out.close();
            }
        }
    }

    /** du [T, C] from dm [C, T·d] by FFT correlation, the adjoint of {@link #fftForward}. */
    void fftAdjoint(int steps, int channels, Tensor dm, Tensor du) {
        int n = fftLength(steps);
        double[][] hs = spectra(steps);
        boolean hostIn = dm.device() == Device.HOST;
        if (!hostIn) {
            backend.synchronize();
        }
        Tensor in = hostIn ? dm : dm.copyToHost();
        try {
            double[] row = new double[steps * d];
            double[] spec = new double[n];
            double[] acc = new double[n];
            double[] prod = new double[n];
            double[] duv = new double[steps * channels];
            for (int c = 0; c < channels; c++) {
                in.read((long) c * steps * d, row, 0, row.length);
                Arrays.fill(acc, 0);
                for (int i = 0; i < d; i++) {
                    Arrays.fill(spec, 0);
                    for (int t = 0; t < steps; t++) {
                        spec[t] = row[t * d + i];
                    }
                    fft.realForward(spec);
                    multiply(spec, hs[i], prod, true);
                    for (int k = 0; k < n; k++) {
                        acc[k] += prod[k];
                    }
                }
                fft.realInverse(acc, true);
                for (int t = 0; t < steps; t++) {
                    duv[t * channels + c] = acc[t];
                }
            }
            writeValues(du, duv);
        } finally {
            if (!hostIn) {
                in.close();
            }
        }
    }

    /**
     * out = a ⊙ b (or a ⊙ conj(b)) for two real-FFT spectra of even length n in JTransforms' packed layout:
     * [Re 0, Re n/2, Re 1, Im 1, ..., Re n/2−1, Im n/2−1].
     */
    private static void multiply(double[] a, double[] b, double[] out, boolean conjugateB) {
        out[0] = a[0] * b[0];
        out[1] = a[1] * b[1];
        double sign = conjugateB ? -1 : 1;
        for (int k = 2; k < a.length; k += 2) {
            double ar = a[k];
            double ai = a[k + 1];
            double br = b[k];
            double bi = sign * b[k + 1];
            out[k] = ar * br - ai * bi;
            out[k + 1] = ar * bi + ai * br;
        }
    }

    private double[][] spectra(int steps) {
        if (spectraSteps != steps) {
            int n = fftLength(steps);
            fft = new DoubleFFT_1D(n);
            double[][] h = impulse(steps);
            spectra = new double[d][n];
            for (int i = 0; i < d; i++) {
                for (int t = 0; t < steps; t++) {
                    spectra[i][t] = h[t][i];
                }
                fft.realForward(spectra[i]);
            }
            spectraSteps = steps;
        }
        return spectra;
    }

    private Tensor reversed(int steps) {
        if (reversedSteps != steps) {
            double[][] h = impulse(steps);
            double[] r = new double[steps * d];
            for (int j = 0; j < steps; j++) {
                System.arraycopy(h[steps - 1 - j], 0, r, j * d, d);
            }
            if (reversed != null) {
                reversed.close();
            }
            reversed = constant(r, steps, d);
            reversedSteps = steps;
        }
        return reversed;
    }

    /** H_0..H_{length−1} in double, extended as needed and kept. */
    private double[][] impulse(int length) {
        if (impulse.length < length) {
            impulse = system.impulseResponse(Math.max(length, 2 * impulse.length));
        }
        return impulse;
    }

    private Tensor constant(double[] values, long rows, long cols) {
        try (Tensor host = Tensor.host(dtype, rows, cols)) {
            host.write(0, values, 0, values.length);
            return backend.copyOf(host);
        }
    }

    private double[] hostValues(Tensor t, long n) {
        double[] v = new double[Math.toIntExact(n)];
        if (t.device() == Device.HOST) {
            t.read(0, v, 0, v.length);
        } else {
            backend.synchronize();
            try (Tensor h = t.copyToHost()) {
                h.read(0, v, 0, v.length);
            }
        }
        return v;
    }

    private void writeValues(Tensor t, double[] v) {
        if (t.device() == Device.HOST) {
            t.write(0, v, 0, v.length);
        } else {
            try (Tensor h = Tensor.host(dtype, t.shape())) {
                h.write(0, v, 0, v.length);
                t.copyFrom(h);
            }
        }
    }

    private static double[][] identity(int n) {
        double[][] r = new double[n][n];
        for (int i = 0; i < n; i++) {
            r[i][i] = 1;
        }
        return r;
    }

    private static double[] flatten(double[][] m) {
        int cols = m[0].length;
        double[] r = new double[m.length * cols];
        for (int i = 0; i < m.length; i++) {
            System.arraycopy(m[i], 0, r, i * cols, cols);
        }
        return r;
    }

    @Override
    public void close() {
        toeplitz.close();
        carry.close();
        adjointCarry.close();
        adjointInto.close();
        blockPower.close();
        abar.close();
        bbar.close();
        if (reversed != null) {
            reversed.close();
        }
    }
}

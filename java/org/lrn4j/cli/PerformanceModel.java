package org.lrn4j.cli;

/**
 * The floors of the performance model (DESIGN.md): a GEMM takes {@code 2·M·N·K} FLOPs at the peak FP32
 * rate, everything else takes the bytes it reads and writes at the memory copy bandwidth.
 *
 * @param peakGflops   FP32 GEMM rate, GFLOP/s
 * @param bandwidthGbs copy bandwidth counting bytes read plus bytes written, GB/s
 */
record PerformanceModel(double peakGflops, double bandwidthGbs) {

    PerformanceModel {
        if (!(peakGflops > 0) || !(bandwidthGbs > 0)) {
            throw new IllegalArgumentException("peak and bandwidth must be positive, got " + peakGflops
                    + " GFLOP/s and " + bandwidthGbs + " GB/s");
        }
    }

    double gemmMs(double m, double n, double k) {
        return 2 * m * n * k / (peakGflops * 1e9) * 1e3;
    }

    double bytesMs(double bytes) {
        return bytes / (bandwidthGbs * 1e9) * 1e3;
    }

    /** Forward scan: reads G [T·B, 3H], writes hs [T·B, H]. */
    static double scanForwardBytes(long batch, long steps, long hidden) {
        return 4.0 * batch * steps * (3 * hidden + hidden);
    }

    /** Backward scan: reads G [T·B, 3H], hs and dhs [T·B, H]; writes dG [T·B, 3H]. */
    static double scanBackwardBytes(long batch, long steps, long hidden) {
        return 4.0 * batch * steps * (3 * hidden + hidden + hidden + 3 * hidden);
    }

    /** oLRN forward scan: reads G [T·B, 4H], writes hs and c [T·B, H] each. */
    static double olrnScanForwardBytes(long batch, long steps, long hidden) {
        return 4.0 * batch * steps * (4 * hidden + 2 * hidden);
    }

    /** oLRN backward scan: reads G [T·B, 4H], hs, c and dhs [T·B, H]; writes dG [T·B, 4H]. */
    static double olrnScanBackwardBytes(long batch, long steps, long hidden) {
        return 4.0 * batch * steps * (4 * hidden + 3 * hidden + 4 * hidden);
    }

    /** One LRN layer forward: the gate GEMM [T·B, D]·[D, 3H] plus the forward scan. */
    double lrnForwardMs(long batch, long steps, long input, long hidden) {
        return gemmMs((double) batch * steps, 3.0 * hidden, input) + bytesMs(scanForwardBytes(batch, steps, hidden));
    }

    /**
     * Forward plus backward: the two backward GEMMs (dX = dG·Wᵀ, dW += Xᵀ·dG), the backward scan and the
     * bias gradient (a read of dG).
     */
    double lrnForwardBackwardMs(long batch, long steps, long input, long hidden) {
        double rows = (double) batch * steps;
        return lrnForwardMs(batch, steps, input, hidden) + 2 * gemmMs(rows, 3.0 * hidden, input)
                + bytesMs(scanBackwardBytes(batch, steps, hidden) + 4 * rows * 3 * hidden);
    }

    /**
     * The LSTM peer's forward pass, its GEMMs alone: the input GEMM [T·B, D]·[D, 4H] and T recurrent GEMMs
     * [B, H]·[H, 4H], counted as one [T·B, D + H]·[D + H, 4H]; the gates' elementwise work is left out.
     * For D = H that is 8/3 of the LRN's gate GEMM, and the recurrent part cannot leave the time loop.
     */
    double lstmForwardMs(long batch, long steps, long input, long hidden) {
        return gemmMs((double) batch * steps, 4.0 * hidden, (double) input + hidden);
    }

    /** Forward plus backward of the LSTM peer, GEMMs alone: the forward ones, then one for dX and dh, one for dW and dR. */
    double lstmForwardBackwardMs(long batch, long steps, long input, long hidden) {
        return 3 * lstmForwardMs(batch, steps, input, hidden);
    }
}

package org.lrn4j.cli;

/**
 * The GEMM work of the LMU layers, for their floors in the performance model (DESIGN.md): FLOPs of every
 * matrix product a training step (forward and backward) performs, counted as {@code 2·M·N·K}; the floor is
 * that at the GEMM peak ({@link PerformanceModel#gemmMs}). The elementwise work (activations, the bias sums)
 * is left out: it is a few passes over [T, B, H] and small beside the products at these sizes.
 *
 * <p>Sizes: T steps, B sequences, input D, hidden H, q memory channels of order d.
 */
final class LmuFloors {
    private LmuFloors() {
    }

    /**
     * The original LMU cell ({@link org.lrn4j.lmu.LmuCell}). Forward: the input parts X·e_x and X·W_x over all
     * steps, then per step h·e_h, m·e_m, the memory update m·Āᵀ (per channel, [B·q, d]·[d, d]) and u·B̄ᵀ, h·W_h
     * and m·W_m. Backward per step: dz·W_mᵀ, dm·B̄, dm·Ā, du·e_mᵀ, dz·W_hᵀ, du·e_hᵀ; then the weight gradients
     * over all steps (X, h and m against dz and du) and dX.
     */
    static double originalTrainFlops(long steps, long batch, long input, long hidden, long channels, long order) {
        double m = channels * order;
        double rows = (double) steps * batch;
        double inputParts = 2 * rows * input * (hidden + channels);
        double perStepForward = 2.0 * batch * (hidden * channels + m * channels + channels * order * order
                + channels * order + hidden * hidden + m * hidden);
        double perStepBackward = 2.0 * batch * (m * hidden + channels * order + channels * order * order
                + channels * m + hidden * hidden + hidden * channels);
        double weightGradients = 2 * rows * (input * (hidden + channels) + m * hidden + hidden * hidden
                + hidden * channels + m * channels);
        double inputGradient = 2 * rows * input * (hidden + channels);
        return inputParts + steps * (perStepForward + perStepBackward) + weightGradients + inputGradient;
    }

    /** The GEMMs of one step of the original cell's forward pass (those inside the time loop). */
    static double originalStepForwardFlops(long batch, long hidden, long channels, long order) {
        double m = channels * order;
        return 2.0 * batch * (hidden * channels + m * channels + channels * order * order + channels * order
                + hidden * hidden + m * hidden);
    }

    /**
     * The parallel LMU's GEMMs outside the memory, forward and backward: u = X·Uₓ (and its two backward
     * products), and the output o = m·W_m + x·Wₓ over {@code outRows} rows (T·B for the full sequence, B for
     * the final step only) with its three products each (forward, dW, the input gradients).
     */
    static double parallelDenseFlops(long steps, long batch, long input, long hidden, long channels, long order,
                                     long outRows) {
        double rows = (double) steps * batch;
        return 3 * 2 * rows * input * channels + 3 * 2.0 * outRows * hidden * (input + channels * order);
    }

    /**
     * The memory of all steps by blocks of L steps, forward and adjoint, as the GEMMs run them: per channel and
     * block a [L × L·d] Toeplitz product (its zeros included) and the carry by the powers of Ā, {@code 2·L·d +
     * 2·d²} FLOPs per channel and step, each way.
     */
    static double blockedMemoryFlops(long steps, long batch, long channels, long order, long block) {
        return 2 * (double) batch * channels * steps * (2.0 * block * order + 2.0 * order * order);
    }

    /**
     * The memory by FFTs of length N, the power of two at or above 2T (as the parallel layer runs them),
     * forward and adjoint: per channel one real FFT of u and d inverse ones (2.5·N·log₂N each) and the spectral
     * products (3·d·N), each way.
     */
    static double fftMemoryFlops(long steps, long batch, long channels, long order) {
        double n = Long.highestOneBit(2 * steps - 1) << 1;
        double perChannel = (order + 1) * 2.5 * n * (Math.log(n) / Math.log(2)) + 3.0 * order * n;
        return 2 * (double) batch * channels * perChannel;
    }

    /** The final step's memory alone, forward and adjoint: one [B·q, T]·[T, d] product each way. */
    static double lastStepMemoryFlops(long steps, long batch, long channels, long order) {
        return 2 * 2.0 * batch * channels * steps * order;
    }

    /**
     * Bytes of the memory tensor [T, B, q·d] in FP32 a full-sequence training step moves at least: written by
     * the convolution, read by the output GEMM, its gradient written and read by the adjoint.
     */
    static double memoryBytes(long steps, long batch, long channels, long order) {
        return 4 * 4.0 * steps * batch * channels * order;
    }
}

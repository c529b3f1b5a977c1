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
}

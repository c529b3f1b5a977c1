package org.lrn4j.nn;

import org.lrn4j.backend.Cell;

/**
 * Gated recurrent unit (Cho et al. 2014) in the PyTorch/cuDNN formulation, where the reset gate scales
 * the recurrent part of the candidate after the product with U, as a drop-in replacement of {@link Lrn}:
 * stacked, optionally bidirectional, variable lengths, state in and out.
 *
 * <p>Per layer, direction and step, with gate planes r, z, n:
 * <pre>
 *   [x_r, x_z, x_n] = x·W + b,   [h_r, h_z, h_n] = h₋₁·U
 *   r = σ(x_r + h_r),  z = σ(x_z + h_z),  n = tanh(x_n + r⊙(h_n + b_hn))
 *   h = (1 − z)⊙n + z⊙h₋₁
 * </pre>
 * x·W + b is one GEMM over all steps (both directions); h₋₁·U is a GEMM per step. Parameters per layer:
 * {@code weight} [in, directions·3H], {@code bias} [directions·3H] (PyTorch's b_ir + b_hr, b_iz + b_hz, b_in),
 * {@code recurrent_weight} [H, directions·3H] (each direction's U side by side), {@code recurrent_bias}
 * [directions·H] (b_hn, the only recurrent bias that is not redundant). Biases start at 0.
 *
 * <p>State: h, stateSize H. Outputs at padding, as in {@link Lrn}: the forward direction repeats the state
 * carried from the last token, the reverse direction holds the initial state.
 */
public final class Gru extends StepwiseCellLayer {
    private Gru(Builder b) {
        super(b, Cell.GRU, true, true);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Configuration of a {@link Gru}; see {@link CellLayer.Builder} for the settings and defaults. */
    public static final class Builder extends CellLayer.Builder<Builder, Gru> {
        private Builder() {
        }

        @Override
        Builder self() {
            return this;
        }

        @Override
        Gru create() {
            return new Gru(this);
        }
    }
}

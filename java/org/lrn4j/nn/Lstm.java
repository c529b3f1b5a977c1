package org.lrn4j.nn;

import org.lrn4j.backend.Cell;

/**
 * Long short-term memory (Hochreiter &amp; Schmidhuber 1997, with the forget gate of Gers et al. 2000), the
 * baseline the LRN paper measures speed against, as a drop-in replacement of {@link Lrn}: stacked, optionally
 * bidirectional, variable lengths, state in and out.
 *
 * <p>Per layer, direction and step, in the PyTorch/cuDNN gate order i, f, g, o:
 * <pre>
 *   [a_i, a_f, a_g, a_o] = x·W + b + h₋₁·U
 *   i = σ(a_i),  f = σ(a_f),  g = tanh(a_g),  o = σ(a_o)
 *   c = f⊙c₋₁ + i⊙g,   h = o⊙tanh(c)
 * </pre>
 * x·W + b is one GEMM over all steps (both directions); h₋₁·U is a GEMM per step. Parameters per layer:
 * {@code weight} [in, directions·4H], {@code bias} [directions·4H] (one bias: PyTorch's b_ih + b_hh),
 * {@code recurrent_weight} [H, directions·4H] (each direction's U side by side; the transposes of PyTorch's
 * weight_ih and weight_hh). The forget-gate biases start at 1, the customary choice (Gers et al. 2000;
 * Jozefowicz et al. 2015) that keeps the cell state flowing early in training; the other biases at 0.
 *
 * <p>State: h then c, stateSize 2H; the final state holds both. Outputs at padding, as in {@link Lrn}: the
 * forward direction repeats the state carried from the last token, the reverse direction holds the initial
 * h (its scan has not started).
 */
public final class Lstm extends StepwiseCellLayer {
    private Lstm(Builder b) {
        super(b, Cell.LSTM, true, false);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Configuration of an {@link Lstm}; see {@link CellLayer.Builder} for the settings and defaults. */
    public static final class Builder extends CellLayer.Builder<Builder, Lstm> {
        private Builder() {
        }

        @Override
        Builder self() {
            return this;
        }

        @Override
        Lstm create() {
            return new Lstm(this);
        }
    }
}

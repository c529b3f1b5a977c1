package org.lrn4j.nn;

import org.lrn4j.backend.Cell;

/**
 * The addition-subtraction twin-gated recurrent network (ATR; Zhang, Xiong, Su, Lin and Zhang, "Simplifying
 * Neural Machine Translation with Addition-Subtraction Twin-Gated Recurrent Networks", EMNLP 2018), the LRN
 * authors' earlier cell, as a drop-in replacement of {@link Lrn}: stacked, optionally bidirectional, variable
 * lengths, state in and out.
 *
 * <p>Per layer, direction and step:
 * <pre>
 *   p = x·W,   q = h₋₁·U + b
 *   i = σ(p + q),  f = σ(p − q)
 *   h = i⊙p + f⊙h₋₁
 * </pre>
 * The paper writes p = W_h x_t and q = U_h h_{t−1} without biases; the bias of q follows the authors'
 * implementation (rnns/atr.py of their Zero toolkit, github.com/bzhangGo/zero, where the input projection
 * has no bias and the recurrent one has). x·W is one GEMM over all steps (both directions); h₋₁·U is a GEMM
 * per step. Parameters per layer: {@code weight} [in, directions·H], {@code recurrent_weight}
 * [H, directions·H] (each direction's U side by side), {@code recurrent_bias} [directions·H], starting at 0.
 *
 * <p>State: h, stateSize H. Outputs at padding, as in {@link Lrn}: the forward direction repeats the state
 * carried from the last token, the reverse direction holds the initial state.
 */
public final class Atr extends StepwiseCellLayer {
    private Atr(Builder b) {
        super(b, Cell.ATR, false, true);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Configuration of an {@link Atr}; see {@link CellLayer.Builder} for the settings and defaults. */
    public static final class Builder extends CellLayer.Builder<Builder, Atr> {
        private Builder() {
        }

        @Override
        Builder self() {
            return this;
        }

        @Override
        Atr create() {
            return new Atr(this);
        }
    }
}

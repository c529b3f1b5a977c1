package org.lrn4j.nn;

import java.util.Objects;

import org.lrn4j.backend.Activation;
import org.lrn4j.tensor.Tensor;

/**
 * Simple recurrent unit (SRU; Lei, Zhang, Wang, Dai and Artzi, "Simple Recurrent Units for Highly
 * Parallelizable Recurrence", EMNLP 2018), as a drop-in replacement of {@link Lrn}: stacked, optionally
 * bidirectional, variable lengths, state in and out.
 *
 * <p>Per layer, direction and step:
 * <pre>
 *   [x̃, x_f, x_r (, x')] = x·W
 *   f = σ(x_f + v_f⊙c₋₁ + b_f),   r = σ(x_r + v_r⊙c₋₁ + b_r)
 *   c = f⊙c₋₁ + (1 − f)⊙x̃
 *   h = r⊙g(c) + (1 − r)⊙x'
 * </pre>
 * g is the identity, the paper's form, or tanh ({@link Builder#activation}). The highway input x' is x
 * itself when the layer's input is H wide; otherwise a fourth projection x·W' (as in the authors'
 * implementation, github.com/asappresearch/sru). So the first layer projects when inputSize ≠ hiddenSize,
 * and every layer above it projects when the layer is bidirectional (its input is 2H wide).
 *
 * <p>x·W is one GEMM over all steps (both directions, no bias: the biases act inside the gates). The
 * recurrence touches each unit alone (v_f, v_r are vectors), so like LRN's it is a scan: one kernel over
 * time, parallel over (batch, unit). The gradients of v are summed per sequence by the scan and then over
 * the batch by the column-sum kernel, deterministically. Parameters per layer: {@code weight}
 * [in, directions·K·H] with K = 3 or 4 planes per direction, {@code v} [directions·2H] (v_f, v_r per
 * direction; they start uniform in ±initScale), {@code bias} [directions·2H] (b_f, b_r; they start at 0).
 *
 * <p>State: the cell state c, stateSize H. Outputs at padding are 0: the output is not the state, and no
 * step is computed there; gradients that arrive at padding outputs are ignored.
 */
public final class Sru extends CellLayer {
    private final Activation activation;
    private final Parameter[] weight;
    private final Parameter[] v;
    private final Parameter[] bias;

    private Sru(Builder b) {
        super(b);
        this.activation = b.activation;
        weight = new Parameter[layers];
        v = new Parameter[layers];
        bias = new Parameter[layers];
        for (int l = 0; l < layers; l++) {
            int in = layerInput(l);
            int width = gateWidth(l);
            weight[l] = parameter("layer" + l + ".weight", weights(in, width), in, width);
            v[l] = parameter("layer" + l + ".v", uniform(directions * 2 * hiddenSize, initScale()),
                    (long) directions * 2 * hiddenSize);
            bias[l] = parameter("layer" + l + ".bias", new double[directions * 2 * hiddenSize],
                    (long) directions * 2 * hiddenSize);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Configuration of an {@link Sru}: the settings of {@link CellLayer.Builder} and g. */
    public static final class Builder extends CellLayer.Builder<Builder, Sru> {
        private Activation activation = Activation.IDENTITY;

        private Builder() {
        }

        /** g of the output (default identity, as in the paper). */
        public Builder activation(Activation activation) {
            this.activation = Objects.requireNonNull(activation, "activation");
            return this;
        }

        @Override
        Builder self() {
            return this;
        }

        @Override
        Sru create() {
            return new Sru(this);
        }
    }

    public Activation activation() {
        return activation;
    }

    /** The cell state c alone: hiddenSize. */
    @Override
    public int stateSize() {
        return hiddenSize;
    }

    /** Gate planes per direction: x̃, f, r, and the highway projection x' unless the input is H wide. */
    private int planes(int layer) {
        return layerInput(layer) == hiddenSize ? 3 : 4;
    }

    @Override
    int gateWidth(int layer) {
        return directions * planes(layer) * hiddenSize;
    }

    @Override
    boolean keepsRecurrentGates() {
        return false;
    }

    @Override
    boolean keepsCellStates() {
        return true;
    }

    @Override
    boolean needsRecurrentGradient() {
        return false;
    }

    @Override
    boolean needsPartialSums() {
        return true;
    }

    @Override
    void forwardLayer(int l, LayerCache c, Result r) {
        int steps = r.steps;
        int batch = r.batch;
        int hidden = hiddenSize;
        int in = layerInput(l);
        int k = planes(l);
        int width = gateWidth(l);
        int outWidth = outputSize();
        backend.gemm(false, false, steps * batch, width, in, c.input, 0, in, weight[l].value(), 0, width, null, false,
                c.gates, 0, width);
        for (int d = 0; d < directions; d++) {
            long stateAt = (long) (l * directions + d) * batch * hidden;
            backend.sruScanForward(steps, batch, hidden, k, c.gates, (long) d * k * hidden, width,
                    k == 3 ? c.input : null, 0, in, v[l].value(), 2L * d * hidden, bias[l].value(), 2L * d * hidden,
                    r.initialState, stateAt, r.lengths, activation, d == 1, c.output, (long) d * hidden, outWidth,
                    c.cells, (long) d * hidden, outWidth, r.finalState, stateAt);
        }
    }

    @Override
    void backwardLayer(int l, LayerCache c, Result r, Tensor dOut, Tensor dFinalState, Gradients g, Tensor dIn) {
        int steps = r.steps;
        int batch = r.batch;
        int rows = steps * batch;
        int hidden = hiddenSize;
        int in = layerInput(l);
        int k = planes(l);
        int width = gateWidth(l);
        int outWidth = outputSize();
        if (k == 3) {
            zero(dIn, 0, rows, in, in);  // the scans add the highway gradient into it
        }
        for (int d = 0; d < directions; d++) {
            long stateAt = (long) (l * directions + d) * batch * hidden;
            long gateAt = (long) d * k * hidden;
            backend.sruScanBackward(steps, batch, hidden, k, c.gates, gateAt, width, k == 3 ? c.input : null, 0, in,
                    v[l].value(), 2L * d * hidden, bias[l].value(), 2L * d * hidden, r.initialState, stateAt,
                    r.lengths, activation, d == 1, c.cells, (long) d * hidden, outWidth, dOut, (long) d * hidden,
                    outWidth, dFinalState, stateAt, g.dGates, gateAt, width, k == 3 ? dIn : null, 0, in, g.partial, 0,
                    g.initialState, stateAt);
            backend.colSum(batch, 2 * hidden, g.partial, 0, 2 * hidden, true, v[l].grad(), 2L * d * hidden);
            // b_f, b_r enter beside x_f, x_r: their gradient is the column sum of those planes
            backend.colSum(rows, 2 * hidden, g.dGates, gateAt + hidden, width, true, bias[l].grad(), 2L * d * hidden);
        }
        backend.gemm(true, false, in, width, rows, c.input, 0, in, g.dGates, 0, width, null, true, weight[l].grad(),
                0, width);
        backend.gemm(false, true, rows, in, width, g.dGates, 0, width, weight[l].value(), 0, width, null, k == 3, dIn,
                0, in);
    }

    @Override
    public String toString() {
        return "Sru(" + inputSize + " -> " + hiddenSize + ", layers=" + layers + ", directions=" + directions
                + ", g=" + activation + ", " + dtype + " on " + backend.name() + ")";
    }
}

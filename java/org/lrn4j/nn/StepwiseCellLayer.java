package org.lrn4j.nn;

import java.util.Arrays;

import org.lrn4j.backend.Cell;
import org.lrn4j.tensor.Tensor;

/**
 * The cells whose recurrence goes through a matrix product, h₋₁·U ({@link Lstm}, {@link Gru}, {@link Atr}):
 * the recurrent GEMM cannot leave the time loop, so each step is a GEMM followed by the pointwise step kernel
 * of the cell ({@link org.lrn4j.backend.Backend#cellStepForward}). The whole time loop of one direction is
 * one backend call ({@link org.lrn4j.backend.Backend#cellForward}, {@link org.lrn4j.backend.Backend#cellBackward}):
 * the native backend runs it without coming back to the JVM and without waking its threads at every step.
 *
 * <p>Per layer: {@code gx = X·W (+ b)} for all steps and both directions in one GEMM, kept as
 * [T, B, directions·G·H] (G gate planes of H units per direction); per direction and step t, in processing
 * order, {@code gh_t = h_prev·U_d} into [T, B, directions·G·H] (kept too, so that the backward pass
 * recomputes the gates instead of storing them), then the step kernel writes h (the layer output) and, for
 * the LSTM, c. h_prev is the output row of the step processed before, or the initial state.
 *
 * <p>Backward, per direction in reverse processing order: the step kernel turns the state gradient
 * carried from later steps (kept in the initial-state gradient itself, which it ends as) plus the output
 * gradient into dgx and dgh, and the GEMM {@code carry += dgh·U_dᵀ} completes the gradient w.r.t. h_prev.
 * The recurrent weights' gradient is then one GEMM over all steps, {@code dU_d += H_prevᵀ·dgh}, where
 * H_prev is the output shifted by one step (plus the initial state for the first step); inactive steps have
 * dgh = 0 and add nothing. Then, as for LRN, {@code db = Σ dgx}, {@code dW += Xᵀ·dgx}, {@code dX = dgx·Wᵀ}.
 */
abstract sealed class StepwiseCellLayer extends CellLayer permits Lstm, Gru, Atr {
    final Cell cell;
    /** [in, directions·G·H]. */
    final Parameter[] weight;
    /** [directions·G·H], or null entries for a cell without an input-side bias (ATR). */
    final Parameter[] bias;
    /** [H, directions·G·H]: U of each direction side by side. */
    final Parameter[] recurrentWeight;
    /** [directions·H]: the bias of GRU's n and ATR's q, or null entries (LSTM). */
    final Parameter[] recurrentBias;

    StepwiseCellLayer(Builder<?, ?> b, Cell cell, boolean inputBias, boolean hasRecurrentBias) {
        super(b);
        this.cell = cell;
        weight = new Parameter[layers];
        bias = new Parameter[layers];
        recurrentWeight = new Parameter[layers];
        recurrentBias = new Parameter[layers];
        int width = directions * cell.planes() * hiddenSize;
        for (int l = 0; l < layers; l++) {
            int in = layerInput(l);
            weight[l] = parameter("layer" + l + ".weight", weights(in, width), in, width);
            if (inputBias) {
                double[] initial = new double[width];
                if (cell == Cell.LSTM) {
                    // forget gates (plane 1 of each direction) start open: f = σ(1)
                    for (int d = 0; d < directions; d++) {
                        Arrays.fill(initial, (d * 4 + 1) * hiddenSize, (d * 4 + 2) * hiddenSize, 1.0);
                    }
                }
                bias[l] = parameter("layer" + l + ".bias", initial, width);
            }
            recurrentWeight[l] = parameter("layer" + l + ".recurrent_weight", weights(hiddenSize, width), hiddenSize,
                    width);
            if (hasRecurrentBias) {
                recurrentBias[l] = parameter("layer" + l + ".recurrent_bias", new double[directions * hiddenSize],
                        (long) directions * hiddenSize);
            }
        }
    }

    /** hiddenSize, or 2·hiddenSize for the LSTM (h, then c). */
    @Override
    public int stateSize() {
        return cell.hasCellState() ? 2 * hiddenSize : hiddenSize;
    }

    @Override
    final int gateWidth(int layer) {
        return directions * cell.planes() * hiddenSize;
    }

    @Override
    final boolean keepsRecurrentGates() {
        return true;
    }

    @Override
    final boolean keepsCellStates() {
        return cell.hasCellState();
    }

    @Override
    final boolean needsRecurrentGradient() {
        return !cell.hasCellState();
    }

    @Override
    final boolean needsPartialSums() {
        return false;
    }

    /** The step processed at position s (0 = first) of direction d. */
    private static int stepAt(int s, int steps, int d) {
        return d == 0 ? s : steps - 1 - s;
    }

    @Override
    final void forwardLayer(int l, LayerCache c, Result r) {
        int steps = r.steps;
        int batch = r.batch;
        int hidden = hiddenSize;
        int in = layerInput(l);
        int width = gateWidth(l);
        int planes = cell.planes() * hidden;
        int outWidth = outputSize();
        int state = stateSize();
        boolean lstm = cell.hasCellState();
        Tensor b = bias[l] == null ? null : bias[l].value();
        Tensor u = recurrentWeight[l].value();
        Tensor bh = recurrentBias[l] == null ? null : recurrentBias[l].value();
        backend.gemm(false, false, steps * batch, width, in, c.input, 0, in, weight[l].value(), 0, width, b, false,
                c.gates, 0, width);
        Tensor h0 = r.initialState;
        for (int d = 0; d < directions; d++) {
            long stateAt = (long) (l * directions + d) * batch * state;
            backend.cellForward(cell, steps, batch, hidden, r.lengths, d == 1, c.gates, (long) d * planes, width, u,
                    (long) d * planes, width, bh, (long) d * hidden, h0, stateAt, state, lstm ? h0 : null,
                    stateAt + hidden, state, c.recurrent, (long) d * planes, width, c.output, (long) d * hidden,
                    outWidth, lstm ? c.cells : null, (long) d * hidden, outWidth, r.finalState, stateAt, state);
        }
    }

    /** The state-gradient carries live in the initial-state gradient: they start as dFinalState (or 0). */
    @Override
    final void startBackward(Gradients g, Tensor dFinalState) {
        if (dFinalState != null) {
            g.initialState.copyFrom(dFinalState);
        } else {
            zero(g.initialState, 0, layers * directions * g.batch, stateSize(), stateSize());
        }
    }

    @Override
    final void backwardLayer(int l, LayerCache c, Result r, Tensor dOut, Tensor dFinalState, Gradients g,
                             Tensor dIn) {
        int steps = r.steps;
        int batch = r.batch;
        int rows = steps * batch;
        int hidden = hiddenSize;
        int in = layerInput(l);
        int width = gateWidth(l);
        int planes = cell.planes() * hidden;
        int outWidth = outputSize();
        int state = stateSize();
        boolean lstm = cell.hasCellState();
        Tensor u = recurrentWeight[l].value();
        Tensor bh = recurrentBias[l] == null ? null : recurrentBias[l].value();
        // The LSTM's gradient w.r.t. gh is its gradient w.r.t. gx: the gates are gx + gh.
        Tensor dR = lstm ? g.dGates : g.dRecurrent;
        Tensor h0 = r.initialState;
        for (int d = 0; d < directions; d++) {
            long stateAt = (long) (l * directions + d) * batch * state;
            backend.cellBackward(cell, steps, batch, hidden, r.lengths, d == 1, c.gates, (long) d * planes, width,
                    c.recurrent, (long) d * planes, width, u, (long) d * planes, width, bh, (long) d * hidden, h0,
                    stateAt, state, lstm ? h0 : null, stateAt + hidden, state, c.output, (long) d * hidden, outWidth,
                    lstm ? c.cells : null, (long) d * hidden, outWidth, dOut, (long) d * hidden, outWidth,
                    g.initialState, stateAt, state, lstm ? g.initialState : null, stateAt + hidden, state, g.dGates,
                    (long) d * planes, width, lstm ? null : g.dRecurrent, (long) d * planes, width);
            // dU_d += H_prevᵀ·dgh over all steps: the outputs shifted by one step, then the initial state
            Tensor dU = recurrentWeight[l].grad();
            if (steps > 1) {
                long prevRows = d == 0 ? 0 : (long) batch * outWidth;
                long gradRows = d == 0 ? (long) batch * width : 0;
                backend.gemm(true, false, hidden, planes, (steps - 1) * batch, c.output, prevRows + (long) d * hidden,
                        outWidth, dR, gradRows + (long) d * planes, width, null, true, dU, (long) d * planes, width);
            }
            if (r.initialState != null) {
                long firstAt = (long) stepAt(0, steps, d) * batch * width + (long) d * planes;
                backend.gemm(true, false, hidden, planes, batch, r.initialState, stateAt, state, dR, firstAt, width,
                        null, true, dU, (long) d * planes, width);
            }
            if (recurrentBias[l] != null) {
                // the bias sits in gh's last plane (GRU's n, ATR's only one)
                backend.colSum(rows, hidden, g.dRecurrent, (long) d * planes + planes - hidden, width, true,
                        recurrentBias[l].grad(), (long) d * hidden);
            }
        }
        if (bias[l] != null) {
            backend.colSum(rows, width, g.dGates, 0, width, true, bias[l].grad());
        }
        backend.gemm(true, false, in, width, rows, c.input, 0, in, g.dGates, 0, width, null, true, weight[l].grad(),
                0, width);
        backend.gemm(false, true, rows, in, width, g.dGates, 0, width, weight[l].value(), 0, width, null, false, dIn,
                0, in);
    }
}

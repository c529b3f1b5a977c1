package org.lrn4j.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

import org.lrn4j.backend.Activation;
import org.lrn4j.backend.Backend;
import org.lrn4j.backend.Backends;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Device;
import org.lrn4j.tensor.Tensor;

/**
 * The Lightweight Recurrent Network (LRN) layer, stacked and optionally bidirectional.
 *
 * <p>Per layer and direction: {@code [q, k, v] = x·[Wq Wk Wv] + b} for the whole sequence in one fused
 * GEMM (with layer normalization, {@code γ ⊙ LN(x·W) + b}, each of q, k, v normalized on its own), then
 * the scan {@code i = σ(k + h₋₁)}, {@code f = σ(q − h₋₁)}, {@code h = g(i⊙v + f⊙h₋₁)}, g = tanh or identity.
 * A bidirectional layer runs both directions off one GEMM ({@code W = [W_fwd | W_bwd]}) and concatenates
 * their states, forward first; the next layer reads that.
 *
 * <p>oLRN ({@link Builder#outputGate}): a fourth projection p = x·Wo + b_o joins the fused GEMM
 * ({@code [q, k, v, p]} per direction, each normalized on its own with layer norm), and the scan becomes
 * {@code c = g(i⊙v + f⊙h₋₁)}, {@code o = σ(p − c)}, {@code h = o⊙c}; the state is still h alone. The forward
 * pass keeps c of every step for the backward pass, which recomputes i, f and o. The unfolded form
 * ({@link #unfoldedWeights}) exists only for plain LRN.
 *
 * <p>Shapes: input {@code [T, B, inputSize]}; output {@code [T, B, directions·hiddenSize]}; initial and
 * final states {@code [layers·directions, B, hiddenSize]} (index {@code layer·directions + direction}).
 *
 * <p>Variable lengths: sequence b has {@code lengths[b]} tokens (1..T), the rest is padding. In the
 * forward direction the state after the last token is carried through the padding: outputs there repeat
 * it, and the final state is the state after the last token. The reverse direction starts at each
 * sequence's own last token from the initial state; its outputs at the padding hold that initial state,
 * and its final state is the state after token 0. Gradients that arrive at padding outputs flow into the
 * carried state.
 *
 * <p>Streaming: feeding a sequence in chunks, each chunk's initial state the previous chunk's final state,
 * gives exactly the result of feeding it whole (unidirectional layers).
 */
public final class Lrn implements Recurrent {
    private final Backend backend;
    private final DType dtype;
    private final int inputSize;
    private final int hiddenSize;
    private final int layers;
    private final int directions;
    private final Activation activation;
    private final boolean layerNorm;
    private final double layerNormEps;
    private final boolean outputGate;
    private final List<Parameter> parameters;
    private final Parameter[] weight;
    private final Parameter[] bias;
    private final Parameter[] gain;
    private final Workspace workspace;

    private Lrn(Builder b) {
        this.backend = b.backend == null ? Backends.get() : b.backend;
        this.workspace = new Workspace(backend);
        this.dtype = b.dtype;
        this.inputSize = b.inputSize;
        this.hiddenSize = b.hiddenSize;
        this.layers = b.layers;
        this.directions = b.bidirectional ? 2 : 1;
        this.activation = b.activation;
        this.layerNorm = b.layerNorm;
        this.layerNormEps = b.layerNormEps;
        this.outputGate = b.outputGate;
        if (!backend.supports(dtype)) {
            throw new IllegalArgumentException("the " + backend.name() + " backend does not compute " + dtype);
        }
        this.weight = new Parameter[layers];
        this.bias = new Parameter[layers];
        this.gain = new Parameter[layers];
        List<Parameter> all = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(b.seed);
        int width = gateWidth();
        for (int l = 0; l < layers; l++) {
            int in = layerInput(l);
            double bound = b.init == Init.XAVIER ? Math.sqrt(6.0 / (in + hiddenSize)) : b.initScale;
            double[] w = new double[in * width];
            for (int i = 0; i < w.length; i++) {
                w[i] = (rng.nextDouble() * 2 - 1) * bound;
            }
            weight[l] = parameter("layer" + l + ".weight", w, in, width);
            bias[l] = parameter("layer" + l + ".bias", new double[width], width);
            all.add(weight[l]);
            all.add(bias[l]);
            if (layerNorm) {
                double[] ones = new double[width];
                Arrays.fill(ones, 1.0);
                gain[l] = parameter("layer" + l + ".ln_gain", ones, width);
                all.add(gain[l]);
            }
        }
        this.parameters = Collections.unmodifiableList(all);
    }

    private Parameter parameter(String name, double[] values, long... shape) {
        try (Tensor host = Tensor.host(dtype, shape)) {
            host.write(0, values, 0, values.length);
            return new Parameter(name, backend.copyOf(host), backend.allocate(dtype, shape));
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Configuration of an {@link Lrn}. */
    public static final class Builder {
        private Backend backend;
        private DType dtype = DType.FLOAT32;
        private int inputSize = -1;
        private int hiddenSize = -1;
        private int layers = 1;
        private boolean bidirectional;
        private Activation activation = Activation.TANH;
        private boolean layerNorm;
        private double layerNormEps = 1e-5;
        private boolean outputGate;
        private Init init = Init.UNIFORM;
        private double initScale = 0.08;
        private long seed = 1234;

        private Builder() {
        }

        /** Backend to compute on (default: {@link Backends#get()}). */
        public Builder backend(Backend backend) {
            this.backend = Objects.requireNonNull(backend, "backend");
            return this;
        }

        /** FLOAT32 (default) or FLOAT64 (reference backends only; used for gradient checks). */
        public Builder dtype(DType dtype) {
            this.dtype = Objects.requireNonNull(dtype, "dtype");
            return this;
        }

        public Builder inputSize(int inputSize) {
            this.inputSize = inputSize;
            return this;
        }

        public Builder hiddenSize(int hiddenSize) {
            this.hiddenSize = hiddenSize;
            return this;
        }

        /** Stacked layers (default 1). */
        public Builder layers(int layers) {
            this.layers = layers;
            return this;
        }

        public Builder bidirectional(boolean bidirectional) {
            this.bidirectional = bidirectional;
            return this;
        }

        /** g of the state update (default tanh). */
        public Builder activation(Activation activation) {
            this.activation = Objects.requireNonNull(activation, "activation");
            return this;
        }

        /** Layer normalization of x·W before the bias (default off). */
        public Builder layerNorm(boolean layerNorm) {
            this.layerNorm = layerNorm;
            return this;
        }

        public Builder layerNormEps(double eps) {
            this.layerNormEps = eps;
            return this;
        }

        /** oLRN: an output gate {@code h = σ(x·Wo + b_o − c)⊙c} on the LRN state update c (default off). */
        public Builder outputGate(boolean outputGate) {
            this.outputGate = outputGate;
            return this;
        }

        public Builder init(Init init) {
            this.init = Objects.requireNonNull(init, "init");
            return this;
        }

        /** Bound of {@link Init#UNIFORM} (default 0.08). */
        public Builder initScale(double scale) {
            this.initScale = scale;
            return this;
        }

        /** Seed of the weight initialisation (default 1234): the same seed gives the same weights. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Lrn build() {
            if (inputSize < 1) {
                throw new IllegalArgumentException("inputSize must be >= 1, got " + inputSize);
            }
            if (hiddenSize < 1) {
                throw new IllegalArgumentException("hiddenSize must be >= 1, got " + hiddenSize);
            }
            if (layers < 1) {
                throw new IllegalArgumentException("layers must be >= 1, got " + layers);
            }
            if (!(layerNormEps > 0) || Double.isInfinite(layerNormEps)) {
                throw new IllegalArgumentException("layerNormEps must be positive and finite, got " + layerNormEps);
            }
            if (!(initScale > 0) || Double.isInfinite(initScale)) {
                throw new IllegalArgumentException("initScale must be positive and finite, got " + initScale);
            }
            return new Lrn(this);
        }
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public int inputSize() {
        return inputSize;
    }

    @Override
    public int hiddenSize() {
        return hiddenSize;
    }

    @Override
    public int layers() {
        return layers;
    }

    @Override
    public int directions() {
        return directions;
    }

    public Activation activation() {
        return activation;
    }

    public boolean layerNorm() {
        return layerNorm;
    }

    /** Whether this is an oLRN: an output gate on the state update. */
    public boolean outputGate() {
        return outputGate;
    }

    /** The state of a (layer, direction, sequence) is h alone: hiddenSize. */
    @Override
    public int stateSize() {
        return hiddenSize;
    }

    @Override
    public int outputSize() {
        return directions * hiddenSize;
    }

    /**
     * All parameters, in a fixed order: per layer weight [in, directions·P·H], bias, and LN gain if any, with
     * P gate planes per direction: q, k, v and, for an oLRN, the output gate's p.
     */
    @Override
    public List<Parameter> parameters() {
        return parameters;
    }

    /** Sets every parameter gradient to zero. */
    @Override
    public void zeroGrad() {
        for (Parameter p : parameters) {
            p.zeroGrad();
        }
    }

    /** Gate planes per direction: q, k, v, and p for the output gate. */
    private int planes() {
        return outputGate ? 4 : 3;
    }

    private int gateWidth() {
        return directions * planes() * hiddenSize;
    }

    private int layerInput(int layer) {
        return layer == 0 ? inputSize : directions * hiddenSize;
    }

    // ---- forward -----------------------------------------------------------------------------------

    /** What one layer's forward pass keeps for the backward pass. */
    private static final class LayerCache {
        Tensor input;
        Tensor preNorm;
        Tensor mean;
        Tensor rstd;
        Tensor gates;
        Tensor output;
        /** c of every step, [T, B, directions·H]: oLRN only, read by its backward scan. */
        Tensor cells;
    }

    /**
     * The result of {@link #forward}: output and final state, plus what the backward pass needs.
     * Owns its tensors (not the input or initial state passed in, which must stay open until backward).
     * Passing it back to {@link #forward(Tensor, int[], Tensor, Result)} overwrites it in place.
     */
    public final class Result implements Recurrent.Result {
        private final int steps;
        private final int batch;
        private final LayerCache[] caches;
        private final Tensor finalState;
        private Tensor initialState;
        /** What the scan kernels read: {@link #lengthStorage} when the call had lengths, else null. */
        private Tensor lengths;
        /** [B] INT32 on the backend, made on the first call with lengths and kept for reuse. */
        private Tensor lengthStorage;
        /** [B] INT32 on the host, the staging copy when the backend's memory is not host memory. */
        private Tensor lengthStaging;
        private boolean closed;

        private Result(int steps, int batch, LayerCache[] caches, Tensor finalState) {
            this.steps = steps;
            this.batch = batch;
            this.caches = caches;
            this.finalState = finalState;
        }

        /** [T, B, directions·H]. */
        @Override
        public Tensor output() {
            checkOpen();
            return caches[layers - 1].output;
        }

        /** [layers·directions, B, H]: the state after each sequence's last processed token. */
        @Override
        public Tensor finalState() {
            checkOpen();
            return finalState;
        }

        /**
         * The gates G = [q, k, v] (oLRN: [q, k, v, p]) of one layer, [T, B, directions·3H] (oLRN: 4H), after
         * layer normalization.
         */
        public Tensor gates(int layer) {
            checkOpen();
            return caches[Objects.checkIndex(layer, layers)].gates;
        }

        /** The output of one layer, [T, B, directions·H]. */
        public Tensor layerOutput(int layer) {
            checkOpen();
            return caches[Objects.checkIndex(layer, layers)].output;
        }

        @Override
        public int steps() {
            return steps;
        }

        @Override
        public int batch() {
            return batch;
        }

        private Lrn owner() {
            return Lrn.this;
        }

        private void checkOpen() {
            if (closed) {
                throw new IllegalStateException("this forward result was closed");
            }
        }

        /** Points the kernels at {@code values} (already validated), written into storage kept across calls. */
        private void setLengths(int[] values) {
            if (values == null) {
                lengths = null;
                return;
            }
            if (lengthStorage == null) {
                lengthStorage = backend.allocate(DType.INT32, batch);
                if (lengthStorage.device() != Device.HOST) {
                    lengthStaging = Tensor.host(DType.INT32, batch);
                }
            }
            Tensor host = lengthStaging == null ? lengthStorage : lengthStaging;
            host.writeInts(0, values, 0, batch);
            if (lengthStaging != null) {
                lengthStorage.copyFrom(lengthStaging);
            }
            lengths = lengthStorage;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            for (LayerCache c : caches) {
                workspace.give(c.preNorm);
                workspace.give(c.mean);
                workspace.give(c.rstd);
                workspace.give(c.gates);
                workspace.give(c.output);
                workspace.give(c.cells);
            }
            workspace.give(finalState);
            if (lengthStorage != null) {
                lengthStorage.close();
            }
            if (lengthStaging != null) {
                lengthStaging.close();
            }
        }
    }

    /**
     * Runs the layer over a batch of sequences.
     *
     * @param x       input [T, B, inputSize] on this layer's backend, of its dtype
     * @param lengths tokens of each sequence, B values in [1, T], or null when all have T
     * @param h0      initial state [layers·directions, B, H], or null for zeros
     */
    public Result forward(Tensor x, int[] lengths, Tensor h0) {
        return forward(x, lengths, h0, null);
    }

    /**
     * Runs the layer over a batch of sequences, writing into {@code reuse} when it is given: an open
     * result of an earlier call of this layer with the same T and B, whose contents are overwritten and
     * which is returned. With a reused result the call allocates nothing on the Java heap (the steady
     * state of a training or serving loop). With null, a new result is made from the layer's workspace.
     *
     * @param x       input [T, B, inputSize] on this layer's backend, of its dtype
     * @param lengths tokens of each sequence, B values in [1, T], or null when all have T
     * @param h0      initial state [layers·directions, B, H], or null for zeros
     * @param reuse   a result to overwrite, or null
     */
    @Override
    public Result forward(Tensor x, int[] lengths, Tensor h0, Recurrent.Result reuse) {
        checkInput("x", x, -1, -1, inputSize);
        int steps = (int) x.dim(0);
        int batch = (int) x.dim(1);
        if (steps < 1 || batch < 1) {
            throw new IllegalArgumentException("x must have at least one step and one sequence, got " + x.describe());
        }
        if (h0 != null) {
            checkInput("h0", h0, layers * directions, batch, hiddenSize);
        }
        checkLengths(lengths, steps, batch);
        Result old = reuse == null ? null : checkResult(reuse);
        if (old != null && (old.steps != steps || old.batch != batch)) {
            throw new IllegalArgumentException("the result to reuse holds " + old.steps + " steps of "
                    + old.batch + " sequences, but x has " + steps + " steps of " + batch);
        }
        checkParametersOpen();
        Result r = old != null ? old : newResult(steps, batch);
        r.initialState = h0;
        r.setLengths(lengths);
        int rows = steps * batch;
        int width = gateWidth();
        int planes = planes();
        int hidden = hiddenSize;
        int outWidth = outputSize();
        long stateStride = (long) batch * hidden;
        Tensor input = x;
        for (int l = 0; l < layers; l++) {
            int in = layerInput(l);
            LayerCache c = r.caches[l];
            c.input = input;
            if (layerNorm) {
                backend.gemm(false, false, rows, width, in, input, 0, in, weight[l].value(), 0, width,
                        null, false, c.preNorm, 0, width);
                backend.layerNormForward(rows, directions * planes, hidden, c.preNorm, 0, width,
                        gain[l].value(), bias[l].value(), layerNormEps, c.gates, 0, width, c.mean, c.rstd);
            } else {
                backend.gemm(false, false, rows, width, in, input, 0, in, weight[l].value(), 0, width,
                        bias[l].value(), false, c.gates, 0, width);
            }
            for (int d = 0; d < directions; d++) {
                long state = (l * directions + d) * stateStride;
                long gates = (long) d * planes * hidden;
                long out = (long) d * hidden;
                if (outputGate) {
                    backend.olrnScanForward(steps, batch, hidden, c.gates, gates, width, h0, state, r.lengths,
                            activation, d == 1, c.output, out, outWidth, c.cells, out, outWidth, r.finalState, state);
                } else {
                    backend.lrnScanForward(steps, batch, hidden, c.gates, gates, width, h0, state, r.lengths,
                            activation, d == 1, c.output, out, outWidth, r.finalState, state);
                }
            }
            input = c.output;
        }
        return r;
    }

    private Result newResult(int steps, int batch) {
        int rows = steps * batch;
        int width = gateWidth();
        LayerCache[] caches = new LayerCache[layers];
        for (int l = 0; l < layers; l++) {
            LayerCache c = new LayerCache();
            caches[l] = c;
            c.gates = workspace.take(dtype, steps, batch, width);
            if (layerNorm) {
                c.preNorm = workspace.take(dtype, steps, batch, width);
                c.mean = workspace.take(dtype, rows, (long) directions * planes());
                c.rstd = workspace.take(dtype, rows, (long) directions * planes());
            }
            c.output = workspace.take(dtype, steps, batch, outputSize());
            if (outputGate) {
                c.cells = workspace.take(dtype, steps, batch, outputSize());
            }
        }
        return new Result(steps, batch, caches, workspace.take(dtype, (long) layers * directions, batch, hiddenSize));
    }

    private static void checkLengths(int[] lengths, int steps, int batch) {
        if (lengths == null) {
            return;
        }
        if (lengths.length != batch) {
            throw new IllegalArgumentException("lengths has " + lengths.length + " entries for a batch of " + batch);
        }
        for (int b = 0; b < batch; b++) {
            if (lengths[b] < 1 || lengths[b] > steps) {
                throw new IllegalArgumentException("lengths[" + b + "] = " + lengths[b] + " is outside [1, " + steps + "]");
            }
        }
    }

    /** Checks a rank-3 tensor of this layer's dtype and device; -1 leaves a dimension free. */
    private void checkInput(String what, Tensor t, long d0, long d1, long d2) {
        Tensor.require(t, what);
        if (t.rank() != 3 || (d0 >= 0 && t.dim(0) != d0) || (d1 >= 0 && t.dim(1) != d1) || t.dim(2) != d2) {
            throw new IllegalArgumentException(what + " must have shape [" + (d0 < 0 ? "T" : d0) + ", "
                    + (d1 < 0 ? "B" : d1) + ", " + d2 + "], got " + t.describe());
        }
        if (t.dtype() != dtype) {
            throw new IllegalArgumentException(what + " is " + t.dtype() + " but the layer computes " + dtype);
        }
        if (t.device() != backend.device()) {
            throw new IllegalArgumentException(what + " is on " + t.device() + " but the layer's " + backend.name()
                    + " backend computes on " + backend.device() + "; copy it first");
        }
    }

    private Result checkResult(Recurrent.Result result) {
        if (result == null) {
            throw new IllegalArgumentException("result must not be null");
        }
        if (!(result instanceof Result r) || r.owner() != this) {
            throw new IllegalArgumentException("the forward result belongs to another layer");
        }
        r.checkOpen();
        return r;
    }

    private void checkParametersOpen() {
        for (int i = 0; i < parameters.size(); i++) {  // indexed: an iterator would be garbage per call
            parameters.get(i).value().checkOpen();
            parameters.get(i).grad().checkOpen();
        }
    }

    // ---- backward ----------------------------------------------------------------------------------

    /**
     * Gradients w.r.t. the inputs of a forward call, and the scratch the backward pass used. Owns its
     * tensors; closing hands them back for reuse. Passing it back to
     * {@link #backward(Result, Tensor, Tensor, Gradients)} overwrites it in place.
     */
    public final class Gradients implements Recurrent.Gradients {
        private final int steps;
        private final int batch;
        private final Tensor input;
        private final Tensor initialState;
        /** dG of the layer being processed, [T, B, directions·P·H]. */
        private final Tensor dGates;
        /** Gradient before layer normalization, [T, B, directions·P·H]; null without layer norm. */
        private final Tensor dPreNorm;
        /** Gradients w.r.t. the outputs of the lower layers, used in turn: [T, B, directions·H] each. */
        private final Tensor[] between;
        private boolean closed;

        private Gradients(int steps, int batch) {
            this.steps = steps;
            this.batch = batch;
            int width = gateWidth();
            input = workspace.take(dtype, steps, batch, inputSize);
            initialState = workspace.take(dtype, (long) layers * directions, batch, hiddenSize);
            dGates = workspace.take(dtype, steps, batch, width);
            dPreNorm = layerNorm ? workspace.take(dtype, steps, batch, width) : null;
            between = new Tensor[Math.min(layers - 1, 2)];
            for (int i = 0; i < between.length; i++) {
                between[i] = workspace.take(dtype, steps, batch, outputSize());
            }
        }

        /** [T, B, inputSize]. */
        @Override
        public Tensor input() {
            checkOpen();
            return input;
        }

        /** [layers·directions, B, H]. */
        @Override
        public Tensor initialState() {
            checkOpen();
            return initialState;
        }

        private Lrn owner() {
            return Lrn.this;
        }

        private void checkOpen() {
            if (closed) {
                throw new IllegalStateException("these gradients were closed");
            }
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            workspace.give(input);
            workspace.give(initialState);
            workspace.give(dGates);
            workspace.give(dPreNorm);
            for (Tensor t : between) {
                workspace.give(t);
            }
        }
    }

    /**
     * Backward pass of a {@link #forward} call: adds the parameter gradients into {@link Parameter#grad()}
     * and returns the gradients w.r.t. the input and the initial state.
     *
     * @param result      the forward result (still open)
     * @param dOutput     gradient w.r.t. the output [T, B, directions·H], or null for zero
     * @param dFinalState gradient w.r.t. the final state [layers·directions, B, H], or null for zero
     */
    public Gradients backward(Result result, Tensor dOutput, Tensor dFinalState) {
        return backward(result, dOutput, dFinalState, null);
    }

    /**
     * As {@link #backward(Result, Tensor, Tensor)}, writing into {@code reuse} when it is given: open
     * gradients of an earlier call of this layer with the same T and B, overwritten and returned. With
     * reused gradients the call allocates nothing on the Java heap.
     */
    @Override
    public Gradients backward(Recurrent.Result forwardResult, Tensor dOutput, Tensor dFinalState,
                              Recurrent.Gradients reuseGradients) {
        Result result = checkResult(forwardResult);
        int steps = result.steps;
        int batch = result.batch;
        if (dOutput == null && dFinalState == null) {
            throw new IllegalArgumentException("backward needs dOutput, dFinalState or both");
        }
        if (dOutput != null) {
            checkInput("dOutput", dOutput, steps, batch, outputSize());
        }
        if (dFinalState != null) {
            checkInput("dFinalState", dFinalState, layers * directions, batch, hiddenSize);
        }
        if (result.initialState != null) {
            result.initialState.checkOpen();
        }
        result.caches[0].input.checkOpen();
        Gradients reuse = null;
        if (reuseGradients != null) {
            if (!(reuseGradients instanceof Gradients g) || g.owner() != this) {
                throw new IllegalArgumentException("the gradients to reuse belong to another layer");
            }
            reuse = g;
            reuse.checkOpen();
            if (reuse.steps != steps || reuse.batch != batch) {
                throw new IllegalArgumentException("the gradients to reuse hold " + reuse.steps + " steps of "
                        + reuse.batch + " sequences, but the result has " + steps + " steps of " + batch);
            }
        }
        checkParametersOpen();
        Gradients g = reuse != null ? reuse : new Gradients(steps, batch);
        int rows = steps * batch;
        int width = gateWidth();
        int planes = planes();
        int hidden = hiddenSize;
        int outWidth = outputSize();
        long stateStride = (long) batch * hidden;
        Tensor dOut = dOutput;
        for (int l = layers - 1; l >= 0; l--) {
            LayerCache c = result.caches[l];
            int in = layerInput(l);
            for (int d = 0; d < directions; d++) {
                long state = (l * directions + d) * stateStride;
                long gates = (long) d * planes * hidden;
                long out = (long) d * hidden;
                if (outputGate) {
                    backend.olrnScanBackward(steps, batch, hidden, c.gates, gates, width, result.initialState, state,
                            result.lengths, activation, d == 1, c.output, out, outWidth, c.cells, out, outWidth,
                            dOut, out, outWidth, dFinalState, state, g.dGates, gates, width, g.initialState, state);
                } else {
                    backend.lrnScanBackward(steps, batch, hidden, c.gates, gates, width, result.initialState, state,
                            result.lengths, activation, d == 1, c.output, out, outWidth, dOut, out, outWidth,
                            dFinalState, state, g.dGates, gates, width, g.initialState, state);
                }
            }
            Tensor dPre = g.dGates;
            if (layerNorm) {
                dPre = g.dPreNorm;
                backend.layerNormBackward(rows, directions * planes, hidden, c.preNorm, 0, width, gain[l].value(),
                        c.mean, c.rstd, g.dGates, 0, width, dPre, 0, width, gain[l].grad(), bias[l].grad());
            } else {
                backend.colSum(rows, width, g.dGates, 0, width, true, bias[l].grad());
            }
            backend.gemm(true, false, in, width, rows, c.input, 0, in, dPre, 0, width, null, true,
                    weight[l].grad(), 0, width);
            // layer l's input gradient: the lower layer's output gradient, alternating between two buffers
            Tensor dIn = l == 0 ? g.input : g.between[(l - 1) % 2];
            backend.gemm(false, true, rows, in, width, dPre, 0, width, weight[l].value(), 0, width, null, false,
                    dIn, 0, in);
            dOut = dIn;
        }
        return g;
    }

    // ---- unfolded form -----------------------------------------------------------------------------

    /**
     * The unfolded form of an LRN with identity g: {@code h_t = Σ_k w[t][k] ⊙ v_k + u[t] ⊙ h0}, where
     * {@code w[t][k] = i_k ⊙ Π f_j} over the steps processed after k up to t, and {@code u[t] = Π f_j} over
     * all steps processed up to t. weights is [T (t), T (k), B, H] (zero where k does not precede or equal t
     * in processing order, or is padding); initial is [T, B, H]. Both FLOAT64 host tensors.
     */
    public record UnfoldedWeights(Tensor weights, Tensor initial) implements AutoCloseable {
        @Override
        public void close() {
            weights.close();
            initial.close();
        }
    }

    /**
     * The per-token weights of the unfolded form for one layer and direction of a forward result
     * (plain LRN with identity g only): how much of token k's value v_k state h_t carries.
     */
    public UnfoldedWeights unfoldedWeights(Result result, int layer, int direction) {
        if (outputGate) {
            throw new IllegalStateException("the unfolded form exists only for plain LRN; this layer is an oLRN,"
                    + " whose output gate h = o⊙c breaks the sum over tokens");
        }
        if (activation != Activation.IDENTITY) {
            throw new IllegalStateException("the unfolded form exists only for identity g; this layer uses " + activation);
        }
        checkResult(result);
        if (layer < 0 || layer >= layers || direction < 0 || direction >= directions) {
            throw new IllegalArgumentException("layer " + layer + ", direction " + direction + " outside "
                    + layers + " layers and " + directions + " directions");
        }
        int steps = result.steps;
        int batch = result.batch;
        int hidden = hiddenSize;
        int width = gateWidth();
        int outWidth = outputSize();
        double[] gates = result.caches[layer].gates.toDoubleArray();
        double[] states = result.caches[layer].output.toDoubleArray();
        double[] init = result.initialState == null ? null : result.initialState.toDoubleArray();
        int[] len = result.lengths == null ? null : result.lengths.toIntArray();
        boolean reverse = direction == 1;
        long stateBase = (long) (layer * directions + direction) * batch * hidden;
        Tensor weights = Tensor.host(DType.FLOAT64, steps, steps, batch, hidden);
        Tensor initial = Tensor.host(DType.FLOAT64, steps, batch, hidden);
        double[] w = new double[steps];
        for (int b = 0; b < batch; b++) {
            int length = len == null ? steps : len[b];
            for (int j = 0; j < hidden; j++) {
                Arrays.fill(w, 0.0);
                double u = 1.0;
                double hp = init == null ? 0.0 : init[(int) (stateBase + (long) b * hidden + j)];
                for (int s = 0; s < steps; s++) {
                    int t = reverse ? steps - 1 - s : s;
                    if (t < length) {
                        int g = (t * batch + b) * width + direction * 3 * hidden + j;
                        double i = sigmoid(gates[g + hidden] + hp);
                        double f = sigmoid(gates[g] - hp);
                        for (int k = 0; k < steps; k++) {
                            w[k] *= f;
                        }
                        w[t] = i;
                        u *= f;
                        hp = states[(t * batch + b) * outWidth + direction * hidden + j];
                    }
                    for (int k = 0; k < steps; k++) {
                        weights.set((((long) t * steps + k) * batch + b) * hidden + j, w[k]);
                    }
                    initial.set(((long) t * batch + b) * hidden + j, u);
                }
            }
        }
        return new UnfoldedWeights(weights, initial);
    }

    private static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }

    @Override
    public void close() {
        for (Parameter p : parameters) {
            p.close();
        }
        workspace.close();
    }

    @Override
    public String toString() {
        return (outputGate ? "oLRN(" : "Lrn(") + inputSize + " -> " + hiddenSize + ", layers=" + layers
                + ", directions=" + directions + ", g=" + activation + (layerNorm ? ", layer norm" : "") + ", " + dtype
                + " on " + backend.name() + ")";
    }
}

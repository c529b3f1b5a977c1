package org.lrn4j.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

import org.lrn4j.backend.Backend;
import org.lrn4j.backend.Backends;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Device;
import org.lrn4j.tensor.Tensor;

/**
 * A stacked, optionally bidirectional layer of one of the recurrent cells the LRN paper compares LRN with
 * ({@link Lstm}, {@link Gru}, {@link Atr}, {@link Sru}), behind the {@link Recurrent} interface that
 * {@link Lrn} implements too, so that a model swaps one for another. This class holds what they share:
 * configuration and seeded initialisation, argument checks, variable lengths, results and gradients reused
 * in place, and storage reused between calls.
 *
 * <p>Every cell computes its input part {@code x·W (+ b)} for all steps at once, in one GEMM for both
 * directions ({@code W = [W_fwd | W_bwd]}); a bidirectional layer concatenates the two directions'
 * outputs, forward first, and the next layer reads that.
 *
 * <p>Variable lengths, as in {@link Lrn}: sequence b has {@code lengths[b]} tokens (1..T), the rest is
 * padding. The forward direction carries its state through the padding, so the final state is the state
 * after the last token; the reverse direction starts at each sequence's own last token from the initial
 * state, and its final state is the state after token 0. What the outputs at padding hold is stated by
 * each cell. Gradients that arrive at padding outputs flow into whatever those outputs are made of.
 *
 * <p>Streaming: feeding a sequence in chunks, each chunk's initial state the previous chunk's final state,
 * gives exactly the result of feeding it whole (unidirectional layers).
 */
public abstract sealed class CellLayer implements Recurrent permits StepwiseCellLayer, Sru {
    final Backend backend;
    final DType dtype;
    final int inputSize;
    final int hiddenSize;
    final int layers;
    final int directions;
    final Workspace workspace;
    private final Init init;
    private final double initScale;
    private final SplittableRandom rng;
    private final List<Parameter> all = new ArrayList<>();
    private final List<Parameter> parameters = Collections.unmodifiableList(all);

    CellLayer(Builder<?, ?> b) {
        this.backend = b.backend == null ? Backends.get() : b.backend;
        this.dtype = b.dtype;
        if (!backend.supports(dtype)) {
            throw new IllegalArgumentException("the " + backend.name() + " backend does not compute " + dtype);
        }
        this.workspace = new Workspace(backend);
        this.inputSize = b.inputSize;
        this.hiddenSize = b.hiddenSize;
        this.layers = b.layers;
        this.directions = b.bidirectional ? 2 : 1;
        this.init = b.init;
        this.initScale = b.initScale;
        this.rng = new SplittableRandom(b.seed);
    }

    /**
     * Configuration shared by the cells. Every setting but the sizes has a default: the backend of
     * {@link Backends#get()}, FLOAT32, one layer, one direction, {@link Init#UNIFORM} with bound 0.08, seed 1234.
     */
    public abstract static class Builder<B extends Builder<B, L>, L extends CellLayer> {
        private Backend backend;
        private DType dtype = DType.FLOAT32;
        private int inputSize = -1;
        private int hiddenSize = -1;
        private int layers = 1;
        private boolean bidirectional;
        private Init init = Init.UNIFORM;
        private double initScale = 0.08;
        private long seed = 1234;

        Builder() {
        }

        abstract B self();

        abstract L create();

        /** Backend to compute on (default: {@link Backends#get()}). */
        public B backend(Backend backend) {
            this.backend = Objects.requireNonNull(backend, "backend");
            return self();
        }

        /** FLOAT32 (default) or FLOAT64 (reference backends only; used for gradient checks). */
        public B dtype(DType dtype) {
            this.dtype = Objects.requireNonNull(dtype, "dtype");
            return self();
        }

        public B inputSize(int inputSize) {
            this.inputSize = inputSize;
            return self();
        }

        public B hiddenSize(int hiddenSize) {
            this.hiddenSize = hiddenSize;
            return self();
        }

        /** Stacked layers (default 1). */
        public B layers(int layers) {
            this.layers = layers;
            return self();
        }

        public B bidirectional(boolean bidirectional) {
            this.bidirectional = bidirectional;
            return self();
        }

        /** Initialisation of the weight matrices (default {@link Init#UNIFORM}). */
        public B init(Init init) {
            this.init = Objects.requireNonNull(init, "init");
            return self();
        }

        /** Bound of {@link Init#UNIFORM} (default 0.08). */
        public B initScale(double scale) {
            this.initScale = scale;
            return self();
        }

        /** Seed of the initialisation (default 1234): the same seed gives the same weights. */
        public B seed(long seed) {
            this.seed = seed;
            return self();
        }

        public final L build() {
            if (inputSize < 1) {
                throw new IllegalArgumentException("inputSize must be >= 1, got " + inputSize);
            }
            if (hiddenSize < 1) {
                throw new IllegalArgumentException("hiddenSize must be >= 1, got " + hiddenSize);
            }
            if (layers < 1) {
                throw new IllegalArgumentException("layers must be >= 1, got " + layers);
            }
            if (!(initScale > 0) || Double.isInfinite(initScale)) {
                throw new IllegalArgumentException("initScale must be positive and finite, got " + initScale);
            }
            return create();
        }
    }

    // ---- parameters ---------------------------------------------------------------------------------

    /** A parameter with these initial values, registered in {@link #parameters()} in creation order. */
    final Parameter parameter(String name, double[] values, long... shape) {
        try (Tensor host = Tensor.host(dtype, shape)) {
            host.write(0, values, 0, values.length);
            Parameter p = new Parameter(name, backend.copyOf(host), backend.allocate(dtype, shape));
            all.add(p);
            return p;
        }
    }

    /** rows×cols weights drawn from the layer's seeded generator: uniform in ±initScale, or Xavier with fan-in rows. */
    final double[] weights(int rows, int cols) {
        return uniform(rows * cols, init == Init.XAVIER ? Math.sqrt(6.0 / (rows + hiddenSize)) : initScale);
    }

    /** n values drawn uniformly in ±bound from the layer's seeded generator. */
    final double[] uniform(int n, double bound) {
        double[] w = new double[n];
        for (int i = 0; i < w.length; i++) {
            w[i] = (rng.nextDouble() * 2 - 1) * bound;
        }
        return w;
    }

    /** Bound of {@link Init#UNIFORM}. */
    final double initScale() {
        return initScale;
    }

    // ---- shape ----------------------------------------------------------------------------------------

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

    @Override
    public int outputSize() {
        return directions * hiddenSize;
    }

    /** The trainable parameters, in a fixed order (per layer; each cell lists its own). */
    @Override
    public List<Parameter> parameters() {
        return parameters;
    }

    @Override
    public void zeroGrad() {
        for (Parameter p : parameters) {
            p.zeroGrad();
        }
    }

    /** Width of a layer's input: inputSize for the first, directions·hiddenSize above it. */
    final int layerInput(int layer) {
        return layer == 0 ? inputSize : directions * hiddenSize;
    }

    /** Columns of a layer's hoisted GEMM output (its gates, both directions). */
    abstract int gateWidth(int layer);

    /** Whether the forward pass keeps each step's recurrent part h₋₁·U (the cells with a recurrent GEMM). */
    abstract boolean keepsRecurrentGates();

    /** Whether the forward pass keeps each step's cell state c (LSTM, SRU). */
    abstract boolean keepsCellStates();

    // ---- forward ----------------------------------------------------------------------------------------

    /** What one layer's forward pass keeps for the backward pass. */
    static final class LayerCache {
        /** The layer's input [T, B, in] (not owned). */
        Tensor input;
        /** The hoisted x·W (+ b), [T, B, gateWidth]. */
        Tensor gates;
        /** h₋₁·U of every step, [T, B, gateWidth], or null. */
        Tensor recurrent;
        /** The cell state c after every step, [T, B, directions·H], or null. */
        Tensor cells;
        /** [T, B, directions·H]. */
        Tensor output;
    }

    /**
     * The result of {@link #forward}: output and final state, plus what the backward pass needs. Owns its
     * tensors (not the input or initial state passed in, which must stay open until backward). Passing it
     * back to {@link #forward(Tensor, int[], Tensor, Recurrent.Result)} overwrites it in place.
     */
    public final class Result implements Recurrent.Result {
        final int steps;
        final int batch;
        final LayerCache[] caches;
        final Tensor finalState;
        Tensor initialState;
        /** What the kernels read: {@link #lengthStorage} when the call had lengths, else null. */
        Tensor lengths;
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

        /** [layers·directions, B, stateSize]: the state after each sequence's last processed token. */
        @Override
        public Tensor finalState() {
            checkOpen();
            return finalState;
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

        private CellLayer owner() {
            return CellLayer.this;
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
                workspace.give(c.gates);
                workspace.give(c.recurrent);
                workspace.give(c.cells);
                workspace.give(c.output);
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
     * Runs the layer over a batch of sequences into a new result.
     *
     * @param x       input [T, B, inputSize] on this layer's backend, of its dtype
     * @param lengths tokens of each sequence, B values in [1, T], or null when all have T
     * @param h0      initial state [layers·directions, B, stateSize], or null for zeros
     */
    @Override
    public Result forward(Tensor x, int[] lengths, Tensor h0) {
        return forward(x, lengths, h0, null);
    }

    /**
     * Runs the layer over a batch of sequences, writing into {@code reuse} when it is given: an open result
     * of an earlier call of this layer with the same T and B, whose contents are overwritten and which is
     * returned. Its own final state cannot be the initial state of the call that overwrites it (copy it).
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
            checkInput("h0", h0, layers * directions, batch, stateSize());
        }
        checkLengths(lengths, steps, batch);
        Result old = reuse == null ? null : checkResult(reuse);
        if (old != null) {
            if (old.steps != steps || old.batch != batch) {
                throw new IllegalArgumentException("the result to reuse holds " + old.steps + " steps of "
                        + old.batch + " sequences, but x has " + steps + " steps of " + batch);
            }
            if (h0 != null && h0.storage() == old.finalState.storage()) {
                throw new IllegalArgumentException("h0 is the final state of the result being overwritten; copy it"
                        + " first (the backward pass still reads the initial state)");
            }
        }
        checkParametersOpen();
        Result r = old != null ? old : newResult(steps, batch);
        r.initialState = h0;
        r.setLengths(lengths);
        Tensor input = x;
        for (int l = 0; l < layers; l++) {
            LayerCache c = r.caches[l];
            c.input = input;
            forwardLayer(l, c, r);
            input = c.output;
        }
        return r;
    }

    /** Runs one layer, both directions, from {@code c.input} into c's tensors and the result's final state. */
    abstract void forwardLayer(int layer, LayerCache c, Result r);

    private Result newResult(int steps, int batch) {
        LayerCache[] caches = new LayerCache[layers];
        for (int l = 0; l < layers; l++) {
            LayerCache c = new LayerCache();
            caches[l] = c;
            c.gates = workspace.take(dtype, steps, batch, gateWidth(l));
            if (keepsRecurrentGates()) {
                c.recurrent = workspace.take(dtype, steps, batch, gateWidth(l));
            }
            if (keepsCellStates()) {
                c.cells = workspace.take(dtype, steps, batch, outputSize());
            }
            c.output = workspace.take(dtype, steps, batch, outputSize());
        }
        return new Result(steps, batch, caches, workspace.take(dtype, (long) layers * directions, batch, stateSize()));
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
        for (int i = 0; i < parameters.size(); i++) {
            parameters.get(i).value().checkOpen();
            parameters.get(i).grad().checkOpen();
        }
    }

    // ---- backward ---------------------------------------------------------------------------------------

    /**
     * Gradients w.r.t. the inputs of a forward call, and the scratch the backward pass used. Owns its
     * tensors; closing hands them back for reuse. Passing it back to {@link #backward} overwrites it in place.
     */
    public final class Gradients implements Recurrent.Gradients {
        final int steps;
        final int batch;
        final Tensor input;
        final Tensor initialState;
        /** Gradient w.r.t. the hoisted gates of the layer being processed: [T·B, gateWidth(layer)] views. */
        final Tensor dGates;
        /** Gradient w.r.t. h₋₁·U of every step, [T, B, gateWidth]; null where the cell does not need it. */
        final Tensor dRecurrent;
        /** Per-sequence partial sums of one direction (the SRU's v gradient), [B, 2H], or null. */
        final Tensor partial;
        /** Gradients w.r.t. the outputs of the lower layers, used in turn: [T, B, directions·H] each. */
        private final Tensor[] between;
        private boolean closed;

        private Gradients(int steps, int batch) {
            this.steps = steps;
            this.batch = batch;
            int widest = 0;
            for (int l = 0; l < layers; l++) {
                widest = Math.max(widest, gateWidth(l));
            }
            input = workspace.take(dtype, steps, batch, inputSize);
            initialState = workspace.take(dtype, (long) layers * directions, batch, stateSize());
            dGates = workspace.take(dtype, steps, batch, widest);
            dRecurrent = needsRecurrentGradient() ? workspace.take(dtype, steps, batch, widest) : null;
            partial = needsPartialSums() ? workspace.take(dtype, batch, 2L * hiddenSize) : null;
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

        /** [layers·directions, B, stateSize]. */
        @Override
        public Tensor initialState() {
            checkOpen();
            return initialState;
        }

        private CellLayer owner() {
            return CellLayer.this;
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
            workspace.give(dRecurrent);
            workspace.give(partial);
            for (Tensor t : between) {
                workspace.give(t);
            }
        }
    }

    /** Whether the backward pass needs {@link Gradients#dRecurrent} (GRU, ATR). */
    abstract boolean needsRecurrentGradient();

    /** Whether the backward pass needs {@link Gradients#partial} (SRU). */
    abstract boolean needsPartialSums();

    /** Backward pass into new gradients; see {@link #backward(Recurrent.Result, Tensor, Tensor, Recurrent.Gradients)}. */
    @Override
    public Gradients backward(Recurrent.Result result, Tensor dOutput, Tensor dFinalState) {
        return backward(result, dOutput, dFinalState, null);
    }

    /**
     * Backward pass of a {@link #forward} call: adds the parameter gradients into {@link Parameter#grad()}
     * and returns the gradients w.r.t. the input and the initial state, written into {@code reuse} when it
     * is given (open gradients of an earlier call of this layer with the same T and B).
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
            checkInput("dFinalState", dFinalState, layers * directions, batch, stateSize());
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
        startBackward(g, dFinalState);
        Tensor dOut = dOutput;
        for (int l = layers - 1; l >= 0; l--) {
            // layer l's input gradient: the lower layer's output gradient, alternating between two buffers
            Tensor dIn = l == 0 ? g.input : g.between[(l - 1) % 2];
            backwardLayer(l, result.caches[l], result, dOut, dFinalState, g, dIn);
            dOut = dIn;
        }
        return g;
    }

    /** Prepares the gradients before the layers are walked, top to bottom (nothing by default). */
    void startBackward(Gradients g, Tensor dFinalState) {
    }

    /**
     * Backward of one layer: adds its parameter gradients, writes its part of {@code g.initialState} and the
     * gradient w.r.t. its input into dIn [T, B, layerInput].
     *
     * @param dOut        gradient w.r.t. the layer's output, or null (top layer without dOutput)
     * @param dFinalState gradient w.r.t. the whole final state as passed to backward, or null
     */
    abstract void backwardLayer(int layer, LayerCache c, Result r, Tensor dOut, Tensor dFinalState, Gradients g,
                                Tensor dIn);

    /**
     * Writes zeros into a rows×cols view with row stride ld: a GEMM with k = 0 overwrites C with zeros and
     * never reads it (lrn4j_gemm's contract), so zero-filling device or host memory needs no kernel of its own.
     */
    final void zero(Tensor t, long offset, int rows, int cols, int ld) {
        backend.gemm(false, false, rows, cols, 0, t, offset, 1, t, offset, ld, null, false, t, offset, ld);
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
        return getClass().getSimpleName() + "(" + inputSize + " -> " + hiddenSize + ", layers=" + layers
                + ", directions=" + directions + ", " + dtype + " on " + backend.name() + ")";
    }
}

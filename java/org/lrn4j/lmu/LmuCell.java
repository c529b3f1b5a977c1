package org.lrn4j.lmu;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

import org.lrn4j.backend.ActivationKind;
import org.lrn4j.backend.Backend;
import org.lrn4j.backend.Backends;
import org.lrn4j.nn.Parameter;
import org.lrn4j.nn.Parameters;
import org.lrn4j.nn.Workspace;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * The original Legendre Memory Unit cell (Voelker, Kajić &amp; Eliasmith, NeurIPS 2019), trained by
 * backpropagation through time: the sequential baseline that the parallel LMU is measured against.
 * With q memory channels of order d (the paper has q = 1), per step t and sequence:
 * <pre>
 *   u_t = x_t·e_x + h_{t−1}·e_h + m_{t−1}·e_m + b_u        [q]
 *   m_t = Ā m_{t−1} + B̄ u_t   (each channel c on its own)   [q·d]
 *   h_t = f(x_t·W_x + h_{t−1}·W_h + m_t·W_m + b)            [H]
 * </pre>
 * Ā, B̄ are the fixed matrices of a {@link LegendreSystem}; f is tanh by default. A memory row holds the
 * channels one after another: element {@code c·d + i} is coefficient i of channel c, so that a [B, q·d]
 * block read as [B·q, d] rows updates every channel of every sequence with one GEMM by Āᵀ.
 *
 * <p>Shapes: input {@code [T, B, inputSize]} (time-major); output {@code [T, B, hiddenSize]} (h_1..h_T);
 * memory {@code [T, B, q·d]} (m_1..m_T); initial states h0 {@code [B, hiddenSize]} and m0 {@code [B, q·d]},
 * null for zeros. The final state is the last row of output and memory.
 *
 * <p>Forward: the input parts {@code X·e_x + b_u} and {@code X·W_x + b} for all steps in two GEMMs
 * outside the time loop (the second straight into the output rows); then per step six GEMMs on the backend
 * (the two recurrent encoder products, the memory update by Āᵀ and by B̄, the two recurrent kernel products
 * accumulated into the step's output rows) and the activation in place ({@link Backend#activationForward}).
 * It keeps u, m and h of every step. Backward walks time in reverse with the memory-gradient carry, writing
 * dz_t (w.r.t. the pre-activation, f' read off h_t) and du_t per step, and adds the gradient w.r.t. h_{t−1}
 * straight into step t−1's rows; every weight gradient is then one GEMM over all steps, as in the recurrent
 * layers of {@code org.lrn4j.nn}.
 *
 * <p>Results and gradients take their tensors from the cell's {@link Workspace} and give them back on close,
 * so a loop of same-shaped batches stops allocating after its first step; passing an open one back as
 * {@code reuse} (same T and B) overwrites it in place instead.
 */
public final class LmuCell implements AutoCloseable {
    private final Backend backend;
    private final DType dtype;
    private final int inputSize;
    private final int hiddenSize;
    private final int channels;
    private final int order;
    private final LegendreSystem system;
    private final ActivationKind activation;
    private final List<Parameter> parameters;
    /** e_x [in, q], e_h [H, q], e_m [q·d, q], b_u [q]. */
    private final Parameter encoderInput;
    private final Parameter encoderHidden;
    private final Parameter encoderMemory;
    private final Parameter encoderBias;
    /** W_x [in, H], W_h [H, H], W_m [q·d, H], b [H]. */
    private final Parameter kernelInput;
    private final Parameter kernelHidden;
    private final Parameter kernelMemory;
    private final Parameter bias;
    /** Ā [d, d] row-major and B̄ [d] in the layer's dtype, on its backend; fixed. */
    private final Tensor abar;
    private final Tensor bbar;
    /** I_H: adds the final-state gradient into the last step's output gradient as one GEMM (B·H² FLOPs a call). */
    private final Tensor identity;
    /** Storage of results and gradients, handed back when they close and reused by the next call. */
    private final Workspace workspace;
    private boolean closed;

    private LmuCell(Builder b) {
        this.backend = b.backend == null ? Backends.get() : b.backend;
        this.dtype = b.dtype;
        if (!backend.supports(dtype)) {
            throw new IllegalArgumentException("the " + backend.name() + " backend does not compute " + dtype);
        }
        this.workspace = new Workspace(backend);
        this.inputSize = b.inputSize;
        this.hiddenSize = b.hiddenSize;
        this.channels = b.channels;
        this.system = b.system != null ? b.system : LegendreSystem.zeroOrderHold(b.order, b.theta);
        this.order = system.order();
        this.activation = b.activation;
        int mem = channels * order;
        SplittableRandom rng = new SplittableRandom(b.seed);
        List<Parameter> all = new ArrayList<>();
        // The initialisation of the reference implementation: LeCun-uniform input and hidden encoders, zero
        // memory encoders, Glorot-uniform kernels, zero biases.
        encoderInput = param(all, "encoder_input", uniform(rng, inputSize * channels, Math.sqrt(3.0 / inputSize)),
                inputSize, channels);
        encoderHidden = param(all, "encoder_hidden",
                uniform(rng, hiddenSize * channels, Math.sqrt(3.0 / hiddenSize)), hiddenSize, channels);
        encoderMemory = param(all, "encoder_memory", new double[mem * channels], mem, channels);
        encoderBias = param(all, "encoder_bias", new double[channels], channels);
        kernelInput = param(all, "kernel_input",
                uniform(rng, inputSize * hiddenSize, Math.sqrt(6.0 / (inputSize + hiddenSize))), inputSize, hiddenSize);
        kernelHidden = param(all, "kernel_hidden",
                uniform(rng, hiddenSize * hiddenSize, Math.sqrt(3.0 / hiddenSize)), hiddenSize, hiddenSize);
        kernelMemory = param(all, "kernel_memory",
                uniform(rng, mem * hiddenSize, Math.sqrt(6.0 / (mem + hiddenSize))), mem, hiddenSize);
        bias = param(all, "bias", new double[hiddenSize], hiddenSize);
        parameters = Collections.unmodifiableList(all);
        double[][] a = system.a();
        double[] flat = new double[order * order];
        for (int i = 0; i < order; i++) {
            System.arraycopy(a[i], 0, flat, i * order, order);
        }
        abar = constant(flat, order, order);
        bbar = constant(system.b(), order);
        double[] eye = new double[hiddenSize * hiddenSize];
        for (int i = 0; i < hiddenSize; i++) {
            eye[i * hiddenSize + i] = 1;
        }
        identity = constant(eye, hiddenSize, hiddenSize);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Configuration. Sizes are required; defaults: the backend of {@link Backends#get()}, FLOAT32, one memory
     * channel, order 256 and window θ = 784 (the paper's psMNIST memory, zero-order hold), tanh, seed 1234.
     */
    public static final class Builder {
        private Backend backend;
        private DType dtype = DType.FLOAT32;
        private int inputSize = -1;
        private int hiddenSize = -1;
        private int channels = 1;
        private int order = 256;
        private double theta = 784;
        private LegendreSystem system;
        private ActivationKind activation = ActivationKind.TANH;
        private long seed = 1234;

        private Builder() {
        }

        public Builder backend(Backend backend) {
            this.backend = Objects.requireNonNull(backend, "backend");
            return this;
        }

        /** FLOAT32 (default) or FLOAT64 (reference backend; gradient checks). */
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

        /** Memory channels q, the width of u (default 1, as in the paper; memoryD of the parallel layer). */
        public Builder memoryD(int channels) {
            this.channels = channels;
            return this;
        }

        /** Order d of the Legendre memory (default 256), zero-order hold; ignored when {@link #system} is set. */
        public Builder order(int order) {
            this.order = order;
            return this;
        }

        /** Window θ in steps (default 784); ignored when {@link #system} is set. */
        public Builder theta(double theta) {
            this.theta = theta;
            return this;
        }

        /** The memory system itself (another discretisation, say), instead of order and θ. */
        public Builder system(LegendreSystem system) {
            this.system = Objects.requireNonNull(system, "system");
            return this;
        }

        /** f of the hidden state (default tanh). */
        public Builder activation(ActivationKind activation) {
            this.activation = Objects.requireNonNull(activation, "activation");
            return this;
        }

        /** Seed of the initialisation (default 1234). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public LmuCell build() {
            if (inputSize < 1) {
                throw new IllegalArgumentException("inputSize must be >= 1, got " + inputSize);
            }
            if (hiddenSize < 1) {
                throw new IllegalArgumentException("hiddenSize must be >= 1, got " + hiddenSize);
            }
            if (channels < 1) {
                throw new IllegalArgumentException("memoryD must be >= 1, got " + channels);
            }
            if (system == null) {
                if (order < 1) {
                    throw new IllegalArgumentException("order must be >= 1, got " + order);
                }
                if (!(theta > 0) || Double.isInfinite(theta)) {
                    throw new IllegalArgumentException("theta must be positive and finite, got " + theta);
                }
            }
            return new LmuCell(this);
        }
    }

    private Parameter param(List<Parameter> all, String name, double[] values, long... shape) {
        Parameter p = Parameters.make(backend, dtype, name, values, shape);
        all.add(p);
        return p;
    }

    private Tensor constant(double[] values, long... shape) {
        try (Tensor host = Tensor.host(dtype, shape)) {
            host.write(0, values, 0, values.length);
            return backend.copyOf(host);
        }
    }

    private static double[] uniform(SplittableRandom rng, int n, double bound) {
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = (rng.nextDouble() * 2 - 1) * bound;
        }
        return w;
    }

    // ---- shape ----------------------------------------------------------------------------------------

    public Backend backend() {
        return backend;
    }

    public DType dtype() {
        return dtype;
    }

    public int inputSize() {
        return inputSize;
    }

    public int hiddenSize() {
        return hiddenSize;
    }

    /** Memory channels q. */
    public int memoryD() {
        return channels;
    }

    /** Order d of each channel's memory. */
    public int order() {
        return order;
    }

    /** q·d: the width of a memory row. */
    public int memorySize() {
        return channels * order;
    }

    public LegendreSystem system() {
        return system;
    }

    public ActivationKind activation() {
        return activation;
    }

    /**
     * The trainable parameters in this order: encoder_input e_x [in, q], encoder_hidden e_h [H, q],
     * encoder_memory e_m [q·d, q], encoder_bias b_u [q], kernel_input W_x [in, H], kernel_hidden W_h [H, H],
     * kernel_memory W_m [q·d, H], bias b [H]. Gradients accumulate in {@link Parameter#grad()}.
     */
    public List<Parameter> parameters() {
        return parameters;
    }

    public void zeroGrad() {
        for (Parameter p : parameters) {
            p.zeroGrad();
        }
    }

    // ---- forward ------------------------------------------------------------------------------------

    /** What a forward call produced and keeps for its backward pass. Closing hands its storage back to the cell. */
    public final class Result implements AutoCloseable {
        private final int steps;
        private final int batch;
        /** [T, B, q]: u_t. */
        private final Tensor u;
        /** [T, B, q·d]: m_t. */
        private final Tensor memory;
        /** [T, B, H]: h_t. */
        private final Tensor output;
        private Tensor input;
        private Tensor h0;
        private Tensor m0;
        private boolean closed;

        private LmuCell owner() {
            return LmuCell.this;
        }

        private Result(int steps, int batch) {
            this.steps = steps;
            this.batch = batch;
            u = workspace.take(dtype, steps, batch, channels);
            memory = workspace.take(dtype, steps, batch, memorySize());
            output = workspace.take(dtype, steps, batch, hiddenSize);
        }

        /** [T, B, H]: h_1..h_T; the final hidden state is the last step's rows. */
        public Tensor output() {
            return output;
        }

        /** [T, B, q·d]: m_1..m_T; the final memory is the last step's rows. */
        public Tensor memory() {
            return memory;
        }

        /** Element offset of the final hidden state [B, H] in {@link #output()}. */
        public long finalHiddenOffset() {
            return (long) (steps - 1) * batch * hiddenSize;
        }

        /** Element offset of the final memory [B, q·d] in {@link #memory()}. */
        public long finalMemoryOffset() {
            return (long) (steps - 1) * batch * memorySize();
        }

        public int steps() {
            return steps;
        }

        public int batch() {
            return batch;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                workspace.give(u);
                workspace.give(memory);
                workspace.give(output);
            }
        }
    }

    /** Runs the cell over a batch of sequences into a new result: {@code forward(x, h0, m0, null)}. */
    public Result forward(Tensor x, Tensor h0, Tensor m0) {
        return forward(x, h0, m0, null);
    }

    /**
     * Runs the cell over a batch of sequences.
     *
     * @param x     input [T, B, inputSize] on this cell's backend, of its dtype
     * @param h0    initial hidden state [B, hiddenSize], or null for zeros
     * @param m0    initial memory [B, q·d], or null for zeros
     * @param reuse an open result of this cell with the same T and B to overwrite, or null
     */
    public Result forward(Tensor x, Tensor h0, Tensor m0, Result reuse) {
        checkOpen();
        checkTensor("x", x, 3);
        if (x.dim(2) != inputSize) {
            throw new IllegalArgumentException("x must be [T, B, " + inputSize + "], got " + x.describe());
        }
        if (x.dim(0) < 1 || x.dim(1) < 1) {
            throw new IllegalArgumentException("x needs at least one step and one sequence, got " + x.describe());
        }
        int steps = Math.toIntExact(x.dim(0));
        int batch = Math.toIntExact(x.dim(1));
        if (h0 != null) {
            checkState("h0", h0, batch, hiddenSize);
        }
        if (m0 != null) {
            checkState("m0", m0, batch, memorySize());
        }
        Result r;
        if (reuse != null) {
            if (reuse.closed || reuse.owner() != this) {
                throw new IllegalArgumentException("the result to reuse must be an open result of this cell");
            }
            if (reuse.steps != steps || reuse.batch != batch) {
                throw new IllegalArgumentException("the result to reuse holds " + reuse.steps + " steps of "
                        + reuse.batch + " sequences, but x has " + steps + " of " + batch);
            }
            r = reuse;
        } else {
            r = new Result(steps, batch);
        }
        r.input = x;
        r.h0 = h0;
        r.m0 = m0;
        int in = inputSize;
        int hidden = hiddenSize;
        int mem = memorySize();
        int rows = steps * batch;
        backend.gemm(false, false, rows, channels, in, x, 0, in, encoderInput.value(), 0, channels,
                encoderBias.value(), false, r.u, 0, channels);
        backend.gemm(false, false, rows, hidden, in, x, 0, in, kernelInput.value(), 0, hidden, bias.value(), false,
                r.output, 0, hidden);
        for (int t = 0; t < steps; t++) {
            Tensor hPrev = t == 0 ? h0 : r.output;
            long hAt = t == 0 ? 0 : (long) (t - 1) * batch * hidden;
            Tensor mPrev = t == 0 ? m0 : r.memory;
            long mAt = t == 0 ? 0 : (long) (t - 1) * batch * mem;
            long uAt = (long) t * batch * channels;
            long mOut = (long) t * batch * mem;
            long zAt = (long) t * batch * hidden;
            if (hPrev != null) {
                backend.gemm(false, false, batch, channels, hidden, hPrev, hAt, hidden, encoderHidden.value(), 0,
                        channels, null, true, r.u, uAt, channels);
            }
            if (mPrev != null) {
                backend.gemm(false, false, batch, channels, mem, mPrev, mAt, mem, encoderMemory.value(), 0, channels,
                        null, true, r.u, uAt, channels);
                // m_t = m_{t−1}·Āᵀ + u_t·B̄ᵀ with the memory read as [B·q, d] rows and u_t as a [B·q, 1] column
                backend.gemm(false, true, batch * channels, order, order, mPrev, mAt, order, abar, 0, order, null,
                        false, r.memory, mOut, order);
            }
            backend.gemm(false, false, batch * channels, order, 1, r.u, uAt, 1, bbar, 0, order, null, mPrev != null,
                    r.memory, mOut, order);
            if (hPrev != null) {
                backend.gemm(false, false, batch, hidden, hidden, hPrev, hAt, hidden, kernelHidden.value(), 0,
                        hidden, null, true, r.output, zAt, hidden);
            }
            backend.gemm(false, false, batch, hidden, mem, r.memory, mOut, mem, kernelMemory.value(), 0, hidden, null,
                    true, r.output, zAt, hidden);
            backend.activationForward(activation, batch * hidden, r.output, zAt, r.output, zAt);
        }
        return r;
    }

    // ---- backward -----------------------------------------------------------------------------------

    /** Gradients w.r.t. the inputs of a forward call, with the backward pass's scratch; closing hands them back. */
    public final class Gradients implements AutoCloseable {
        private final int steps;
        private final int batch;
        private final Tensor input;
        private final Tensor initialHidden;
        private final Tensor initialMemory;
        /** [T, B, H]: the gradient w.r.t. h_t, then in place w.r.t. z_t. */
        private final Tensor dz;
        /** [T, B, q]: the gradient w.r.t. u_t. */
        private final Tensor du;
        /** [B, q·d] each: the memory-gradient carry, ping-ponged between steps. */
        private final Tensor carry;
        private final Tensor carryNext;
        private boolean closed;

        private LmuCell owner() {
            return LmuCell.this;
        }

        private Gradients(int steps, int batch) {
            this.steps = steps;
            this.batch = batch;
            input = workspace.take(dtype, steps, batch, inputSize);
            initialHidden = workspace.take(dtype, batch, hiddenSize);
            initialMemory = workspace.take(dtype, batch, memorySize());
            dz = workspace.take(dtype, steps, batch, hiddenSize);
            du = workspace.take(dtype, steps, batch, channels);
            carry = workspace.take(dtype, batch, memorySize());
            carryNext = workspace.take(dtype, batch, memorySize());
        }

        /** [T, B, inputSize]. */
        public Tensor input() {
            return input;
        }

        /** [B, hiddenSize]: w.r.t. h0 (also when h0 was null, zeros). */
        public Tensor initialHidden() {
            return initialHidden;
        }

        /** [B, q·d]: w.r.t. m0 (also when m0 was null, zeros). */
        public Tensor initialMemory() {
            return initialMemory;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                for (Tensor t : new Tensor[] {input, initialHidden, initialMemory, dz, du, carry, carryNext}) {
                    workspace.give(t);
                }
            }
        }
    }

    /** Backward pass into new gradients: {@code backward(result, dOutput, dFinalHidden, dFinalMemory, null)}. */
    public Gradients backward(Result result, Tensor dOutput, Tensor dFinalHidden, Tensor dFinalMemory) {
        return backward(result, dOutput, dFinalHidden, dFinalMemory, null);
    }

    /**
     * Backpropagation through time of a forward call: adds every parameter gradient into
     * {@link Parameter#grad()} and returns the gradients w.r.t. the input and the initial states.
     *
     * @param result       the forward result (still open, its input and initial states unchanged)
     * @param dOutput      gradient w.r.t. the output [T, B, H], or null for zero
     * @param dFinalHidden gradient w.r.t. the final hidden state [B, H] (added to dOutput's last step), or null
     * @param dFinalMemory gradient w.r.t. the final memory [B, q·d], or null (not all three null)
     * @param reuse        open gradients of this cell with the same T and B to overwrite, or null
     */
    public Gradients backward(Result result, Tensor dOutput, Tensor dFinalHidden, Tensor dFinalMemory,
                              Gradients reuse) {
        checkOpen();
        Objects.requireNonNull(result, "result");
        if (result.closed || result.owner() != this) {
            throw new IllegalArgumentException("result must be an open result of this cell");
        }
        int steps = result.steps;
        int batch = result.batch;
        if (dOutput == null && dFinalHidden == null && dFinalMemory == null) {
            throw new IllegalArgumentException("dOutput, dFinalHidden and dFinalMemory are all null");
        }
        if (dOutput != null) {
            checkTensor("dOutput", dOutput, 3);
            if (!dOutput.hasShape(steps, batch, hiddenSize)) {
                throw new IllegalArgumentException("dOutput must be [" + steps + ", " + batch + ", " + hiddenSize
                        + "], got " + dOutput.describe());
            }
        }
        if (dFinalHidden != null) {
            checkState("dFinalHidden", dFinalHidden, batch, hiddenSize);
        }
        if (dFinalMemory != null) {
            checkState("dFinalMemory", dFinalMemory, batch, memorySize());
        }
        result.input.checkOpen();
        Gradients g;
        if (reuse != null) {
            if (reuse.closed || reuse.owner() != this) {
                throw new IllegalArgumentException("the gradients to reuse must be open gradients of this cell");
            }
            if (reuse.steps != steps || reuse.batch != batch) {
                throw new IllegalArgumentException("the gradients to reuse hold " + reuse.steps + " steps of "
                        + reuse.batch + " sequences, but the result has " + steps + " of " + batch);
            }
            g = reuse;
        } else {
            g = new Gradients(steps, batch);
        }
        int hidden = hiddenSize;
        int mem = memorySize();
        int in = inputSize;
        int rows = steps * batch;
        // dz starts as the gradient w.r.t. each h_t from outside the recurrence; the recurrent part of step t−1
        // is accumulated into its rows by step t's GEMMs before step t−1 reads them.
        if (dOutput != null) {
            g.dz.copyFrom(dOutput);
        } else {
            g.dz.zero();
        }
        if (dFinalHidden != null) {
            backend.gemm(false, false, batch, hidden, hidden, dFinalHidden, 0, hidden, identity, 0, hidden, null, true,
                    g.dz, (long) (steps - 1) * batch * hidden, hidden);
        }
        if (dFinalMemory != null) {
            g.carry.copyFrom(dFinalMemory);
        } else {
            g.carry.zero();
        }
        Tensor dm = g.carry;
        Tensor dmNext = g.carryNext;
        for (int t = steps - 1; t >= 0; t--) {
            long zAt = (long) t * batch * hidden;
            long uAt = (long) t * batch * channels;
            // dz_t = dh_t ⊙ f'(z_t), in place, f' read off h_t
            backend.activationBackward(activation, batch * hidden, result.output, zAt, g.dz, zAt, g.dz, zAt);
            // the gradient w.r.t. m_t: from later steps, plus dz_t·W_mᵀ
            backend.gemm(false, true, batch, mem, hidden, g.dz, zAt, hidden, kernelMemory.value(), 0, hidden, null,
                    true, dm, 0, mem);
            // du_t = dm_t·B̄ per channel: [B·q, d]·[d, 1]
            backend.gemm(false, false, batch * channels, 1, order, dm, 0, order, bbar, 0, 1, null, false, g.du, uAt,
                    1);
            // dm_{t−1} = dm_t·Ā per channel, plus du_t·e_mᵀ
            backend.gemm(false, false, batch * channels, order, order, dm, 0, order, abar, 0, order, null, false,
                    dmNext, 0, order);
            backend.gemm(false, true, batch, mem, channels, g.du, uAt, channels, encoderMemory.value(), 0, channels,
                    null, true, dmNext, 0, mem);
            Tensor swap = dm;
            dm = dmNext;
            dmNext = swap;
            // dh_{t−1} = dz_t·W_hᵀ + du_t·e_hᵀ, into step t−1's rows of dh, or the initial-state gradient
            Tensor dhPrev = t == 0 ? g.initialHidden : g.dz;
            long dhAt = t == 0 ? 0 : zAt - (long) batch * hidden;
            backend.gemm(false, true, batch, hidden, hidden, g.dz, zAt, hidden, kernelHidden.value(), 0, hidden,
                    null, t != 0, dhPrev, dhAt, hidden);
            backend.gemm(false, true, batch, hidden, channels, g.du, uAt, channels, encoderHidden.value(), 0, channels,
                    null, true, dhPrev, dhAt, hidden);
        }
        g.initialMemory.copyFrom(dm);
        // Weight gradients, one GEMM over all steps each. The states before steps
        // 1..T−1 are output and memory rows 0..T−2; those before step 0 are h0 and m0 (nothing for zeros).
        Tensor x = result.input;
        backend.colSum(rows, hidden, g.dz, 0, hidden, true, bias.grad());
        backend.colSum(rows, channels, g.du, 0, channels, true, encoderBias.grad());
        backend.gemm(true, false, in, hidden, rows, x, 0, in, g.dz, 0, hidden, null, true, kernelInput.grad(), 0,
                hidden);
        backend.gemm(true, false, in, channels, rows, x, 0, in, g.du, 0, channels, null, true, encoderInput.grad(), 0,
                channels);
        backend.gemm(true, false, mem, hidden, rows, result.memory, 0, mem, g.dz, 0, hidden, null, true,
                kernelMemory.grad(), 0, hidden);
        int prev = (steps - 1) * batch;
        if (prev > 0) {
            long zNext = (long) batch * hidden;
            long uNext = (long) batch * channels;
            backend.gemm(true, false, hidden, hidden, prev, result.output, 0, hidden, g.dz, zNext, hidden, null,
                    true, kernelHidden.grad(), 0, hidden);
            backend.gemm(true, false, hidden, channels, prev, result.output, 0, hidden, g.du, uNext, channels, null,
                    true, encoderHidden.grad(), 0, channels);
            backend.gemm(true, false, mem, channels, prev, result.memory, 0, mem, g.du, uNext, channels, null, true,
                    encoderMemory.grad(), 0, channels);
        }
        if (result.h0 != null) {
            backend.gemm(true, false, hidden, hidden, batch, result.h0, 0, hidden, g.dz, 0, hidden, null, true,
                    kernelHidden.grad(), 0, hidden);
            backend.gemm(true, false, hidden, channels, batch, result.h0, 0, hidden, g.du, 0, channels, null, true,
                    encoderHidden.grad(), 0, channels);
        }
        if (result.m0 != null) {
            backend.gemm(true, false, mem, channels, batch, result.m0, 0, mem, g.du, 0, channels, null, true,
                    encoderMemory.grad(), 0, channels);
        }
        // dX = dz·W_xᵀ + du·e_xᵀ
        backend.gemm(false, true, rows, in, hidden, g.dz, 0, hidden, kernelInput.value(), 0, hidden, null, false,
                g.input, 0, in);
        backend.gemm(false, true, rows, in, channels, g.du, 0, channels, encoderInput.value(), 0, channels, null, true,
                g.input, 0, in);
        return g;
    }

    // ---- checks -------------------------------------------------------------------------------------

    private void checkTensor(String what, Tensor t, int rank) {
        Tensor.require(t, what);
        if (t.rank() != rank) {
            throw new IllegalArgumentException(what + " must have rank " + rank + ", got " + t.describe());
        }
        if (t.dtype() != dtype) {
            throw new IllegalArgumentException(what + " is " + t.dtype() + " but the cell computes " + dtype);
        }
        if (t.device() != backend.device()) {
            throw new IllegalArgumentException(what + " is on " + t.device() + " but the cell computes on "
                    + backend.device() + "; copy it first");
        }
    }

    private void checkState(String what, Tensor t, int batch, int width) {
        checkTensor(what, t, 2);
        if (!t.hasShape(batch, width)) {
            throw new IllegalArgumentException(what + " must be [" + batch + ", " + width + "], got " + t.describe());
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the LMU cell is closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            for (Parameter p : parameters) {
                p.close();
            }
            abar.close();
            bbar.close();
            identity.close();
            workspace.close();
        }
    }
}

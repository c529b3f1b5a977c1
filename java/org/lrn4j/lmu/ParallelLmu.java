package org.lrn4j.lmu;

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
import org.lrn4j.tensor.Device;
import org.lrn4j.tensor.Tensor;

/**
 * The parallel Legendre Memory Unit layer (Chilkuri &amp; Eliasmith, ICML 2021):
 * <pre>
 *   u_t = f₁(x_t·Uₓ + b_u)                           u of width memoryD, one channel per column
 *   m_t = Σ_{j≤t} Ā^{t−j} B̄ u_j                      per channel a d-dimensional Legendre memory
 *   o_t = f₂(m_t·W_m + x_t·Wₓ + b_o)
 * </pre>
 * Ā and B̄ are the fixed {@link LegendreSystem} of order d and window θ; the memory of all steps is a causal
 * convolution with the impulse response {@code H_s = Ā^s B̄}, computed at once in one of three ways
 * ({@link MemoryMode}), and the same weights run as an RNN step by step ({@link #step}, {@link #forwardRecurrent}).
 *
 * <p>Parameters: {@code lmu.u_weight} Uₓ [inputSize, memoryD], {@code lmu.u_bias} b_u [memoryD],
 * {@code lmu.m_weight} W_m [memoryD·d, hiddenSize] (row c·d + i reads dimension i of channel c's memory),
 * {@code lmu.x_weight} Wₓ [inputSize, hiddenSize], {@code lmu.o_bias} b_o [hiddenSize]. The weights start
 * Glorot-uniform (seeded), the biases at zero.
 *
 * <p>Shapes: input {@code [T, B, inputSize]}; {@link #forward} gives {@code [T, B, hiddenSize]},
 * {@link #forwardFinal} only the last step, {@code [B, hiddenSize]}. The memory of all steps is kept
 * channel-major, {@code [B·memoryD, T·d]} (channel b·memoryD + c, step t at column t·d), so that a block of
 * steps of one channel is contiguous: the blocked convolution is two GEMMs per block, and W_m reads it as
 * one [T × d] matrix per channel. The final memory ({@link MemoryMode#LAST_STEP}) is {@code [B, memoryD·d]},
 * one GEMM with W_m. The recurrent state is also {@code [B, memoryD·d]}.
 *
 * <p>Results and gradients take their storage from the layer's workspace and give it back on close; passing
 * an old result as {@code reuse} closes it first, so a loop of same-shaped batches stops allocating. The
 * layer serialises its calls (the memory operator caches per-length matrices).
 */
public final class ParallelLmu implements AutoCloseable {
    /*
     * Effective rates of the cost model (FLOP/s), measured in one run of the memory alone (hidden size 4) at
     * T = 784, B = 32, d = 256 on the 2-core AVX2 development machine under load: native blocked 33 GFLOP/s,
     * java blocked 6.8 GFLOP/s, host FFT (N = 2048) 1.4 GFLOP/s. Only their ratios decide; see docs/LMU.md.
     */
    /** Blocked convolution on the native CPU backend's GEMM. */
    static final double NATIVE_GEMM_RATE = 33e9;
    /** Blocked convolution on the pure-Java backend's GEMM. */
    static final double JAVA_GEMM_RATE = 6.8e9;
    /** Blocked convolution on the double-precision reference GEMM (FLOAT64 tensors on host backends): an estimate. */
    static final double REFERENCE_GEMM_RATE = 0.5e9;
    /** The host FFT path (JTransforms, double precision, one thread, copies included). */
    static final double FFT_RATE = 1.4e9;

    private final Backend backend;
    private final DType dtype;
    private final int inputSize;
    private final int memoryD;
    private final int order;
    private final int hiddenSize;
    private final ActivationKind inputActivation;
    private final ActivationKind outputActivation;
    private final MemoryMode mode;
    private final LegendreSystem system;
    private final MemoryConvolution conv;
    private final Workspace workspace;
    private final Parameter uWeight;
    private final Parameter uBias;
    private final Parameter mWeight;
    private final Parameter xWeight;
    private final Parameter oBias;
    private final List<Parameter> parameters;
    private boolean closed;

    private ParallelLmu(Builder b) {
        this.backend = b.backend == null ? Backends.get() : b.backend;
        this.dtype = b.dtype;
        if (!backend.supports(dtype)) {
            throw new IllegalArgumentException("the " + backend.name() + " backend does not compute " + dtype);
        }
        this.inputSize = b.inputSize;
        this.memoryD = b.memoryD;
        this.order = b.order;
        this.hiddenSize = b.hiddenSize;
        this.inputActivation = b.inputActivation;
        this.outputActivation = b.outputActivation;
        this.mode = b.mode;
        this.system = b.euler ? LegendreSystem.euler(order, b.theta) : LegendreSystem.zeroOrderHold(order, b.theta);
        int block = b.blockLength > 0 ? b.blockLength : Math.min(64, Math.max(16, order));
        this.workspace = new Workspace(backend);
        SplittableRandom rng = new SplittableRandom(b.seed);
        this.uWeight = Parameters.make(backend, dtype, "lmu.u_weight",
                glorot(rng, inputSize, memoryD), inputSize, memoryD);
        this.uBias = Parameters.make(backend, dtype, "lmu.u_bias", new double[memoryD], memoryD);
        this.mWeight = Parameters.make(backend, dtype, "lmu.m_weight",
                glorot(rng, memoryD * order, hiddenSize), (long) memoryD * order, hiddenSize);
        this.xWeight = Parameters.make(backend, dtype, "lmu.x_weight",
                glorot(rng, inputSize, hiddenSize), inputSize, hiddenSize);
        this.oBias = Parameters.make(backend, dtype, "lmu.o_bias", new double[hiddenSize], hiddenSize);
        this.parameters = List.of(uWeight, uBias, mWeight, xWeight, oBias);
        this.conv = new MemoryConvolution(backend, dtype, system, block);
    }

    private static double[] glorot(SplittableRandom rng, int fanIn, int fanOut) {
        double bound = Math.sqrt(6.0 / (fanIn + fanOut));
        double[] v = new double[fanIn * fanOut];
        for (int i = 0; i < v.length; i++) {
            v[i] = (2 * rng.nextDouble() - 1) * bound;
        }
        return v;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Backend backend() {
        return backend;
    }

    public DType dtype() {
        return dtype;
    }

    public int inputSize() {
        return inputSize;
    }

    /** Width of u: the number of memory channels per sequence. */
    public int memoryD() {
        return memoryD;
    }

    /** d, the order of each channel's Legendre memory. */
    public int order() {
        return order;
    }

    public double theta() {
        return system.theta();
    }

    public int hiddenSize() {
        return hiddenSize;
    }

    /** memoryD·d: the width of the memory of one sequence at one step (and of the recurrent state). */
    public int stateSize() {
        return memoryD * order;
    }

    public ActivationKind inputActivation() {
        return inputActivation;
    }

    public ActivationKind outputActivation() {
        return outputActivation;
    }

    /** The mode asked for at build time (possibly AUTO). */
    public MemoryMode mode() {
        return mode;
    }

    /** L, the steps per block of {@link MemoryMode#BLOCKED}. */
    public int blockLength() {
        return conv.block();
    }

    /** The fixed memory system (Ā, B̄ and the continuous A, B). */
    public LegendreSystem system() {
        return system;
    }

    /** Uₓ, b_u, W_m, Wₓ, b_o; gradients accumulate in {@link Parameter#grad()}. */
    public List<Parameter> parameters() {
        return parameters;
    }

    public void zeroGrad() {
        for (Parameter p : parameters) {
            p.zeroGrad();
        }
    }

    /**
     * The memory mode a full-sequence forward of T steps and B sequences runs in: the mode asked for, or for
     * AUTO the cheaper of BLOCKED and FFT by this cost model (C = B·memoryD channels, L the block length):
     * <ul>
     * <li>BLOCKED: {@code C·T·(2·L·d + 2·d²)} FLOPs (the Toeplitz GEMM, zeros included, and the carry GEMM) at
     * the backend's GEMM rate (native 33 GFLOP/s, java 6.8 GFLOP/s, FLOAT64 reference 0.5 GFLOP/s);</li>
     * <li>FFT: with N the power of two at or above 2T, {@code C·((d + 1)·2.5·N·log₂N + 3·d·N)} FLOPs (one real
     * FFT per channel, one inverse per channel and memory dimension, the spectral products) at 1.4 GFLOP/s on
     * the host.</li>
     * </ul>
     * On a device backend AUTO always takes BLOCKED (FFT would copy through host memory). The forward and
     * backward passes cost about the same in both modes, so the forward decides.
     */
    public MemoryMode chooseMode(int steps, int batch) {
        positive("steps", steps);
        positive("batch", batch);
        if (mode == MemoryMode.LAST_STEP) {
            throw new IllegalArgumentException("LAST_STEP computes only the final step's memory; use forwardFinal");
        }
        if (mode != MemoryMode.AUTO) {
            return mode;
        }
        if (backend.device() != Device.HOST) {
            return MemoryMode.BLOCKED;
        }
        return fftSeconds(steps, batch) < blockedSeconds(steps, batch) ? MemoryMode.FFT : MemoryMode.BLOCKED;
    }

    /** Seconds the cost model of {@link #chooseMode} gives BLOCKED for one forward memory pass. */
    public double blockedSeconds(int steps, int batch) {
        double channels = (double) batch * memoryD;
        double flops = channels * steps * (2.0 * conv.block() * order + 2.0 * order * order);
        return flops / gemmRate();
    }

    /** Seconds the cost model of {@link #chooseMode} gives FFT for one forward memory pass. */
    public double fftSeconds(int steps, int batch) {
        double channels = (double) batch * memoryD;
        double n = MemoryConvolution.fftLength(steps);
        double flops = channels * ((order + 1) * 2.5 * n * (Math.log(n) / Math.log(2)) + 3.0 * order * n);
        return flops / FFT_RATE;
    }

    private double gemmRate() {
        if (dtype == DType.FLOAT64 || backend.name().equals("reference")) {
            return REFERENCE_GEMM_RATE;
        }
        return backend.name().equals("native") ? NATIVE_GEMM_RATE : JAVA_GEMM_RATE;
    }

    // ---- the parallel forms ------------------------------------------------------------------------

    /** All steps: {@code forward(x, null)}. */
    public Result forward(Tensor x) {
        return forward(x, null);
    }

    /**
     * Runs the layer over all steps of x [T, B, inputSize] with the memory of all steps computed at once
     * ({@link #chooseMode}); the output is [T, B, hiddenSize].
     *
     * @param reuse an earlier result of this layer to recycle (closed here), or null
     */
    public synchronized Result forward(Tensor x, Result reuse) {
        checkOpen();
        if (mode == MemoryMode.LAST_STEP) {
            throw new IllegalArgumentException("this layer was built with MemoryMode.LAST_STEP, which computes only"
                    + " the final step; call forwardFinal, or build it with AUTO, BLOCKED or FFT");
        }
        int[] tb = checkInput(x);
        return run(x, tb[0], tb[1], false, chooseMode(tb[0], tb[1]), reuse);
    }

    /** The final step only: {@code forwardFinal(x, null)}. */
    public Result forwardFinal(Tensor x) {
        return forwardFinal(x, null);
    }

    /**
     * Runs the layer over x [T, B, inputSize] and computes the output of the final step only, [B, hiddenSize]
     * (a classifier reading the last step). AUTO and LAST_STEP compute only the final memory,
     * {@code m_T = Σ_j H_{T−1−j} u_j} (one GEMM); BLOCKED and FFT compute every step's memory and read the last.
     */
    public synchronized Result forwardFinal(Tensor x, Result reuse) {
        checkOpen();
        int[] tb = checkInput(x);
        MemoryMode m = mode == MemoryMode.AUTO ? MemoryMode.LAST_STEP : mode;
        return run(x, tb[0], tb[1], true, m, reuse);
    }

    private Result run(Tensor x, int steps, int batch, boolean finalOnly, MemoryMode m, Result reuse) {
        if (reuse != null) {
            checkOwn(reuse, "reuse");
            reuse.close();
        }
        int channels = batch * memoryD;
        long rows = (long) steps * batch;
        Tensor u = workspace.take(dtype, rows, memoryD);
        Tensor mem = m == MemoryMode.LAST_STEP ? workspace.take(dtype, batch, (long) memoryD * order)
                : workspace.take(dtype, channels, (long) steps * order);
        Tensor out = finalOnly ? workspace.take(dtype, batch, hiddenSize)
                : workspace.take(dtype, steps, batch, hiddenSize);
        Result r = new Result(this, x, u, mem, out, steps, batch, m, finalOnly);
        try {
            // u = f₁(X·Uₓ + b_u), [T·B, M] = [T, C]
            backend.gemm(false, false, (int) rows, memoryD, inputSize, x, 0, inputSize, uWeight.value(), 0, memoryD,
                    uBias.value(), false, u, 0, memoryD);
            backend.activationForward(inputActivation, (int) (rows * memoryD), u, 0, u, 0);
            switch (m) {
                case LAST_STEP -> conv.lastForward(steps, channels, u, mem);
                case BLOCKED -> conv.blockedForward(steps, channels, u, mem);
                case FFT -> conv.fftForward(steps, channels, u, mem);
                default -> throw new IllegalStateException("unresolved mode " + m);
            }
            int ldm = steps * order;
            if (finalOnly) {
                long xLast = (long) (steps - 1) * batch * inputSize;
                backend.gemm(false, false, batch, hiddenSize, inputSize, x, xLast, inputSize, xWeight.value(), 0,
                        hiddenSize, oBias.value(), false, out, 0, hiddenSize);
                if (m == MemoryMode.LAST_STEP) {
                    backend.gemm(false, false, batch, hiddenSize, memoryD * order, mem, 0, memoryD * order,
                            mWeight.value(), 0, hiddenSize, null, true, out, 0, hiddenSize);
                } else {
                    for (int c = 0; c < memoryD; c++) {
                        backend.gemm(false, false, batch, hiddenSize, order, mem, (long) c * ldm + (long) (steps - 1) * order,
                                memoryD * ldm, mWeight.value(), (long) c * order * hiddenSize, hiddenSize, null, true,
                                out, 0, hiddenSize);
                    }
                }
                backend.activationForward(outputActivation, batch * hiddenSize, out, 0, out, 0);
            } else {
                backend.gemm(false, false, (int) rows, hiddenSize, inputSize, x, 0, inputSize, xWeight.value(), 0,
                        hiddenSize, oBias.value(), false, out, 0, hiddenSize);
                for (int b = 0; b < batch; b++) {
                    for (int c = 0; c < memoryD; c++) {
                        backend.gemm(false, false, steps, hiddenSize, order, mem, (long) (b * memoryD + c) * ldm, order,
                                mWeight.value(), (long) c * order * hiddenSize, hiddenSize, null, true,
                                out, (long) b * hiddenSize, batch * hiddenSize);
                    }
                }
                backend.activationForward(outputActivation, (int) (rows * hiddenSize), out, 0, out, 0);
            }
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
        return r;
    }

    /** {@code backward(result, dOutput, null)}. */
    public Gradients backward(Result result, Tensor dOutput) {
        return backward(result, dOutput, null);
    }

    /**
     * The backward pass of a forward call (any mode, the same mode backwards): adds the parameter gradients into
     * {@link Parameter#grad()} and returns the gradient w.r.t. the input [T, B, inputSize].
     *
     * @param result  the open result of {@link #forward} or {@link #forwardFinal} (its input still holding the
     *                values it was called with)
     * @param dOutput the gradient w.r.t. the output, the output's shape
     * @param reuse   earlier gradients of this layer to recycle (closed here), or null
     */
    public synchronized Gradients backward(Result result, Tensor dOutput, Gradients reuse) {
        checkOpen();
        checkOwn(result, "result");
        if (result.closed) {
            throw new IllegalArgumentException("result is closed");
        }
        Tensor.require(dOutput, "dOutput");
        if (!dOutput.hasShape(result.output.shape()) || dOutput.dtype() != dtype || dOutput.device() != backend.device()) {
            throw new IllegalArgumentException("dOutput is " + dOutput.describe() + " but the output is "
                    + result.output.describe());
        }
        if (reuse != null) {
            if (reuse.owner != this) {
                throw new IllegalArgumentException("reuse belongs to another layer");
            }
            reuse.close();
        }
        int steps = result.steps;
        int batch = result.batch;
        int channels = batch * memoryD;
        long rows = (long) steps * batch;
        int ldm = steps * order;
        Tensor x = result.x;
        Tensor dx = workspace.take(dtype, steps, batch, inputSize);
        Gradients g = new Gradients(this, dx);
        long outRows = result.finalOnly ? batch : rows;
        Tensor dz = workspace.take(dtype, outRows, hiddenSize);
        Tensor dm = workspace.take(dtype, result.memory.shape());
        Tensor du = workspace.take(dtype, rows, memoryD);
        Tensor g0 = null;
        Tensor g1 = null;
        try {
            backend.activationBackward(outputActivation, (int) (outRows * hiddenSize), result.output, 0, dOutput, 0,
                    dz, 0);
            backend.colSum((int) outRows, hiddenSize, dz, 0, hiddenSize, true, oBias.grad());
            if (result.finalOnly) {
                long xLast = (long) (steps - 1) * batch * inputSize;
                dx.zero();
                backend.gemm(true, false, inputSize, hiddenSize, batch, x, xLast, inputSize, dz, 0, hiddenSize, null,
                        true, xWeight.grad(), 0, hiddenSize);
                backend.gemm(false, true, batch, inputSize, hiddenSize, dz, 0, hiddenSize, xWeight.value(), 0,
                        hiddenSize, null, false, dx, xLast, inputSize);
                if (result.mode == MemoryMode.LAST_STEP) {
                    int w = memoryD * order;
                    backend.gemm(false, true, batch, w, hiddenSize, dz, 0, hiddenSize, mWeight.value(), 0, hiddenSize,
                            null, false, dm, 0, w);
                    backend.gemm(true, false, w, hiddenSize, batch, result.memory, 0, w, dz, 0, hiddenSize, null, true,
                            mWeight.grad(), 0, hiddenSize);
                } else {
                    dm.zero();
                    for (int c = 0; c < memoryD; c++) {
                        long at = (long) c * ldm + (long) (steps - 1) * order;
                        long wAt = (long) c * order * hiddenSize;
                        backend.gemm(false, true, batch, order, hiddenSize, dz, 0, hiddenSize, mWeight.value(), wAt,
                                hiddenSize, null, false, dm, at, memoryD * ldm);
                        backend.gemm(true, false, order, hiddenSize, batch, result.memory, at, memoryD * ldm, dz, 0,
                                hiddenSize, null, true, mWeight.grad(), wAt, hiddenSize);
                    }
                }
            } else {
                backend.gemm(true, false, inputSize, hiddenSize, (int) rows, x, 0, inputSize, dz, 0, hiddenSize, null,
                        true, xWeight.grad(), 0, hiddenSize);
                backend.gemm(false, true, (int) rows, inputSize, hiddenSize, dz, 0, hiddenSize, xWeight.value(), 0,
                        hiddenSize, null, false, dx, 0, inputSize);
                for (int b = 0; b < batch; b++) {
                    for (int c = 0; c < memoryD; c++) {
                        long at = (long) (b * memoryD + c) * ldm;
                        long wAt = (long) c * order * hiddenSize;
                        backend.gemm(false, true, steps, order, hiddenSize, dz, (long) b * hiddenSize,
                                batch * hiddenSize, mWeight.value(), wAt, hiddenSize, null, false, dm, at, order);
                        backend.gemm(true, false, order, hiddenSize, steps, result.memory, at, order, dz,
                                (long) b * hiddenSize, batch * hiddenSize, null, true, mWeight.grad(), wAt, hiddenSize);
                    }
                }
            }
            switch (result.mode) {
                case LAST_STEP -> conv.lastAdjoint(steps, channels, dm, du);
                case FFT -> conv.fftAdjoint(steps, channels, dm, du);
                case BLOCKED -> {
                    g0 = workspace.take(dtype, channels, order);
                    g1 = workspace.take(dtype, channels, order);
                    conv.blockedAdjoint(steps, channels, dm, du, g0, g1);
                }
                default -> throw new IllegalStateException("unresolved mode " + result.mode);
            }
            backend.activationBackward(inputActivation, (int) (rows * memoryD), result.u, 0, du, 0, du, 0);
            backend.colSum((int) rows, memoryD, du, 0, memoryD, true, uBias.grad());
            backend.gemm(true, false, inputSize, memoryD, (int) rows, x, 0, inputSize, du, 0, memoryD, null, true,
                    uWeight.grad(), 0, memoryD);
            backend.gemm(false, true, (int) rows, inputSize, memoryD, du, 0, memoryD, uWeight.value(), 0, memoryD,
                    null, true, dx, 0, inputSize);
        } catch (RuntimeException e) {
            g.close();
            throw e;
        } finally {
            workspace.give(dz);
            workspace.give(dm);
            workspace.give(du);
            workspace.give(g0);
            workspace.give(g1);
        }
        return g;
    }

    // ---- the recurrent forms -----------------------------------------------------------------------

    /**
     * All steps of x [T, B, inputSize] run as an RNN, {@code m_t = Ā m_{t−1} + B̄ u_t} step by step (two GEMMs
     * per step on the backend), into a new [T, B, hiddenSize] tensor that the caller owns: the same outputs as
     * {@link #forward}, for checking and for a sequence fed at once to a serving loop.
     */
    public synchronized Tensor forwardRecurrent(Tensor x) {
        checkOpen();
        int[] tb = checkInput(x);
        int steps = tb[0];
        int batch = tb[1];
        int channels = batch * memoryD;
        long rows = (long) steps * batch;
        Tensor out = backend.allocate(dtype, steps, batch, hiddenSize);
        Tensor u = workspace.take(dtype, rows, memoryD);
        // time-major memories [T, B, M·d]: row (t, b) is what W_m reads
        Tensor mem = workspace.take(dtype, steps, channels, order);
        try {
            backend.gemm(false, false, (int) rows, memoryD, inputSize, x, 0, inputSize, uWeight.value(), 0, memoryD,
                    uBias.value(), false, u, 0, memoryD);
            backend.activationForward(inputActivation, (int) (rows * memoryD), u, 0, u, 0);
            long stride = (long) channels * order;
            for (int t = 0; t < steps; t++) {
                conv.step(channels, t == 0 ? null : mem, (t - 1) * stride, u, (long) t * channels, mem, t * stride);
            }
            project(x, 0, mem, (int) rows, out);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        } finally {
            workspace.give(u);
            workspace.give(mem);
        }
        return out;
    }

    /** A zero recurrent state for B sequences, for {@link #step}. */
    public State newState(int batch) {
        checkOpen();
        positive("batch", batch);
        return new State(this, batch);
    }

    /**
     * One step of the RNN form: reads x [B, inputSize] and the state, writes o [B, hiddenSize] and advances the
     * state to this step's memory. Feeding a sequence step by step gives the rows of {@link #forward}.
     */
    public synchronized void step(Tensor x, State state, Tensor out) {
        checkOpen();
        Objects.requireNonNull(state, "state");
        if (state.owner != this) {
            throw new IllegalArgumentException("state belongs to another layer");
        }
        if (state.closed) {
            throw new IllegalArgumentException("state is closed");
        }
        int batch = state.batch;
        checkTensor(x, "x", batch, inputSize);
        checkTensor(out, "out", batch, hiddenSize);
        backend.gemm(false, false, batch, memoryD, inputSize, x, 0, inputSize, uWeight.value(), 0, memoryD,
                uBias.value(), false, state.u, 0, memoryD);
        backend.activationForward(inputActivation, batch * memoryD, state.u, 0, state.u, 0);
        conv.step(batch * memoryD, state.memory, 0, state.u, 0, state.spare, 0);
        Tensor t = state.memory;
        state.memory = state.spare;
        state.spare = t;
        project(x, 0, state.memory, batch, out);
    }

    /** out [rows, H] = f₂(x·Wₓ + b_o + mem·W_m) with mem read as [rows, M·d]. */
    private void project(Tensor x, long xOffset, Tensor mem, int rows, Tensor out) {
        int w = memoryD * order;
        backend.gemm(false, false, rows, hiddenSize, inputSize, x, xOffset, inputSize, xWeight.value(), 0, hiddenSize,
                oBias.value(), false, out, 0, hiddenSize);
        backend.gemm(false, false, rows, hiddenSize, w, mem, 0, w, mWeight.value(), 0, hiddenSize, null, true, out, 0,
                hiddenSize);
        backend.activationForward(outputActivation, rows * hiddenSize, out, 0, out, 0);
    }

    // ---- checks ------------------------------------------------------------------------------------

    private int[] checkInput(Tensor x) {
        Tensor.require(x, "x");
        if (x.rank() != 3 || x.dim(2) != inputSize) {
            throw new IllegalArgumentException("x must be [T, B, " + inputSize + "], got " + x.describe());
        }
        if (x.dim(0) < 1 || x.dim(1) < 1) {
            throw new IllegalArgumentException("x needs at least one step and one sequence, got " + x.describe());
        }
        if (x.dtype() != dtype || x.device() != backend.device()) {
            throw new IllegalArgumentException("x is " + x.describe() + " but this layer computes " + dtype + " on "
                    + backend.device());
        }
        long cells = Math.multiplyExact(Math.multiplyExact(x.dim(0), x.dim(1)),
                (long) Math.max(Math.max(inputSize, hiddenSize), memoryD * order));
        if (cells > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("x " + x.describe() + " is too large for one call; split the batch");
        }
        return new int[] {(int) x.dim(0), (int) x.dim(1)};
    }

    private void checkTensor(Tensor t, String what, int rows, int cols) {
        Tensor.require(t, what);
        if (!t.hasShape(rows, cols) || t.dtype() != dtype || t.device() != backend.device()) {
            throw new IllegalArgumentException(what + " must be " + dtype + "[" + rows + ", " + cols + "] on "
                    + backend.device() + ", got " + t.describe());
        }
    }

    private void checkOwn(Result r, String what) {
        Objects.requireNonNull(r, what);
        if (r.owner != this) {
            throw new IllegalArgumentException(what + " belongs to another layer");
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this ParallelLmu is closed");
        }
    }

    private static void positive(String what, long v) {
        if (v < 1) {
            throw new IllegalArgumentException(what + " must be >= 1, got " + v);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Parameter p : parameters) {
            p.close();
        }
        conv.close();
        workspace.close();
    }

    /** What a forward call produced and what its backward pass needs. */
    public static final class Result implements AutoCloseable {
        private final ParallelLmu owner;
        private final Tensor x;
        private final Tensor u;
        private final Tensor memory;
        private final Tensor output;
        private final int steps;
        private final int batch;
        private final MemoryMode mode;
        private final boolean finalOnly;
        private boolean closed;

        private Result(ParallelLmu owner, Tensor x, Tensor u, Tensor memory, Tensor output, int steps, int batch,
                       MemoryMode mode, boolean finalOnly) {
            this.owner = owner;
            this.x = x;
            this.u = u;
            this.memory = memory;
            this.output = output;
            this.steps = steps;
            this.batch = batch;
            this.mode = mode;
            this.finalOnly = finalOnly;
        }

        /** [T, B, hiddenSize], or [B, hiddenSize] for {@link ParallelLmu#forwardFinal}. */
        public Tensor output() {
            return output;
        }

        /**
         * The memory: [B·memoryD, T·d] (channel-major, all steps) for BLOCKED and FFT, [B, memoryD·d] for
         * LAST_STEP.
         */
        public Tensor memory() {
            return memory;
        }

        /** u = f₁(x·Uₓ + b_u), [T·B, memoryD]. */
        public Tensor u() {
            return u;
        }

        public int steps() {
            return steps;
        }

        public int batch() {
            return batch;
        }

        /** The mode the memory was computed in (never AUTO). */
        public MemoryMode mode() {
            return mode;
        }

        /** Whether only the final step's output was computed. */
        public boolean finalOnly() {
            return finalOnly;
        }

        /** Gives the storage back to the layer's workspace; the tensors are closed for the holder. */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            owner.workspace.give(u);
            owner.workspace.give(memory);
            owner.workspace.give(output);
        }
    }

    /** The gradient w.r.t. the input of a forward call. */
    public static final class Gradients implements AutoCloseable {
        private final ParallelLmu owner;
        private final Tensor input;
        private boolean closed;

        private Gradients(ParallelLmu owner, Tensor input) {
            this.owner = owner;
            this.input = input;
        }

        /** [T, B, inputSize]. */
        public Tensor input() {
            return input;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            owner.workspace.give(input);
        }
    }

    /** The recurrent state m of B sequences, [B, memoryD·d], advanced by {@link ParallelLmu#step}. */
    public static final class State implements AutoCloseable {
        private final ParallelLmu owner;
        private final int batch;
        private final Tensor u;
        private Tensor memory;
        private Tensor spare;
        private boolean closed;

        private State(ParallelLmu owner, int batch) {
            this.owner = owner;
            this.batch = batch;
            this.u = owner.backend.allocate(owner.dtype, batch, owner.memoryD);
            this.memory = owner.backend.allocate(owner.dtype, batch, (long) owner.memoryD * owner.order);
            this.spare = owner.backend.allocate(owner.dtype, batch, (long) owner.memoryD * owner.order);
            memory.zero();
        }

        /** The memory after the last step, [B, memoryD·d] (channel c's d values at c·d); writable, to set a state. */
        public Tensor memory() {
            return memory;
        }

        public int batch() {
            return batch;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            u.close();
            memory.close();
            spare.close();
        }
    }

    /** Sizes, functions and memory system of a {@link ParallelLmu}. */
    public static final class Builder {
        private Backend backend;
        private DType dtype = DType.FLOAT32;
        private int inputSize = -1;
        private int memoryD = 1;
        private int order = -1;
        private double theta = Double.NaN;
        private int hiddenSize = -1;
        private ActivationKind inputActivation = ActivationKind.IDENTITY;
        private ActivationKind outputActivation = ActivationKind.TANH;
        private boolean euler;
        private MemoryMode mode = MemoryMode.AUTO;
        private int blockLength;
        private long seed = 1;

        private Builder() {
        }

        /** The backend (default: {@link Backends#get()}). */
        public Builder backend(Backend backend) {
            this.backend = Objects.requireNonNull(backend, "backend");
            return this;
        }

        public Builder dtype(DType dtype) {
            this.dtype = Objects.requireNonNull(dtype, "dtype");
            return this;
        }

        public Builder inputSize(int inputSize) {
            this.inputSize = inputSize;
            return this;
        }

        /** Width of u, the number of memory channels (default 1). */
        public Builder memoryD(int memoryD) {
            this.memoryD = memoryD;
            return this;
        }

        /** d, the Legendre order of each channel's memory. */
        public Builder order(int order) {
            this.order = order;
            return this;
        }

        /** θ, the window the memory spans, in steps. */
        public Builder theta(double theta) {
            this.theta = theta;
            return this;
        }

        public Builder hiddenSize(int hiddenSize) {
            this.hiddenSize = hiddenSize;
            return this;
        }

        /** f₁ (default identity). */
        public Builder inputActivation(ActivationKind f) {
            this.inputActivation = Objects.requireNonNull(f, "inputActivation");
            return this;
        }

        /** f₂ (default tanh). */
        public Builder outputActivation(ActivationKind f) {
            this.outputActivation = Objects.requireNonNull(f, "outputActivation");
            return this;
        }

        /** "zoh" (default) or "euler". */
        public Builder discretisation(String name) {
            Objects.requireNonNull(name, "discretisation");
            switch (name) {
                case "zoh" -> euler = false;
                case "euler" -> euler = true;
                default -> throw new IllegalArgumentException("discretisation must be zoh or euler, got " + name);
            }
            return this;
        }

        /** How the memory is computed (default AUTO). */
        public Builder mode(MemoryMode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** L, the steps per block of BLOCKED (default min(64, max(16, d))). */
        public Builder blockLength(int blockLength) {
            if (blockLength < 1) {
                throw new IllegalArgumentException("blockLength must be >= 1, got " + blockLength);
            }
            this.blockLength = blockLength;
            return this;
        }

        /** Seed of the weight initialisation. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public ParallelLmu build() {
            positive("inputSize", inputSize);
            positive("memoryD", memoryD);
            positive("order", order);
            positive("hiddenSize", hiddenSize);
            if (!(theta > 0) || Double.isInfinite(theta)) {
                throw new IllegalArgumentException("theta must be positive and finite, got " + theta);
            }
            if (!dtype.isFloating()) {
                throw new IllegalArgumentException("dtype must be FLOAT32 or FLOAT64, got " + dtype);
            }
            long width = (long) memoryD * order;
            if (width * Math.max(hiddenSize, 1) > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("memoryD·order·hiddenSize is too large: " + width + "·" + hiddenSize);
            }
            return new ParallelLmu(this);
        }
    }
}

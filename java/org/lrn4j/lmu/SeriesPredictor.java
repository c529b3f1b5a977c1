package org.lrn4j.lmu;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

import org.lrn4j.backend.ActivationKind;
import org.lrn4j.backend.Backend;
import org.lrn4j.nn.Linear;
import org.lrn4j.nn.Lstm;
import org.lrn4j.nn.MeanSquaredError;
import org.lrn4j.nn.Parameter;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * A one-input, one-output sequence regressor: a {@link SequenceCore} that reads the series one value per step
 * and gives features at every step, then a linear readout to one prediction per step, trained on the mean
 * squared error over the scored steps of the batch ({@link MeanSquaredError}: a NaN target is not scored). The Mackey–Glass model of the LMU
 * papers: the parallel LMU in its full-sequence mode, or an LSTM of the same parameter count.
 */
public final class SeriesPredictor implements AutoCloseable {
    private final Backend backend;
    private final DType dtype;
    private final SequenceCore core;
    private final Linear readout;
    private final List<Parameter> parameters;

    /** Sums over the values of a batch, enough for the mean loss and the normalised RMSE. */
    public record Outcome(double squaredErrorSum, double targetSum, double targetSquareSum, long count) {
        public double meanSquaredError() {
            return count == 0 ? Double.NaN : squaredErrorSum / count;
        }

        public Outcome plus(Outcome o) {
            return new Outcome(squaredErrorSum + o.squaredErrorSum, targetSum + o.targetSum,
                    targetSquareSum + o.targetSquareSum, count + o.count);
        }
    }

    SeriesPredictor(Backend backend, DType dtype, SequenceCore core, long seed) {
        this.backend = Objects.requireNonNull(backend);
        this.dtype = dtype;
        this.core = core;
        this.readout = new Linear(backend, dtype, core.outputSize(), 1, true, seed + 7, "readout");
        List<Parameter> all = new ArrayList<>(core.parameters());
        all.addAll(readout.parameters());
        this.parameters = Collections.unmodifiableList(all);
    }

    /** An LSTM of the given hidden size with a linear readout. */
    public static SeriesPredictor lstm(Backend backend, DType dtype, int hidden, long seed) {
        return new SeriesPredictor(backend, dtype, new RecurrentCore(Lstm.builder().backend(backend).dtype(dtype)
                .inputSize(1).hiddenSize(hidden).layers(1).seed(seed).build()), seed);
    }

    /**
     * The parallel LMU over all steps (one memory channel, u = x·Uₓ + b_u, o = tanh(m·W_m + x·Wₓ + b_o), the memory
     * in the mode its cost model picks) with a linear readout.
     */
    public static SeriesPredictor lmu(Backend backend, DType dtype, int order, double theta, int hidden, long seed) {
        return new SeriesPredictor(backend, dtype, new ParallelLmuCore(ParallelLmu.builder().backend(backend).dtype(dtype)
                .inputSize(1).memoryD(1).order(order).theta(theta).hiddenSize(hidden)
                .inputActivation(ActivationKind.IDENTITY).outputActivation(ActivationKind.TANH).seed(seed).build(), false),
                seed);
    }

    /** Parameters of {@link #lmu}: Uₓ and b_u (1 each), W_m (d·H), Wₓ and b_o (H each), the readout's H + 1. */
    public static long lmuParameterCount(int order, int hidden) {
        return 2 + (long) order * hidden + 2L * hidden + hidden + 1;
    }

    /** Parameters of {@link #lstm}: 4H·(1 + H) weights, 4H biases, and the readout's H + 1. */
    public static long lstmParameterCount(int hidden) {
        return 4L * hidden * (1 + hidden) + 4L * hidden + hidden + 1;
    }

    public List<Parameter> parameters() {
        return parameters;
    }

    /** Trainable values in all. */
    public long parameterCount() {
        long n = 0;
        for (Parameter p : parameters) {
            n += p.value().numel();
        }
        return n;
    }

    /**
     * Runs a batch; with {@code train}, also the backward pass of the mean squared error over the scored values
     * (those whose target is not NaN), adding into the parameter gradients.
     *
     * @param x inputs, time-major: x[t·B + b]
     * @param y targets in the same layout
     */
    public Outcome run(float[] x, float[] y, int steps, int batch, boolean train) {
        int rows = Math.multiplyExact(steps, batch);
        if (x.length != rows || y.length != rows) {
            throw new IllegalArgumentException(steps + " steps of " + batch + " sequences need " + rows
                    + " inputs and targets, got " + x.length + " and " + y.length);
        }
        double sum = 0;
        double sq = 0;
        long scored = 0;
        for (float v : y) {
            if (!Float.isNaN(v)) {
                sum += v;
                sq += (double) v * v;
                scored++;
            }
        }
        try (Tensor input = upload(backend, dtype, x, steps, batch, 1);
             Tensor predictions = backend.allocate(dtype, rows, 1)) {
            try {
                Tensor features = core.forward(input, steps, batch);
                readout.forward(rows, features, predictions);
                double error;
                if (train) {
                    error = MeanSquaredError.forwardBackward(predictions, y, 1.0 / Math.max(1, scored), predictions);
                    try (Tensor dFeatures = backend.allocate(dtype, steps, batch, core.outputSize())) {
                        readout.backward(rows, features, predictions, dFeatures);
                        core.backward(dFeatures);
                    }
                } else {
                    error = MeanSquaredError.squaredErrorSum(predictions, y);
                }
                return new Outcome(error, sum, sq, scored);
            } finally {
                core.release();
            }
        }
    }

    /** Values written into a new tensor of the dtype on the backend. */
    static Tensor upload(Backend backend, DType dtype, float[] values, long... shape) {
        if (dtype == DType.FLOAT32) {
            try (Tensor host = Tensor.of(values, shape)) {
                return backend.copyOf(host);
            }
        }
        try (Tensor host = Tensor.host(dtype, shape)) {
            double[] v = new double[values.length];
            for (int i = 0; i < v.length; i++) {
                v[i] = values[i];
            }
            host.write(0, v, 0, v.length);
            return backend.copyOf(host);
        }
    }

    @Override
    public void close() {
        core.close();
        readout.close();
    }
}

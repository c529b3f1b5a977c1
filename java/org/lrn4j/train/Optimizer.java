package org.lrn4j.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.lrn4j.backend.Backend;
import org.lrn4j.nn.Parameter;
import org.lrn4j.tensor.Tensor;

/**
 * Updates parameters from their accumulated gradients with the backend's optimizer kernels. Holds the
 * per-parameter state (moments, velocities) on the parameters' backend; {@link #state()} exposes it by
 * name so that a checkpoint can save it and a resumed run can continue exactly.
 */
public abstract class Optimizer implements AutoCloseable {
    protected final Backend backend;
    protected final List<Parameter> parameters;
    private final Map<String, Tensor> state = new LinkedHashMap<>();
    private double learningRate;
    private long steps;

    protected Optimizer(Backend backend, List<Parameter> parameters, double learningRate) {
        if (parameters.isEmpty()) {
            throw new IllegalArgumentException("nothing to optimise: no parameters");
        }
        this.backend = backend;
        this.parameters = Collections.unmodifiableList(new ArrayList<>(parameters));
        setLearningRate(learningRate);
    }

    /** Zero-filled state of a parameter's shape on its backend, registered under name + "." + suffix. */
    protected final Tensor stateFor(Parameter p, String suffix) {
        Tensor t = backend.allocate(p.value().dtype(), p.value().shape());
        t.zero();
        if (state.putIfAbsent(p.name() + "." + suffix, t) != null) {
            t.close();
            throw new IllegalArgumentException("two parameters are named " + p.name());
        }
        return t;
    }

    /**
     * One update of every parameter from its gradient times {@code gradScale} (gradient clipping; 1 for
     * none). Does not zero the gradients.
     */
    public final void step(double gradScale) {
        steps++;
        update(gradScale, steps);
    }

    protected abstract void update(double gradScale, long step);

    public final double learningRate() {
        return learningRate;
    }

    public final void setLearningRate(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + lr);
        }
        this.learningRate = lr;
    }

    /** Updates done so far. */
    public final long steps() {
        return steps;
    }

    /** Restores the update count of a checkpoint (the state tensors are restored through {@link #state()}). */
    public final void restoreSteps(long steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("steps must be >= 0, got " + steps);
        }
        this.steps = steps;
    }

    /** The optimizer's state tensors by name (parameter name + "." + kind), in a fixed order. */
    public final Map<String, Tensor> state() {
        return Collections.unmodifiableMap(state);
    }

    /** A short description with the hyper-parameters, for logs and checkpoints. */
    public abstract Map<String, Object> config();

    @Override
    public void close() {
        for (Tensor t : state.values()) {
            t.close();
        }
        state.clear();
    }

    /**
     * The global gradient norm √(Σ over parameters of Σ g²), summed in double in a fixed order, and the
     * factor that clips it to {@code maxNorm} (1 when it is already within, or when maxNorm is 0 or less).
     */
    public static double[] clip(Backend backend, List<Parameter> parameters, double maxNorm) {
        double sum = 0;
        for (Parameter p : parameters) {
            sum += backend.sumOfSquares(p.grad());
        }
        double norm = Math.sqrt(sum);
        double scale = maxNorm > 0 && norm > maxNorm ? maxNorm / norm : 1.0;
        return new double[] {norm, scale};
    }
}

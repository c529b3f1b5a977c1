package org.lrn4j.nn;

import java.util.Objects;

import org.lrn4j.tensor.Tensor;

/** A trainable tensor and the gradient that backward passes add into. Owns both. */
public final class Parameter implements AutoCloseable {
    private final String name;
    private final Tensor value;
    private final Tensor grad;

    Parameter(String name, Tensor value, Tensor grad) {
        this.name = Objects.requireNonNull(name);
        this.value = Objects.requireNonNull(value);
        this.grad = Objects.requireNonNull(grad);
    }

    /** "layer0.weight", "layer1.bias", "layer0.ln_gain". */
    public String name() {
        return name;
    }

    public Tensor value() {
        return value;
    }

    /** Accumulated gradient, same shape and device as {@link #value()}. */
    public Tensor grad() {
        return grad;
    }

    /** Sets the gradient to zero. */
    public void zeroGrad() {
        grad.zero();
    }

    @Override
    public void close() {
        value.close();
        grad.close();
    }

    @Override
    public String toString() {
        return name + " " + value.describe();
    }
}

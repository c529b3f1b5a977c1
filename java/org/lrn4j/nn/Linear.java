package org.lrn4j.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

import org.lrn4j.backend.Backend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * A fully connected layer {@code y = x·W + b} over rows of a batch: x is [rows, in], y is [rows, out],
 * W is [in, out] (row-major, so the product is one GEMM with the bias in its epilogue). Weights start
 * uniform in ±1/√in (seeded), the bias at zero.
 */
public final class Linear implements AutoCloseable {
    private final Backend backend;
    private final DType dtype;
    private final int in;
    private final int out;
    private final Parameter weight;
    private final Parameter bias;
    private final List<Parameter> parameters;

    public Linear(Backend backend, DType dtype, int in, int out, boolean withBias, long seed, String name) {
        if (in < 1 || out < 1) {
            throw new IllegalArgumentException("in and out must be >= 1, got " + in + " and " + out);
        }
        this.backend = backend;
        this.dtype = dtype;
        this.in = in;
        this.out = out;
        SplittableRandom rng = new SplittableRandom(seed);
        double bound = 1 / Math.sqrt(in);
        double[] w = new double[Math.multiplyExact(in, out)];
        for (int i = 0; i < w.length; i++) {
            w[i] = (rng.nextDouble() * 2 - 1) * bound;
        }
        List<Parameter> all = new ArrayList<>();
        weight = Parameters.make(backend, dtype, name + ".weight", w, in, out);
        all.add(weight);
        bias = withBias ? Parameters.make(backend, dtype, name + ".bias", new double[out], out) : null;
        if (bias != null) {
            all.add(bias);
        }
        parameters = Collections.unmodifiableList(all);
    }

    public int in() {
        return in;
    }

    public int out() {
        return out;
    }

    public List<Parameter> parameters() {
        return parameters;
    }

    /** y[rows, out] = x[rows, in]·W + b; x and y are read and written from element 0 with rows packed. */
    public void forward(int rows, Tensor x, Tensor y) {
        backend.gemm(false, false, rows, out, in, x, 0, in, weight.value(), 0, out,
                bias == null ? null : bias.value(), false, y, 0, out);
    }

    /**
     * Adds dW += xᵀ·dY and db += Σ dY into the parameter gradients and writes dX = dY·Wᵀ when dX is not
     * null. x is the input of the forward call.
     */
    public void backward(int rows, Tensor x, Tensor dY, Tensor dX) {
        backend.gemm(true, false, in, out, rows, x, 0, in, dY, 0, out, null, true, weight.grad(), 0, out);
        if (bias != null) {
            backend.colSum(rows, out, dY, 0, out, true, bias.grad());
        }
        if (dX != null) {
            backend.gemm(false, true, rows, in, out, dY, 0, out, weight.value(), 0, out, null, false, dX, 0, in);
        }
    }

    @Override
    public void close() {
        for (Parameter p : parameters) {
            p.close();
        }
    }
}

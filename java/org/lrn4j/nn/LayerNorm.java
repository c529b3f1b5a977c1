package org.lrn4j.nn;

import java.util.List;

import org.lrn4j.backend.Backend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * Layer normalization of rows of {@code width} values: {@code y = γ ⊙ (x − mean) / √(var + eps) + β}, γ
 * starting at one and β at zero. The forward pass keeps each row's mean and reciprocal deviation in a
 * {@link Saved} for the backward pass, which adds into γ's and β's gradients.
 */
public final class LayerNorm implements AutoCloseable {
    private final Backend backend;
    private final DType dtype;
    private final int width;
    private final double eps;
    private final Parameter gain;
    private final Parameter shift;

    /** What one forward call keeps for its backward call: per-row statistics [rows]. */
    public static final class Saved implements AutoCloseable {
        private final int rows;
        private final Tensor mean;
        private final Tensor rstd;

        private Saved(int rows, Tensor mean, Tensor rstd) {
            this.rows = rows;
            this.mean = mean;
            this.rstd = rstd;
        }

        @Override
        public void close() {
            mean.close();
            rstd.close();
        }
    }

    public LayerNorm(Backend backend, DType dtype, int width, double eps, String name) {
        if (width < 1 || !(eps > 0)) {
            throw new IllegalArgumentException("width must be >= 1 and eps > 0, got " + width + " and " + eps);
        }
        this.backend = backend;
        this.dtype = dtype;
        this.width = width;
        this.eps = eps;
        double[] ones = new double[width];
        java.util.Arrays.fill(ones, 1.0);
        this.gain = Parameters.make(backend, dtype, name + ".gain", ones, width);
        this.shift = Parameters.make(backend, dtype, name + ".shift", new double[width], width);
    }

    public List<Parameter> parameters() {
        return List.of(gain, shift);
    }

    /** y[rows, width] from x[rows, width] (packed from element 0); y may be x itself. */
    public Saved forward(int rows, Tensor x, Tensor y) {
        Tensor mean = backend.allocate(dtype, Math.max(1, rows));
        Tensor rstd = backend.allocate(dtype, Math.max(1, rows));
        backend.layerNormForward(rows, 1, width, x, 0, width, gain.value(), shift.value(), eps, y, 0, width, mean, rstd);
        return new Saved(rows, mean, rstd);
    }

    /** dX from dY; x is the forward call's input (so y must not have overwritten it). */
    public void backward(Saved saved, Tensor x, Tensor dY, Tensor dX) {
        backend.layerNormBackward(saved.rows, 1, width, x, 0, width, gain.value(), saved.mean, saved.rstd, dY, 0, width,
                dX, 0, width, gain.grad(), shift.grad());
    }

    @Override
    public void close() {
        gain.close();
        shift.close();
    }
}

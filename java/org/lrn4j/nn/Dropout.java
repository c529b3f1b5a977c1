package org.lrn4j.nn;

import java.util.Objects;

import org.lrn4j.backend.Backend;
import org.lrn4j.tensor.Tensor;

/**
 * Inverted dropout: in training each element is kept with probability 1 − p and scaled by 1/(1 − p), or
 * set to 0; at evaluation nothing happens (the module is simply not applied). The mask is a function of a
 * 64-bit seed and the element index ({@link Backend#dropout}), so it needs no storage: the backward pass
 * applies the same mask to the gradient by calling the kernel again with the same seed, and a run seeded
 * by (run seed, update, site) is reproducible and resumes exactly from a checkpoint.
 */
public final class Dropout {
    private final Backend backend;
    private final double p;

    /** @param p the drop probability in [0, 1) */
    public Dropout(Backend backend, double p) {
        this.backend = Objects.requireNonNull(backend);
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("a dropout probability is in [0, 1), got " + p);
        }
        this.p = p;
    }

    public double p() {
        return p;
    }

    /** y = x ⊙ mask(seed) / (1 − p); y may be x. */
    public void forward(Tensor x, Tensor y, long seed) {
        backend.dropout(x, y, p, seed);
    }

    /** dx = dy ⊙ mask(seed) / (1 − p), the mask of the forward call with the same seed; dx may be dy. */
    public void backward(Tensor dy, Tensor dx, long seed) {
        backend.dropout(dy, dx, p, seed);
    }

    /**
     * The seed of one dropout site at one training update: a SplitMix64 mix of the three, so different
     * updates and sites draw independent masks.
     */
    public static long seed(long runSeed, long update, int site) {
        long z = runSeed + 0x9E3779B97F4A7C15L * (update + 1) + 0xD1B54A32D192ED03L * (site + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}

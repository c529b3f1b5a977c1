package org.lrn4j.cli;

import java.util.SplittableRandom;

/**
 * The parameters of one single-layer, unidirectional LSTM, the peer cell of the benchmarks. Gates are
 * stacked in PyTorch's order i, f, g, o (input, forget, cell candidate, output); each library's peer
 * reorders them into its own layout.
 *
 * @param input  input width D
 * @param hidden hidden width H
 * @param w      input weights, [4H, D] row-major
 * @param r      recurrent weights, [4H, H] row-major
 * @param bw     input bias, [4H]
 * @param br     recurrent bias, [4H]
 */
record LstmWeights(int input, int hidden, float[] w, float[] r, float[] bw, float[] br) {
    /** Gate indices in the stacking order of {@link #w}, {@link #r}, {@link #bw} and {@link #br}. */
    static final int I = 0;
    static final int F = 1;
    static final int G = 2;
    static final int O = 3;

    LstmWeights {
        if (input < 1 || hidden < 1) {
            throw new IllegalArgumentException("input and hidden must be >= 1, got " + input + " and " + hidden);
        }
        int rows = 4 * hidden;
        if (w.length != rows * input || r.length != rows * hidden || bw.length != rows || br.length != rows) {
            throw new IllegalArgumentException("weights do not match input " + input + " and hidden " + hidden);
        }
    }

    /** Uniform weights in ±1/√H, PyTorch's default initialisation of an LSTM. */
    static LstmWeights random(long seed, int input, int hidden) {
        SplittableRandom rng = new SplittableRandom(seed);
        double bound = 1 / Math.sqrt(hidden);
        return new LstmWeights(input, hidden, uniform(rng, 4 * hidden * input, bound),
                uniform(rng, 4 * hidden * hidden, bound), uniform(rng, 4 * hidden, bound),
                uniform(rng, 4 * hidden, bound));
    }

    /** Uniform values in (−bound, bound): never all zeros, so a peer that ignores an input shows. */
    static float[] uniform(SplittableRandom rng, int n, double bound) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
        return v;
    }

    /**
     * The rows of one gate of a [4H, cols] matrix (or a [4H] vector with cols = 1), copied into
     * {@code to} at row {@code toGate}·H: how a peer restacks the gates in its own order.
     */
    static void copyGate(float[] from, int gate, float[] to, int toGate, int hidden, int cols) {
        System.arraycopy(from, gate * hidden * cols, to, toGate * hidden * cols, hidden * cols);
    }
}

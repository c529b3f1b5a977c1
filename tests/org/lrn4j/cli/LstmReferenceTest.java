package org.lrn4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** The LSTM reference the peers are checked against: one step by hand, state chaining, gradients by finite differences. */
class LstmReferenceTest {
    private final SplittableRandom rng = new SplittableRandom(5);

    /** D = H = 1 with every weight and bias 0.5 except the recurrent ones: one step written out. */
    @Test
    void oneStepByHand() {
        float[] half = {0.5f, 0.5f, 0.5f, 0.5f};
        LstmWeights w = new LstmWeights(1, 1, half, new float[4], half, new float[4]);
        double a = 0.5 * 2 + 0.5;
        double sig = 1 / (1 + Math.exp(-a));
        double c = 0.3 * sig + sig * Math.tanh(a);
        LstmReference.Forward f = LstmReference.forward(w, new float[] {2}, 1, 1, new float[] {-0.1f}, new float[] {0.3f});
        assertEquals(c, f.c()[0], 1e-7);
        assertEquals(sig * Math.tanh(c), f.h()[0], 1e-7);
        assertEquals(f.h()[0], f.y()[0], 0);
    }

    @Test
    void aSequenceEqualsItsStepsChained() {
        int steps = 3;
        int batch = 2;
        LstmWeights w = LstmWeights.random(1, 5, 4);
        float[] x = LstmWeights.uniform(rng, steps * batch * 5, 1);
        LstmReference.Forward whole = LstmReference.forward(w, x, steps, batch, null, null);
        float[] h = null;
        float[] c = null;
        for (int s = 0; s < steps; s++) {
            float[] xs = java.util.Arrays.copyOfRange(x, s * batch * 5, (s + 1) * batch * 5);
            LstmReference.Forward one = LstmReference.forward(w, xs, 1, batch, h, c);
            h = toFloat(one.h());
            c = toFloat(one.c());
        }
        assertArrayEquals(whole.h(), toDouble(h), 1e-6);
    }

    /** Central differences of Σ y⊙dy against the backward pass, for every input and a spread of weights. */
    @Test
    void gradientsMatchFiniteDifferences() {
        int steps = 4;
        int batch = 2;
        int input = 3;
        int hidden = 5;
        LstmWeights w = LstmWeights.random(2, input, hidden);
        float[] x = LstmWeights.uniform(rng, steps * batch * input, 1);
        float[] dy = LstmWeights.uniform(rng, steps * batch * hidden, 1);
        float[] h0 = LstmWeights.uniform(rng, batch * hidden, 0.5);
        float[] c0 = LstmWeights.uniform(rng, batch * hidden, 0.5);
        LstmReference.Gradients g = LstmReference.backward(w, x, steps, batch, h0, c0, dy);
        for (int i = 0; i < x.length; i++) {
            assertEquals(numeric(w, x, x, i, steps, batch, h0, c0, dy), g.dx()[i], 1e-6, "dx " + i);
        }
        for (int i = 0; i < w.w().length; i += 7) {
            assertEquals(numeric(w, x, w.w(), i, steps, batch, h0, c0, dy), g.dw()[i], 1e-6, "dw " + i);
        }
        for (int i = 0; i < w.r().length; i += 5) {
            assertEquals(numeric(w, x, w.r(), i, steps, batch, h0, c0, dy), g.dr()[i], 1e-6, "dr " + i);
        }
        for (int i = 0; i < w.bw().length; i++) {
            assertEquals(numeric(w, x, w.bw(), i, steps, batch, h0, c0, dy), g.db()[i], 1e-6, "db " + i);
        }
    }

    /** d(Σ y⊙dy)/d values[i] by central differences; values is x or one of w's arrays, changed in place and restored. */
    private static double numeric(LstmWeights w, float[] x, float[] values, int i, int steps, int batch, float[] h0,
                                  float[] c0, float[] dy) {
        float saved = values[i];
        float eps = 1e-3f;
        values[i] = saved + eps;
        double plus = loss(w, x, steps, batch, h0, c0, dy);
        values[i] = saved - eps;
        double minus = loss(w, x, steps, batch, h0, c0, dy);
        values[i] = saved;
        return (plus - minus) / ((double) (saved + eps) - (double) (saved - eps));
    }

    private static double loss(LstmWeights w, float[] x, int steps, int batch, float[] h0, float[] c0, float[] dy) {
        double[] y = LstmReference.forward(w, x, steps, batch, h0, c0).y();
        double sum = 0;
        for (int k = 0; k < y.length; k++) {
            sum += y[k] * dy[k];
        }
        return sum;
    }

    private static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}

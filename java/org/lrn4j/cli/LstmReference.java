package org.lrn4j.cli;

import static org.lrn4j.cli.LstmWeights.F;
import static org.lrn4j.cli.LstmWeights.G;
import static org.lrn4j.cli.LstmWeights.I;
import static org.lrn4j.cli.LstmWeights.O;

/**
 * A plain LSTM in double precision, written for reading, not speed: what the LSTM peers of
 * {@code lrn4j bench cpu} are checked against. Per step, with a = W·x_t + b_w + R·h₋₁ + b_r split into the
 * gates i, f, g, o: {@code i = σ(a_i)}, {@code f = σ(a_f)}, {@code g = tanh(a_g)}, {@code o = σ(a_o)},
 * {@code c = f⊙c₋₁ + i⊙g}, {@code h = o⊙tanh(c)}. Layouts are time-major: x [T, B, D], y [T, B, H], states
 * [B, H]; a null initial state is zeros.
 */
final class LstmReference {
    private LstmReference() {
    }

    /** The outputs of every step, y [T, B, H], and the state after the last, h and c [B, H]. */
    record Forward(double[] y, double[] h, double[] c) {
    }

    /**
     * Gradients of Σ y⊙dy: input dx [T, B, D], weights dw [4H, D] and dr [4H, H], bias db [4H] (the same
     * for the input and the recurrent bias, which only ever appear summed).
     */
    record Gradients(double[] dx, double[] dw, double[] dr, double[] db) {
    }

    static Forward forward(LstmWeights p, float[] x, int steps, int batch, float[] h0, float[] c0) {
        Trace t = run(p, x, steps, batch, h0, c0);
        int hidden = p.hidden();
        double[] y = new double[steps * batch * hidden];
        for (int s = 0; s < steps; s++) {
            System.arraycopy(t.h[s + 1], 0, y, s * batch * hidden, batch * hidden);
        }
        return new Forward(y, t.h[steps], t.c[steps]);
    }

    /** Backpropagation through time from dy [T, B, H] (no gradient arrives at the final state). */
    static Gradients backward(LstmWeights p, float[] x, int steps, int batch, float[] h0, float[] c0, float[] dy) {
        int in = p.input();
        int hidden = p.hidden();
        int rows = 4 * hidden;
        Trace t = run(p, x, steps, batch, h0, c0);
        double[] dx = new double[steps * batch * in];
        double[] dw = new double[rows * in];
        double[] dr = new double[rows * hidden];
        double[] db = new double[rows];
        double[] dhNext = new double[batch * hidden];
        double[] dcNext = new double[batch * hidden];
        double[] da = new double[rows];
        for (int s = steps - 1; s >= 0; s--) {
            double[] dhPrev = new double[batch * hidden];
            double[] dcPrev = new double[batch * hidden];
            for (int b = 0; b < batch; b++) {
                double[] gates = t.gates[s];
                int gb = b * rows;
                for (int j = 0; j < hidden; j++) {
                    int bj = b * hidden + j;
                    double i = gates[gb + I * hidden + j];
                    double f = gates[gb + F * hidden + j];
                    double g = gates[gb + G * hidden + j];
                    double o = gates[gb + O * hidden + j];
                    double tc = Math.tanh(t.c[s + 1][bj]);
                    double dh = dy[(s * batch + b) * hidden + j] + dhNext[bj];
                    double dc = dcNext[bj] + dh * o * (1 - tc * tc);
                    da[I * hidden + j] = dc * g * i * (1 - i);
                    da[F * hidden + j] = dc * t.c[s][bj] * f * (1 - f);
                    da[G * hidden + j] = dc * i * (1 - g * g);
                    da[O * hidden + j] = dh * tc * o * (1 - o);
                    dcPrev[bj] = dc * f;
                }
                int xb = (s * batch + b) * in;
                for (int row = 0; row < rows; row++) {
                    double d = da[row];
                    db[row] += d;
                    for (int k = 0; k < in; k++) {
                        dw[row * in + k] += d * x[xb + k];
                        dx[xb + k] += p.w()[row * in + k] * d;
                    }
                    for (int k = 0; k < hidden; k++) {
                        dr[row * hidden + k] += d * t.h[s][b * hidden + k];
                        dhPrev[b * hidden + k] += p.r()[row * hidden + k] * d;
                    }
                }
            }
            dhNext = dhPrev;
            dcNext = dcPrev;
        }
        return new Gradients(dx, dw, dr, db);
    }

    /** Every step's gate activations [B, 4H] and the states h, c [B, H] before (index s) and after (s + 1) step s. */
    private record Trace(double[][] gates, double[][] h, double[][] c) {
    }

    private static Trace run(LstmWeights p, float[] x, int steps, int batch, float[] h0, float[] c0) {
        int in = p.input();
        int hidden = p.hidden();
        int rows = 4 * hidden;
        if (x.length != steps * batch * in) {
            throw new IllegalArgumentException("x has " + x.length + " values, not T·B·D = " + steps * batch * in);
        }
        double[][] gates = new double[steps][batch * rows];
        double[][] h = new double[steps + 1][batch * hidden];
        double[][] c = new double[steps + 1][batch * hidden];
        for (int k = 0; k < batch * hidden; k++) {
            h[0][k] = h0 == null ? 0 : h0[k];
            c[0][k] = c0 == null ? 0 : c0[k];
        }
        for (int s = 0; s < steps; s++) {
            for (int b = 0; b < batch; b++) {
                double[] a = gates[s];
                int gb = b * rows;
                int xb = (s * batch + b) * in;
                for (int row = 0; row < rows; row++) {
                    double sum = (double) p.bw()[row] + p.br()[row];
                    for (int k = 0; k < in; k++) {
                        sum += (double) p.w()[row * in + k] * x[xb + k];
                    }
                    for (int k = 0; k < hidden; k++) {
                        sum += p.r()[row * hidden + k] * h[s][b * hidden + k];
                    }
                    a[gb + row] = row / hidden == G ? Math.tanh(sum) : 1 / (1 + Math.exp(-sum));
                }
                for (int j = 0; j < hidden; j++) {
                    int bj = b * hidden + j;
                    c[s + 1][bj] = a[gb + F * hidden + j] * c[s][bj] + a[gb + I * hidden + j] * a[gb + G * hidden + j];
                    h[s + 1][bj] = a[gb + O * hidden + j] * Math.tanh(c[s + 1][bj]);
                }
            }
        }
        return new Trace(gates, h, c);
    }
}

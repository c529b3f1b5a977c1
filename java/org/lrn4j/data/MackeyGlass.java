package org.lrn4j.data;

import java.util.SplittableRandom;

/**
 * The Mackey–Glass delay differential equation (Mackey &amp; Glass 1977), a standard chaotic time series:
 * <pre>
 *   dx/dt = β·x(t−τ) / (1 + x(t−τ)ⁿ) − γ·x(t)
 * </pre>
 * with β = 0.2, γ = 0.1, n = 10 and τ = 17 by default (chaotic for τ above about 16.8; periodic below).
 *
 * <p><b>Integration.</b> Classical fourth-order Runge–Kutta with a fixed step h = 1/{@link Options#stepsPerUnit}
 * (default 1/20, so τ is a whole number of steps and the delayed value at a step's start and end is a stored
 * grid value); the delayed value at a step's midpoint is the four-point cubic interpolation
 * {@code (−x[j−1] + 9x[j] + 9x[j+1] − x[j+2]) / 16} of the stored history, of the same order as the scheme.
 * The history before t = 0 is a constant drawn from the seed in [0.9, 1.3] plus independent uniform noise of
 * ±0.01 per grid point (so different seeds start on different trajectories); the first
 * {@link Options#transientUnits} time units are discarded, and the series is the solution sampled at unit
 * intervals after that.
 */
public final class MackeyGlass {
    /**
     * Parameters of the equation and of its integration.
     *
     * @param beta            β, production rate
     * @param gamma           γ, decay rate
     * @param n               exponent of the nonlinearity
     * @param tau             delay in time units (a positive whole number)
     * @param stepsPerUnit    Runge–Kutta steps per time unit
     * @param transientUnits  time units integrated and discarded before sampling
     */
    public record Options(double beta, double gamma, double n, int tau, int stepsPerUnit, int transientUnits) {
        public Options {
            if (!(beta > 0) || !(gamma > 0) || !(n > 0) || !Double.isFinite(beta + gamma + n)) {
                throw new IllegalArgumentException("β, γ and n must be finite and positive, got " + beta + ", " + gamma
                        + ", " + n);
            }
            if (tau < 1 || stepsPerUnit < 1 || transientUnits < 0) {
                throw new IllegalArgumentException("need τ ≥ 1, steps per unit ≥ 1, transient ≥ 0; got " + tau + ", "
                        + stepsPerUnit + ", " + transientUnits);
            }
            if ((long) tau * stepsPerUnit < 2 || (long) tau * stepsPerUnit > 10_000_000) {
                throw new IllegalArgumentException("τ·stepsPerUnit must be in [2, 10⁷], got " + (long) tau * stepsPerUnit);
            }
        }

        /** β 0.2, γ 0.1, n 10, τ 17; 20 steps per unit; 1,000 units of transient. */
        public static Options defaults() {
            return new Options(0.2, 0.1, 10, 17, 20, 1000);
        }

        /** The defaults with another delay. */
        public Options withTau(int newTau) {
            return new Options(beta, gamma, n, newTau, stepsPerUnit, transientUnits);
        }
    }

    private MackeyGlass() {
    }

    /** {@code length} samples at unit intervals with the default options, history drawn from seed. */
    public static double[] series(int length, long seed) {
        return series(Options.defaults(), length, seed);
    }

    /** {@code length} samples at unit intervals, the initial history drawn from seed (see the class comment). */
    public static double[] series(Options o, int length, long seed) {
        return integrate(o, history(o, seed), length);
    }

    /** The seeded initial history: τ·stepsPerUnit + 1 grid values on [−τ, 0], the last at t = 0. */
    public static double[] history(Options o, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double base = 0.9 + 0.4 * rng.nextDouble();
        double[] h = new double[o.tau() * o.stepsPerUnit() + 1];
        for (int i = 0; i < h.length; i++) {
            h[i] = base + 0.02 * (rng.nextDouble() - 0.5);
        }
        return h;
    }

    /**
     * Integrates from a given history (grid values on [−τ, 0], τ·stepsPerUnit + 1 of them, the last at t = 0)
     * through the transient, then returns {@code length} samples at unit intervals (the first one unit after the
     * transient ends).
     */
    public static double[] integrate(Options o, double[] history, int length) {
        int delay = o.tau() * o.stepsPerUnit();
        if (history.length != delay + 1) {
            throw new IllegalArgumentException("the history needs τ·stepsPerUnit + 1 = " + (delay + 1) + " values, got "
                    + history.length);
        }
        if (length < 0) {
            throw new IllegalArgumentException("length must be >= 0, got " + length);
        }
        for (double v : history) {
            if (!(v >= 0) || !Double.isFinite(v)) {
                throw new IllegalArgumentException("history values must be finite and >= 0, got " + v);
            }
        }
        double h = 1.0 / o.stepsPerUnit();
        // ring buffer of the last delay + 3 grid values (x[k - delay - 1] is the oldest the midpoint rule reads)
        int cap = delay + 3;
        double[] ring = new double[cap];
        // grid index j (time j·h) lives at ring[j mod cap]; history index i is grid j = i − delay; k is "now"
        for (int i = 0; i <= delay; i++) {
            ring[(int) Math.floorMod(i - delay, (long) cap)] = history[i];
        }
        long k = 0;
        double[] out = new double[length];
        long total = (long) (o.transientUnits() + length) * o.stepsPerUnit();
        double x = history[delay];
        for (long step = 0; step < total; step++) {
            long j0 = k - delay;
            double dStart = at(ring, cap, j0);
            double dEnd = at(ring, cap, j0 + 1);
            // before the history's first point the history is taken as constant
            double dMid = (-at(ring, cap, Math.max(j0 - 1, -delay)) + 9 * dStart + 9 * dEnd - at(ring, cap, j0 + 2)) / 16;
            double k1 = rate(o, x, dStart);
            double k2 = rate(o, x + 0.5 * h * k1, dMid);
            double k3 = rate(o, x + 0.5 * h * k2, dMid);
            double k4 = rate(o, x + h * k3, dEnd);
            x += h / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
            k++;
            ring[(int) Math.floorMod(k, (long) cap)] = x;
            long unitsDone = k / o.stepsPerUnit();
            if (k % o.stepsPerUnit() == 0 && unitsDone > o.transientUnits()) {
                out[(int) (unitsDone - o.transientUnits() - 1)] = x;
            }
        }
        return out;
    }

    private static double at(double[] ring, int cap, long j) {
        return ring[(int) Math.floorMod(j, (long) cap)];
    }

    private static double rate(Options o, double x, double delayed) {
        return o.beta() * delayed / (1 + Math.pow(delayed, o.n())) - o.gamma() * x;
    }
}

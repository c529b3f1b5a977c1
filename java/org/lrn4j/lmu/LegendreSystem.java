package org.lrn4j.lmu;

/**
 * The linear time-invariant memory of the Legendre Memory Unit (Voelker, Kajić &amp; Eliasmith, NeurIPS 2019):
 * the continuous system {@code θ·ṁ(t) = A m(t) + B u(t)} of order d whose state holds the coefficients of the
 * shifted Legendre polynomials that best fit the input over the last θ time units, discretised with a unit
 * time step into {@code m_t = Ā m_{t−1} + B̄ u_t}.
 *
 * <p>Continuous matrices (i, j from 0 to d−1), already divided by θ:
 * {@code A_ij = (2i+1)·(−1 if i < j, else (−1)^(i−j+1)) / θ}, {@code B_i = (2i+1)·(−1)^i / θ}.
 *
 * <p>Discretisations: zero-order hold, {@code Ā = e^A}, {@code B̄ = ∫₀¹ e^{As} ds · B}, both read off the
 * exponential of the augmented matrix {@code [[A, B], [0, 0]]} (top-left block Ā, top-right column B̄), which
 * is computed by a diagonal Padé approximant with scaling and squaring; and Euler, {@code Ā = I + A},
 * {@code B̄ = B}. Everything is in double precision; layers round to their dtype once, at the end.
 *
 * <p>The impulse response {@code H_s = Ā^s B̄} turns the recurrence into a causal convolution,
 * {@code m_t = Σ_{j≤t} H_{t−j} u_j} (Chilkuri &amp; Eliasmith, ICML 2021).
 */
public final class LegendreSystem {
    /** Degree of the diagonal Padé approximant; with the scaled norm at most {@link #PADE_NORM} its error is below 1e-17. */
    private static final int PADE_DEGREE = 8;
    /** Largest 1-norm the augmented matrix is scaled to before the Padé approximant. */
    private static final double PADE_NORM = 0.5;

    private final int order;
    private final double theta;
    private final String discretisation;
    private final double[][] a;
    private final double[] b;
    private final double[][] abar;
    private final double[] bbar;

    private LegendreSystem(int order, double theta, String discretisation, double[][] a, double[] b,
                           double[][] abar, double[] bbar) {
        this.order = order;
        this.theta = theta;
        this.discretisation = discretisation;
        this.a = a;
        this.b = b;
        this.abar = abar;
        this.bbar = bbar;
    }

    /** The system of the given order and window θ (in time steps), discretised by zero-order hold. */
    public static LegendreSystem zeroOrderHold(int order, double theta) {
        check(order, theta);
        double[][] a = continuousA(order, theta);
        double[] b = continuousB(order, theta);
        int n = order + 1;
        double[][] aug = new double[n][n];
        for (int i = 0; i < order; i++) {
            System.arraycopy(a[i], 0, aug[i], 0, order);
            aug[i][order] = b[i];
        }
        double[][] e = expm(aug);
        double[][] abar = new double[order][order];
        double[] bbar = new double[order];
        for (int i = 0; i < order; i++) {
            System.arraycopy(e[i], 0, abar[i], 0, order);
            bbar[i] = e[i][order];
        }
        return new LegendreSystem(order, theta, "zoh", a, b, abar, bbar);
    }

    /** The system of the given order and window θ (in time steps), discretised by the forward Euler step. */
    public static LegendreSystem euler(int order, double theta) {
        check(order, theta);
        double[][] a = continuousA(order, theta);
        double[] b = continuousB(order, theta);
        double[][] abar = new double[order][order];
        for (int i = 0; i < order; i++) {
            for (int j = 0; j < order; j++) {
                abar[i][j] = a[i][j] + (i == j ? 1.0 : 0.0);
            }
        }
        return new LegendreSystem(order, theta, "euler", a, b, abar, b.clone());
    }

    public int order() {
        return order;
    }

    public double theta() {
        return theta;
    }

    /** {@code "zoh"} or {@code "euler"}. */
    public String discretisation() {
        return discretisation;
    }

    /** A (divided by θ), a copy. */
    public double[][] continuousA() {
        return copy(a);
    }

    /** B (divided by θ), a copy. */
    public double[] continuousB() {
        return b.clone();
    }

    /** Ā, a copy. */
    public double[][] a() {
        return copy(abar);
    }

    /** B̄, a copy. */
    public double[] b() {
        return bbar.clone();
    }

    /** {@code [length][order]}: row s is {@code Ā^s B̄}. */
    public double[][] impulseResponse(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("impulse response length must be >= 0, got " + length);
        }
        double[][] h = new double[length][];
        if (length == 0) {
            return h;
        }
        h[0] = bbar.clone();
        for (int s = 1; s < length; s++) {
            h[s] = multiply(abar, h[s - 1]);
        }
        return h;
    }

    private static void check(int order, double theta) {
        if (order < 1) {
            throw new IllegalArgumentException("Legendre order must be >= 1, got " + order);
        }
        if (!(theta > 0) || Double.isInfinite(theta)) {
            throw new IllegalArgumentException("theta must be positive and finite, got " + theta);
        }
    }

    private static double[][] continuousA(int order, double theta) {
        double[][] a = new double[order][order];
        for (int i = 0; i < order; i++) {
            for (int j = 0; j < order; j++) {
                double sign = i < j ? -1.0 : ((i - j + 1) % 2 == 0 ? 1.0 : -1.0);
                a[i][j] = (2 * i + 1) * sign / theta;
            }
        }
        return a;
    }

    private static double[] continuousB(int order, double theta) {
        double[] b = new double[order];
        for (int i = 0; i < order; i++) {
            b[i] = (2 * i + 1) * (i % 2 == 0 ? 1.0 : -1.0) / theta;
        }
        return b;
    }

    /**
     * e^M by the [q/q] Padé approximant {@code D(X)⁻¹N(X)} of {@code X = M/2^s}, s chosen so that
     * {@code ‖X‖₁ ≤ 1/2}, then s squarings. N(X) = Σ c_k X^k and D(X) = Σ c_k (−X)^k with
     * {@code c_k = (2q−k)! q! / ((2q)! k! (q−k)!)}; the relative truncation error is about
     * {@code (q!)²/((2q)!(2q+1)!)·‖X‖^{2q+1}}, below 1e-17 for q = 8 at ‖X‖ = 1/2.
     */
    static double[][] expm(double[][] m) {
        int n = m.length;
        double norm = 0;
        for (int j = 0; j < n; j++) {
            double col = 0;
            for (int i = 0; i < n; i++) {
                col += Math.abs(m[i][j]);
            }
            norm = Math.max(norm, col);
        }
        int squarings = 0;
        if (norm > PADE_NORM) {
            squarings = (int) Math.ceil(Math.log(norm / PADE_NORM) / Math.log(2));
        }
        double scale = Math.scalb(1.0, -squarings);
        double[][] x = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                x[i][j] = m[i][j] * scale;
            }
        }
        double[][] num = identity(n);
        double[][] den = identity(n);
        double[][] power = identity(n);
        double c = 1.0;
        int q = PADE_DEGREE;
        for (int k = 1; k <= q; k++) {
            c = c * (q - k + 1) / ((double) k * (2 * q - k + 1));
            power = multiply(power, x);
            double sign = (k % 2 == 0) ? 1.0 : -1.0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    num[i][j] += c * power[i][j];
                    den[i][j] += sign * c * power[i][j];
                }
            }
        }
        double[][] e = solve(den, num);
        for (int s = 0; s < squarings; s++) {
            e = multiply(e, e);
        }
        return e;
    }

    /** D⁻¹N by Gaussian elimination with partial pivoting (D is well conditioned for ‖X‖ ≤ 1/2). */
    private static double[][] solve(double[][] d, double[][] rhs) {
        int n = d.length;
        double[][] a = copy(d);
        double[][] x = copy(rhs);
        for (int col = 0; col < n; col++) {
            int pivot = col;
            for (int r = col + 1; r < n; r++) {
                if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) {
                    pivot = r;
                }
            }
            double[] t = a[col];
            a[col] = a[pivot];
            a[pivot] = t;
            t = x[col];
            x[col] = x[pivot];
            x[pivot] = t;
            double inv = 1.0 / a[col][col];
            for (int r = col + 1; r < n; r++) {
                double f = a[r][col] * inv;
                if (f == 0) {
                    continue;
                }
                for (int k = col; k < n; k++) {
                    a[r][k] -= f * a[col][k];
                }
                for (int k = 0; k < n; k++) {
                    x[r][k] -= f * x[col][k];
                }
            }
        }
        for (int col = n - 1; col >= 0; col--) {
            double inv = 1.0 / a[col][col];
            for (int k = 0; k < n; k++) {
                x[col][k] *= inv;
            }
            for (int r = 0; r < col; r++) {
                double f = a[r][col];
                if (f == 0) {
                    continue;
                }
                for (int k = 0; k < n; k++) {
                    x[r][k] -= f * x[col][k];
                }
            }
        }
        return x;
    }

    static double[][] multiply(double[][] p, double[][] q) {
        int n = p.length;
        int m = q[0].length;
        int k = q.length;
        double[][] r = new double[n][m];
        for (int i = 0; i < n; i++) {
            double[] ri = r[i];
            for (int l = 0; l < k; l++) {
                double pil = p[i][l];
                if (pil == 0) {
                    continue;
                }
                double[] ql = q[l];
                for (int j = 0; j < m; j++) {
                    ri[j] += pil * ql[j];
                }
            }
        }
        return r;
    }

    static double[] multiply(double[][] p, double[] v) {
        double[] r = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            double s = 0;
            double[] pi = p[i];
            for (int j = 0; j < v.length; j++) {
                s += pi[j] * v[j];
            }
            r[i] = s;
        }
        return r;
    }

    private static double[][] identity(int n) {
        double[][] r = new double[n][n];
        for (int i = 0; i < n; i++) {
            r[i][i] = 1.0;
        }
        return r;
    }

    private static double[][] copy(double[][] m) {
        double[][] r = new double[m.length][];
        for (int i = 0; i < m.length; i++) {
            r[i] = m[i].clone();
        }
        return r;
    }
}

package org.lrn4j.lmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Legendre system against its definition: A and B entry by entry, the zero-order hold against two
 * independent computations (a Taylor series of the augmented matrix with many squarings, and the ODE
 * integrated by small RK4 steps), Euler, the impulse response, and the memory of a constant input.
 */
class LegendreSystemTest {

    @Test
    void continuousMatricesFollowTheFormula() {
        LegendreSystem s = LegendreSystem.zeroOrderHold(4, 2.0);
        // Rows i = 0..3; A_ij = (2i+1)·(−1 if i < j else (−1)^(i−j+1)), B_i = (2i+1)(−1)^i, all over θ = 2.
        double[][] expectA = {
            {-1, -1, -1, -1},
            {3, -3, -3, -3},
            {-5, 5, -5, -5},
            {7, -7, 7, -7}
        };
        double[] expectB = {1, -3, 5, -7};
        double[][] a = s.continuousA();
        double[] b = s.continuousB();
        for (int i = 0; i < 4; i++) {
            assertEquals(expectB[i] / 2.0, b[i], 0.0, "B[" + i + "]");
            for (int j = 0; j < 4; j++) {
                assertEquals(expectA[i][j] / 2.0, a[i][j], 0.0, "A[" + i + "][" + j + "]");
            }
        }
        assertEquals(4, s.order());
        assertEquals(2.0, s.theta());
        assertEquals("zoh", s.discretisation());
    }

    @ParameterizedTest(name = "order {0}, theta {1}")
    @CsvSource({"1, 1.0", "3, 0.7", "6, 4.0", "12, 10.0", "17, 30.0"})
    void zeroOrderHoldMatchesTaylorSeriesWithManySquarings(int order, double theta) {
        LegendreSystem s = LegendreSystem.zeroOrderHold(order, theta);
        int n = order + 1;
        double[][] aug = new double[n][n];
        double[][] a = s.continuousA();
        double[] b = s.continuousB();
        for (int i = 0; i < order; i++) {
            System.arraycopy(a[i], 0, aug[i], 0, order);
            aug[i][order] = b[i];
        }
        // Scale to a 1-norm of at most 1/16 (three to four squarings more than the Padé path uses); 20 Taylor
        // terms are then exact to rounding. More squarings would not help: each one doubles the rounding error.
        double norm = 0;
        for (int j = 0; j < n; j++) {
            double col = 0;
            for (int i = 0; i < n; i++) {
                col += Math.abs(aug[i][j]);
            }
            norm = Math.max(norm, col);
        }
        int squarings = Math.max(0, (int) Math.ceil(Math.log(norm * 16) / Math.log(2)));
        double scale = Math.scalb(1.0, -squarings);
        double[][] x = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                x[i][j] = aug[i][j] * scale;
            }
        }
        double[][] e = new double[n][n];
        double[][] term = new double[n][n];
        for (int i = 0; i < n; i++) {
            e[i][i] = 1;
            term[i][i] = 1;
        }
        for (int k = 1; k <= 20; k++) {
            term = LegendreSystem.multiply(term, x);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    term[i][j] /= k;
                    e[i][j] += term[i][j];
                }
            }
        }
        for (int q = 0; q < squarings; q++) {
            e = LegendreSystem.multiply(e, e);
        }
        double[][] abar = s.a();
        double[] bbar = s.b();
        for (int i = 0; i < order; i++) {
            assertClose(e[i][order], bbar[i], 1e-12, "Bbar[" + i + "]");
            for (int j = 0; j < order; j++) {
                assertClose(e[i][j], abar[i][j], 1e-12, "Abar[" + i + "][" + j + "]");
            }
        }
    }

    @ParameterizedTest(name = "order {0}, theta {1}")
    @CsvSource({"4, 3.0", "8, 12.0"})
    void zeroOrderHoldMatchesTheOdeIntegratedByRk4(int order, double theta) {
        LegendreSystem s = LegendreSystem.zeroOrderHold(order, theta);
        double[][] a = s.continuousA();
        double[] b = s.continuousB();
        double[][] abar = s.a();
        double[] bbar = s.b();
        // Column j of Abar: the state at t = 1 from m(0) = e_j, u = 0. Bbar: from m(0) = 0, u = 1 on [0, 1].
        for (int col = 0; col <= order; col++) {
            double[] m = new double[order];
            double u = col == order ? 1.0 : 0.0;
            if (col < order) {
                m[col] = 1.0;
            }
            int steps = 4000;
            double h = 1.0 / steps;
            for (int t = 0; t < steps; t++) {
                double[] k1 = derivative(a, b, m, u);
                double[] k2 = derivative(a, b, axpy(m, k1, h / 2), u);
                double[] k3 = derivative(a, b, axpy(m, k2, h / 2), u);
                double[] k4 = derivative(a, b, axpy(m, k3, h), u);
                for (int i = 0; i < order; i++) {
                    m[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
                }
            }
            for (int i = 0; i < order; i++) {
                double expected = col < order ? abar[i][col] : bbar[i];
                assertClose(m[i], expected, 1e-12, "column " + col + " row " + i);
            }
        }
    }

    @Test
    void zeroOrderHoldInputColumnIsTheIntegralOfTheExponential() {
        // For invertible A: Bbar = A^-1 (Abar - I) B, a third identity independent of the augmented matrix.
        LegendreSystem s = LegendreSystem.zeroOrderHold(10, 7.0);
        double[][] a = s.continuousA();
        double[][] abar = s.a();
        double[] b = s.continuousB();
        double[] bbar = s.b();
        // A·Bbar = (Abar − I)·B
        double[] left = LegendreSystem.multiply(a, bbar);
        double[] right = LegendreSystem.multiply(abar, b);
        for (int i = 0; i < 10; i++) {
            assertClose(right[i] - b[i], left[i], 1e-12, "row " + i);
        }
    }

    @Test
    void eulerIsOneForwardStep() {
        LegendreSystem s = LegendreSystem.euler(5, 3.0);
        assertEquals("euler", s.discretisation());
        double[][] a = s.continuousA();
        double[][] abar = s.a();
        double[] b = s.continuousB();
        double[] bbar = s.b();
        for (int i = 0; i < 5; i++) {
            assertEquals(b[i], bbar[i], 0.0);
            for (int j = 0; j < 5; j++) {
                assertEquals((i == j ? 1.0 : 0.0) + a[i][j], abar[i][j], 0.0);
            }
        }
        assertEquals(1.0 + (-1.0) / 3.0, abar[0][0], 1e-15);
    }

    @Test
    void impulseResponseIsRepeatedMultiplication() {
        LegendreSystem s = LegendreSystem.zeroOrderHold(6, 5.0);
        double[][] h = s.impulseResponse(9);
        assertEquals(9, h.length);
        double[][] abar = s.a();
        double[] v = s.b();
        for (int step = 0; step < 9; step++) {
            assertEquals(6, h[step].length);
            for (int i = 0; i < 6; i++) {
                assertEquals(v[i], h[step][i], 1e-15 * (1 + Math.abs(v[i])), "step " + step + " row " + i);
            }
            double[] next = new double[6];
            for (int i = 0; i < 6; i++) {
                for (int j = 0; j < 6; j++) {
                    next[i] += abar[i][j] * v[j];
                }
            }
            v = next;
        }
        assertEquals(0, s.impulseResponse(0).length);
    }

    @ParameterizedTest(name = "order {0}, theta {1}")
    @CsvSource({"6, 10.0", "32, 50.0", "256, 784.0"})
    void constantInputConvergesToTheLegendreCoefficientsOfAConstant(int order, double theta) {
        // The best shifted-Legendre fit of a constant 1 over the window is P_0: m -> e_0.
        LegendreSystem s = LegendreSystem.zeroOrderHold(order, theta);
        double[][] abar = s.a();
        double[] bbar = s.b();
        // m after N steps of u = 1 is S_N = Σ_{s<N} Abar^s Bbar; doubling, S_2N = S_N + Abar^N S_N, reaches
        // N = 2^k ≥ 40θ steps in k matrix squarings.
        double[] m = bbar;
        double[][] power = abar;
        for (long steps = 1; steps < 40 * theta; steps *= 2) {
            double[] shifted = LegendreSystem.multiply(power, m);
            for (int i = 0; i < order; i++) {
                shifted[i] += m[i];
            }
            m = shifted;
            power = LegendreSystem.multiply(power, power);
        }
        assertEquals(1.0, m[0], 1e-9, "m_0");
        for (int i = 1; i < order; i++) {
            assertEquals(0.0, m[i], 1e-9, "m_" + i);
        }
    }

    @Test
    void copiesDoNotAliasTheSystem() {
        LegendreSystem s = LegendreSystem.zeroOrderHold(3, 2.0);
        s.a()[0][0] = 99;
        s.b()[0] = 99;
        s.continuousA()[0][0] = 99;
        s.continuousB()[0] = 99;
        assertTrue(s.a()[0][0] != 99 && s.b()[0] != 99 && s.continuousA()[0][0] != 99 && s.continuousB()[0] != 99);
    }

    @Test
    void badArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> LegendreSystem.zeroOrderHold(0, 1.0));
        assertThrows(IllegalArgumentException.class, () -> LegendreSystem.euler(-3, 1.0));
        assertThrows(IllegalArgumentException.class, () -> LegendreSystem.zeroOrderHold(4, 0.0));
        assertThrows(IllegalArgumentException.class, () -> LegendreSystem.zeroOrderHold(4, -2.0));
        assertThrows(IllegalArgumentException.class, () -> LegendreSystem.zeroOrderHold(4, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> LegendreSystem.euler(4, Double.POSITIVE_INFINITY));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LegendreSystem.zeroOrderHold(4, 1.0).impulseResponse(-1));
        assertTrue(e.getMessage().contains("length"), e.getMessage());
    }

    private static double[] derivative(double[][] a, double[] b, double[] m, double u) {
        double[] r = LegendreSystem.multiply(a, m);
        for (int i = 0; i < r.length; i++) {
            r[i] += b[i] * u;
        }
        return r;
    }

    private static double[] axpy(double[] m, double[] k, double h) {
        double[] r = m.clone();
        for (int i = 0; i < r.length; i++) {
            r[i] += h * k[i];
        }
        return r;
    }

    private static void assertClose(double expected, double actual, double tol, String what) {
        assertTrue(Math.abs(expected - actual) <= tol * (1 + Math.abs(expected)),
                what + ": expected " + expected + ", got " + actual);
    }
}

package org.lrn4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MackeyGlassTest {
    @Test
    void reproducibleBoundedAndSeeded() {
        double[] a = MackeyGlass.series(2000, 5);
        assertArrayEquals(a, MackeyGlass.series(2000, 5), "same seed, same series");
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (double v : a) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertTrue(min > 0.15 && min < 0.5, "the attractor's low end is near 0.2-0.4, got " + min);
        assertTrue(max > 1.1 && max < 1.45, "the attractor's high end is near 1.3, got " + max);
        double[] b = MackeyGlass.series(2000, 6);
        double diff = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
        }
        assertTrue(diff > 0.1, "another seed, another trajectory");
    }

    @Test
    void integrationConvergesWithTheStep() {
        // over a short horizon (before chaos amplifies the error) halving h changes little: fourth order
        MackeyGlass.Options coarse = new MackeyGlass.Options(0.2, 0.1, 10, 17, 10, 0);
        MackeyGlass.Options fine = new MackeyGlass.Options(0.2, 0.1, 10, 17, 20, 0);
        MackeyGlass.Options finer = new MackeyGlass.Options(0.2, 0.1, 10, 17, 40, 0);
        double[] x1 = MackeyGlass.integrate(coarse, new double[17 * 10 + 1], 0);
        assertEquals(0, x1.length);
        double[] c = MackeyGlass.integrate(coarse, constant(17 * 10 + 1, 1.2), 60);
        double[] f = MackeyGlass.integrate(fine, constant(17 * 20 + 1, 1.2), 60);
        double[] ff = MackeyGlass.integrate(finer, constant(17 * 40 + 1, 1.2), 60);
        double e1 = 0;
        double e2 = 0;
        for (int i = 0; i < 60; i++) {
            e1 = Math.max(e1, Math.abs(c[i] - ff[i]));
            e2 = Math.max(e2, Math.abs(f[i] - ff[i]));
        }
        assertTrue(e2 < 2e-5, "h = 1/20 agrees with h = 1/40 to 2e-5, got " + e2);
        assertTrue(e2 < e1 / 4, "the error shrinks with the step: " + e1 + " then " + e2);
        // the exact solution for the first τ units with a constant history: x' = c − γx, c = β·1.2/(1+1.2¹⁰)
        double rate = 0.2 * 1.2 / (1 + Math.pow(1.2, 10));
        double exact = rate / 0.1 + (1.2 - rate / 0.1) * Math.exp(-0.1 * 10);
        assertEquals(exact, f[9], 1e-9, "x(10) in closed form");
    }

    @Test
    void tau17IsChaoticTau10IsNot() {
        MackeyGlass.Options chaotic = MackeyGlass.Options.defaults();
        assertTrue(separation(chaotic) > 0.1, "τ 17: starts 1e-8 apart end far apart");
        MackeyGlass.Options periodic = MackeyGlass.Options.defaults().withTau(10);
        assertTrue(separation(periodic) < 1e-4, "τ 10: a stable cycle keeps nearby starts together, got "
                + separation(periodic));
    }

    /** Largest distance over the last 500 of 4,000 units between two runs whose histories differ by 1e-8. */
    private static double separation(MackeyGlass.Options o) {
        MackeyGlass.Options noTransient = new MackeyGlass.Options(o.beta(), o.gamma(), o.n(), o.tau(), o.stepsPerUnit(), 0);
        double[] h = MackeyGlass.history(o, 3);
        double[] g = h.clone();
        g[g.length - 1] += 1e-8;
        double[] a = MackeyGlass.integrate(noTransient, h, 4000);
        double[] b = MackeyGlass.integrate(noTransient, g, 4000);
        double d = 0;
        for (int i = 3500; i < 4000; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    @Test
    void windowsFollowTheSplitAndHorizon() {
        double[] s = new double[1000];
        for (int i = 0; i < s.length; i++) {
            s[i] = Math.sin(i * 0.1) + 2;
        }
        MackeyGlassWindows w = MackeyGlassWindows.of(s, 50, 25, 5);
        // train [0, 700): (700 − 65)/25 + 1 = 26; valid [700, 850) and test [850, 1000): (150 − 65)/50 + 1 = 2
        assertEquals(26, w.train().count());
        assertEquals(2, w.valid().count());
        assertEquals(2, w.test().count());
        MackeyGlassWindows.Windows t = w.test();
        assertEquals((s[850 + 50 + 3] - w.mean()) / w.std(), t.inputs()[50 + 3], 1e-6);
        assertEquals((s[850 + 50 + 7 + 15] - w.mean()) / w.std(), t.targets()[50 + 7], 1e-6);
        float[] x = new float[50 * 2];
        float[] y = new float[50 * 2];
        t.batch(new int[] {1, 0}, 0, 2, x, y);
        assertEquals(t.inputs()[50 + 7], x[7 * 2], 0);
        assertEquals(t.targets()[7], y[7 * 2 + 1], 0);
        assertTrue(Float.isNaN(y[4 * 2 + 1]));
        assertTrue(Float.isNaN(t.targets()[50 + 4]) && !Float.isNaN(t.targets()[50 + 5]), "warm-up steps unscored");
        assertThrows(IllegalArgumentException.class, () -> MackeyGlassWindows.of(new double[100], 50, 25, 5));
        assertThrows(IllegalArgumentException.class, () -> MackeyGlassWindows.of(s, 50, 25, 50));
        assertEquals(1.0, MackeyGlassWindows.nrmse(4 * 4, 0, 4 * 4, 4), 1e-12, "error as large as the spread: 1");
        assertThrows(IllegalArgumentException.class, () -> MackeyGlass.series(-1, 1));
    }

    private static double[] constant(int n, double v) {
        double[] h = new double[n];
        java.util.Arrays.fill(h, v);
        return h;
    }
}

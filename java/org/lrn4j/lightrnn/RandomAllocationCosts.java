package org.lrn4j.lightrnn;

import java.util.SplittableRandom;

/**
 * Random allocation costs for tests and benchmarks, in a ⌈√V⌉×⌈√V⌉ table. Two kinds:
 * <ul>
 *   <li>{@link #uniform}: every l_r(w, i) and l_c(w, j) independent and uniform in [0, 1).</li>
 *   <li>{@link #zipfian}: costs shaped like a trained LightRNN's. Word of frequency rank k (ranks shuffled
 *       over word ids) occurs n_k = max(1, round(10·V / k)) times (Zipf's law; V = 10⁴ gives about a
 *       million tokens, like the Brown corpus). Its row distribution is P_row(i) = softmax(s_i + 1.5·g_wi)
 *       with a popularity s_i ~ N(0, 1) shared by all words (so that words compete for the same rows) and a
 *       word's own preference g_wi ~ N(0, 1); the column side likewise with its own popularity. The costs
 *       are l_r(w, i) = n_w · (−log P_row(i)) and l_c(w, j) = n_w · (−log P_col(j)): what a sum over the
 *       word's occurrences of −log probabilities comes to when the model predicts the same way each time.</li>
 * </ul>
 */
public final class RandomAllocationCosts {
    private RandomAllocationCosts() {
    }

    /** Side of the square table for {@code words} words: ⌈√words⌉. */
    public static int side(int words) {
        if (words < 1) {
            throw new IllegalArgumentException("words must be >= 1, got " + words);
        }
        int s = (int) Math.sqrt(words);
        while ((long) s * s < words) {
            s++;
        }
        return s;
    }

    /** Independent uniform costs in [0, 1). */
    public static AllocationCost uniform(int words, long seed) {
        int side = side(words);
        SplittableRandom rng = new SplittableRandom(seed);
        float[] rc = new float[Math.multiplyExact(words, side)];
        float[] cc = new float[rc.length];
        for (int k = 0; k < rc.length; k++) {
            rc[k] = (float) rng.nextDouble();
            cc[k] = (float) rng.nextDouble();
        }
        return new AllocationCost(words, side, side, rc, cc);
    }

    /** Zipfian counts times −log-probability profiles (see the class comment). */
    public static AllocationCost zipfian(int words, long seed) {
        int side = side(words);
        SplittableRandom rng = new SplittableRandom(seed);
        int[] rank = new int[words];
        for (int w = 0; w < words; w++) {
            rank[w] = w + 1;
        }
        for (int w = words - 1; w > 0; w--) {
            int k = rng.nextInt(w + 1);
            int t = rank[w];
            rank[w] = rank[k];
            rank[k] = t;
        }
        double[] rowPopularity = gaussians(rng, side);
        double[] colPopularity = gaussians(rng, side);
        float[] rc = new float[Math.multiplyExact(words, side)];
        float[] cc = new float[rc.length];
        double[] logits = new double[side];
        for (int w = 0; w < words; w++) {
            double count = Math.max(1, Math.round(10.0 * words / rank[w]));
            profile(rng, rowPopularity, logits, count, rc, w * side);
            profile(rng, colPopularity, logits, count, cc, w * side);
        }
        return new AllocationCost(words, side, side, rc, cc);
    }

    private static void profile(SplittableRandom rng, double[] popularity, double[] logits, double count, float[] out,
            int at) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) {
            logits[i] = popularity[i] + 1.5 * gaussian(rng);
            max = Math.max(max, logits[i]);
        }
        double sum = 0;
        for (double l : logits) {
            sum += Math.exp(l - max);
        }
        double logZ = max + Math.log(sum);
        for (int i = 0; i < logits.length; i++) {
            out[at + i] = (float) (count * (logZ - logits[i]));
        }
    }

    private static double[] gaussians(SplittableRandom rng, int n) {
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            g[i] = gaussian(rng);
        }
        return g;
    }

    /** A standard normal deviate (Box–Muller). */
    private static double gaussian(SplittableRandom rng) {
        double u = 1 - rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextDouble());
    }
}

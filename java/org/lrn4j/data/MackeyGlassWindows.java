package org.lrn4j.data;

/**
 * The Mackey–Glass prediction task of the LMU papers: from the series so far, predict its value
 * {@link #HORIZON} = 15 time units ahead, at every step of a window.
 *
 * <p>One series of {@link #SERIES_LENGTH} samples ({@link MackeyGlass}, default parameters, seed
 * {@link #SERIES_SEED}) is cut in time into a training part (the first 70 %), a validation part (the next 15 %) and
 * a test part (the last 15 %), so no target of one part is an input of another. Each part is cut into windows of
 * {@code steps} inputs {@code x[s..s+steps)} whose targets are {@code x[s+15..s+15+steps)}, wholly inside the part:
 * windows start every {@code steps} samples (validation, test) or every {@code trainStride} samples (training).
 * Values are standardised with the mean and standard deviation of the training part's samples. The first
 * {@code warmup} steps of each window are read but not scored (their targets are NaN): a prediction is scored
 * once it has seen at least warmup + 1 samples, so the score measures prediction, not the start of a window.
 * The score is the normalised RMSE, the RMSE of the scored steps divided by the standard deviation of their
 * targets ({@link #nrmse}).
 */
public final class MackeyGlassWindows {
    /** Samples of the series. */
    public static final int SERIES_LENGTH = 12_000;
    /** Seed of the series' initial history. */
    public static final long SERIES_SEED = 17;
    /** Prediction horizon in time units (samples). */
    public static final int HORIZON = 15;
    /** Steps at the start of each window that are read but not scored, by default (at most a quarter window). */
    public static final int WARMUP = 32;

    /**
     * Windows of one part, standardised.
     *
     * @param inputs  count·steps values, window w at [w·steps, (w+1)·steps)
     * @param targets the same layout: targets[w·steps + t] is the input HORIZON samples after inputs[w·steps + t],
     *                or NaN in the warm-up steps (not scored)
     */
    public record Windows(int count, int steps, float[] inputs, float[] targets) {
        /**
         * Writes windows {@code order[from..from+B)} time-major: {@code x[t·B + b]}, {@code y[t·B + b]}.
         */
        public void batch(int[] order, int from, int batch, float[] x, float[] y) {
            if (from < 0 || batch < 1 || from + batch > order.length || x.length < steps * batch
                    || y.length < steps * batch) {
                throw new IllegalArgumentException("batch [" + from + ", " + (from + batch) + ") of " + order.length
                        + " windows of " + steps + " steps into " + x.length + " and " + y.length + " values");
            }
            for (int b = 0; b < batch; b++) {
                int w = order[from + b];
                for (int t = 0; t < steps; t++) {
                    x[t * batch + b] = inputs[w * steps + t];
                    y[t * batch + b] = targets[w * steps + t];
                }
            }
        }
    }

    private final Windows train;
    private final Windows valid;
    private final Windows test;
    private final double mean;
    private final double std;
    private final int warmup;

    private MackeyGlassWindows(Windows train, Windows valid, Windows test, double mean, double std, int warmup) {
        this.train = train;
        this.valid = valid;
        this.test = test;
        this.mean = mean;
        this.std = std;
        this.warmup = warmup;
    }

    /** The task on the default series, min({@link #WARMUP}, steps / 4) steps of each window unscored. */
    public static MackeyGlassWindows standard(int steps, int trainStride) {
        return of(MackeyGlass.series(SERIES_LENGTH, SERIES_SEED), steps, trainStride, Math.min(WARMUP, steps / 4));
    }

    /** The task on a given series (split 70/15/15 in time, see the class comment). */
    public static MackeyGlassWindows of(double[] series, int steps, int trainStride, int warmup) {
        if (steps < 1 || trainStride < 1 || warmup < 0 || warmup >= steps) {
            throw new IllegalArgumentException("need steps and stride >= 1 and warmup in [0, steps), got " + steps
                    + ", " + trainStride + " and " + warmup);
        }
        int n = series.length;
        int a = (int) (0.70 * n);
        int b = (int) (0.85 * n);
        double sum = 0;
        double sq = 0;
        for (int i = 0; i < a; i++) {
            sum += series[i];
            sq += series[i] * series[i];
        }
        double mean = sum / Math.max(1, a);
        double std = Math.sqrt(Math.max(sq / Math.max(1, a) - mean * mean, 1e-12));
        Windows train = windows(series, 0, a, steps, trainStride, warmup, mean, std);
        Windows valid = windows(series, a, b, steps, steps, warmup, mean, std);
        Windows test = windows(series, b, n, steps, steps, warmup, mean, std);
        if (train.count() == 0 || valid.count() == 0 || test.count() == 0) {
            throw new IllegalArgumentException("a series of " + n + " samples leaves a part without a window of "
                    + steps + " steps plus " + HORIZON + " ahead");
        }
        return new MackeyGlassWindows(train, valid, test, mean, std, warmup);
    }

    private static Windows windows(double[] series, int from, int to, int steps, int stride, int warmup, double mean,
                                   double std) {
        int span = steps + HORIZON;
        int count = to - from < span ? 0 : (to - from - span) / stride + 1;
        float[] x = new float[count * steps];
        float[] y = new float[count * steps];
        for (int w = 0; w < count; w++) {
            int s = from + w * stride;
            for (int t = 0; t < steps; t++) {
                x[w * steps + t] = (float) ((series[s + t] - mean) / std);
                y[w * steps + t] = t < warmup ? Float.NaN : (float) ((series[s + t + HORIZON] - mean) / std);
            }
        }
        return new Windows(count, steps, x, y);
    }

    public Windows train() {
        return train;
    }

    public Windows valid() {
        return valid;
    }

    public Windows test() {
        return test;
    }

    /** Mean of the training part's samples (the standardisation's shift). */
    public double mean() {
        return mean;
    }

    /** Standard deviation of the training part's samples (the standardisation's scale). */
    public double std() {
        return std;
    }

    public String describe() {
        return "mackey-glass (τ 17, " + SERIES_LENGTH + " samples, predict " + HORIZON + " ahead): " + train.count()
                + " train, " + valid.count() + " valid, " + test.count() + " test windows of " + train.steps() + " steps, the first "
                + warmup + " unscored";
    }

    /**
     * Normalised RMSE: √(Σ (p − y)² / n) divided by the standard deviation of y (population form). Invariant
     * to the standardisation, so it is the same on the standardised and the original scale.
     */
    public static double nrmse(double squaredErrorSum, double targetSum, double targetSquareSum, long n) {
        if (n < 1) {
            return Double.NaN;
        }
        double mean = targetSum / n;
        double var = targetSquareSum / n - mean * mean;
        return Math.sqrt(squaredErrorSum / n) / Math.sqrt(Math.max(var, 1e-300));
    }
}

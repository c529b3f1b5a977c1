package org.lrn4j.train;

import java.util.List;

import org.lrn4j.backend.Backend;
import org.lrn4j.data.MackeyGlassWindows;
import org.lrn4j.lmu.SeriesPredictor;
import org.lrn4j.nn.Parameter;
import org.lrn4j.tensor.DType;

/**
 * Mackey–Glass prediction 15 steps ahead ({@link MackeyGlassWindows}) with a {@link SeriesPredictor}: the parallel
 * LMU over the whole window, or an LSTM whose hidden size gives the parameter count nearest the LMU's of the same
 * spec ({@link #matchingLstmHidden}).
 */
final class MackeyGlassTask implements LmuTaskModel {
    /** Training windows start every 4 samples (they overlap: more windows per epoch from the same series). */
    static final int TRAIN_STRIDE = 4;

    private final LmuTaskSpec spec;
    private final MackeyGlassWindows data;
    private final SeriesPredictor model;

    MackeyGlassTask(LmuTaskSpec spec, Backend backend, int steps) {
        this.spec = spec;
        this.data = MackeyGlassWindows.standard(steps, TRAIN_STRIDE);
        this.model = spec.model().equals("lstm")
                ? SeriesPredictor.lstm(backend, DType.FLOAT32, matchingLstmHidden(spec), spec.seed())
                : SeriesPredictor.lmu(backend, DType.FLOAT32, spec.order(), spec.theta(), spec.hidden(), spec.seed());
    }

    /** The LSTM hidden size whose parameter count is nearest that of the LMU predictor of the spec's sizes. */
    static int matchingLstmHidden(LmuTaskSpec spec) {
        long target = SeriesPredictor.lmuParameterCount(spec.order(), spec.hidden());
        int best = 1;
        for (int h = 1; SeriesPredictor.lstmParameterCount(h) <= 2 * target + 64; h++) {
            if (Math.abs(SeriesPredictor.lstmParameterCount(h) - target)
                    < Math.abs(SeriesPredictor.lstmParameterCount(best) - target)) {
                best = h;
            }
        }
        return best;
    }

    @Override
    public List<Parameter> parameters() {
        return model.parameters();
    }

    @Override
    public int trainSize() {
        return data.train().count();
    }

    @Override
    public String describeData() {
        return data.describe();
    }

    @Override
    public String describeModel() {
        long lmu = SeriesPredictor.lmuParameterCount(spec.order(), spec.hidden());
        String lmuLine = String.format(java.util.Locale.ROOT, "the parallel LMU (order %d, θ %.0f, hidden %d) with a "
                + "linear readout: %,d parameters", spec.order(), spec.theta(), spec.hidden(), lmu);
        if (spec.model().equals("lmu")) {
            return lmuLine;
        }
        int h = matchingLstmHidden(spec);
        return String.format(java.util.Locale.ROOT, "an LSTM of %d hidden units with a linear readout: %,d parameters "
                + "(matched to %s)", h, SeriesPredictor.lstmParameterCount(h), lmuLine);
    }

    @Override
    public double[] trainBatch(int[] order, int from, int batch, long dropoutSeed) {
        MackeyGlassWindows.Windows w = data.train();
        float[] x = new float[w.steps() * batch];
        float[] y = new float[w.steps() * batch];
        w.batch(order, from, batch, x, y);
        SeriesPredictor.Outcome o = model.run(x, y, w.steps(), batch, true);
        return new double[] {o.meanSquaredError(), Double.NaN};
    }

    @Override
    public Score evaluate(Part part, int batch) {
        MackeyGlassWindows.Windows w = part == Part.VALID ? data.valid() : data.test();
        int[] order = java.util.stream.IntStream.range(0, w.count()).toArray();
        SeriesPredictor.Outcome sum = new SeriesPredictor.Outcome(0, 0, 0, 0);
        for (int from = 0; from < w.count(); from += batch) {
            int b = Math.min(batch, w.count() - from);
            float[] x = new float[w.steps() * b];
            float[] y = new float[w.steps() * b];
            w.batch(order, from, b, x, y);
            sum = sum.plus(model.run(x, y, w.steps(), b, false));
        }
        return new Score("nrmse", sum.meanSquaredError(), MackeyGlassWindows.nrmse(sum.squaredErrorSum(),
                sum.targetSum(), sum.targetSquareSum(), sum.count()), sum.count());
    }

    @Override
    public void close() {
        model.close();
    }
}

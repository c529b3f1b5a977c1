package org.lrn4j.lmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

import org.junit.jupiter.api.Test;
import org.lrn4j.backend.Backend;
import org.lrn4j.backend.ReferenceBackend;
import org.lrn4j.nn.Parameter;
import org.lrn4j.tensor.DType;

/**
 * The task models' backward passes (heads, losses and cores together) against finite differences of their mean
 * loss, in double on the reference backend.
 */
class TaskModelsGradientTest {
    private static final Backend REF = ReferenceBackend.INSTANCE;

    private static float[] random(SplittableRandom rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return v;
    }

    /** Checks every parameter's gradient (after one backward call) against central differences of loss. */
    static void check(Iterable<Parameter> parameters, DoubleSupplier loss, int stride) {
        for (Parameter p : parameters) {
            double[] g = p.grad().toDoubleArray();
            for (int i = 0; i < p.value().numel(); i += stride) {
                double x = p.value().get(i);
                double h = 1e-6;
                p.value().set(i, x + h);
                double up = loss.getAsDouble();
                p.value().set(i, x - h);
                double down = loss.getAsDouble();
                p.value().set(i, x);
                double fd = (up - down) / (2 * h);
                assertEquals(fd, g[i], 1e-7 + 1e-5 * Math.abs(fd), p.name() + "[" + i + "]");
            }
        }
    }

    @Test
    void lstmPredictorMeanSquaredError() {
        SplittableRandom rng = new SplittableRandom(3);
        int steps = 7;
        int batch = 3;
        float[] x = random(rng, steps * batch);
        float[] y = random(rng, steps * batch);
        try (SeriesPredictor m = SeriesPredictor.lstm(REF, DType.FLOAT64, 5, 11)) {
            assertEquals(SeriesPredictor.lstmParameterCount(5), m.parameterCount());
            SeriesPredictor.Outcome o = m.run(x, y, steps, batch, true);
            check(m.parameters(), () -> m.run(x, y, steps, batch, false).meanSquaredError(), 1);
            assertEquals(o.meanSquaredError(), m.run(x, y, steps, batch, false).meanSquaredError(), 1e-12);
            assertThrows(IllegalArgumentException.class, () -> m.run(x, new float[3], steps, batch, false));
        }
    }

    @Test
    void lmuPredictorMeanSquaredError() {
        SplittableRandom rng = new SplittableRandom(5);
        int steps = 9;
        int batch = 2;
        float[] x = random(rng, steps * batch);
        float[] y = random(rng, steps * batch);
        y[0] = Float.NaN;
        y[batch + 1] = Float.NaN;
        try (SeriesPredictor m = SeriesPredictor.lmu(REF, DType.FLOAT64, 4, 6, 5, 13)) {
            assertEquals(SeriesPredictor.lmuParameterCount(4, 5), m.parameterCount());
            m.run(x, y, steps, batch, true);
            check(m.parameters(), () -> m.run(x, y, steps, batch, false).meanSquaredError(), 1);
            assertEquals(steps * batch - 2, m.run(x, y, steps, batch, false).count(), "NaN targets are not scored");
        }
    }

    @Test
    void lmuClassifierCrossEntropy() {
        SplittableRandom rng = new SplittableRandom(6);
        int steps = 11;
        int batch = 3;
        float[] x = random(rng, steps * batch);
        int[] labels = {2, 0, 3};
        try (PixelSequenceClassifier m = PixelSequenceClassifier.parallelLmu(REF, DType.FLOAT64, 5, 11, 6, 4, 0, 17)) {
            PixelSequenceClassifier.Outcome o = m.run(x, labels, steps, batch, true, 0);
            check(m.parameters(), () -> m.run(x, labels, steps, batch, false, 0).meanLoss(), 1);
            PixelSequenceClassifier.Outcome e = m.run(x, labels, steps, batch, false, 0);
            assertEquals(e.meanLoss(), o.meanLoss(), 1e-12, "training and evaluation agree without dropout");
            assertEquals(java.util.Arrays.toString(e.predictions()), java.util.Arrays.toString(o.predictions()),
                    "the training pass recovers the predictions from the gradient");
            assertThrows(IllegalArgumentException.class, () -> m.run(x, new int[] {0, 4, 1}, steps, batch, false, 0));
        }
    }

    @Test
    void dropoutMasksTheFeaturesOnlyInTraining() {
        SplittableRandom rng = new SplittableRandom(8);
        int steps = 6;
        int batch = 4;
        float[] x = random(rng, steps * batch);
        int[] labels = {1, 0, 1, 1};
        try (PixelSequenceClassifier m = PixelSequenceClassifier.parallelLmu(REF, DType.FLOAT64, 3, 6, 8, 2, 0.5, 2)) {
            double eval1 = m.run(x, labels, steps, batch, false, 1).meanLoss();
            double eval2 = m.run(x, labels, steps, batch, false, 2).meanLoss();
            assertEquals(eval1, eval2, 0, "no dropout at evaluation");
            double train1 = m.run(x, labels, steps, batch, true, 1).meanLoss();
            double train1Again = m.run(x, labels, steps, batch, true, 1).meanLoss();
            double train2 = m.run(x, labels, steps, batch, true, 2).meanLoss();
            assertEquals(train1, train1Again, 0, "the mask is a function of the seed");
            org.junit.jupiter.api.Assertions.assertNotEquals(train1, train2, "another seed, another mask");
        }
    }

    @Test
    void originalLmuClassifierCrossEntropy() {
        SplittableRandom rng = new SplittableRandom(9);
        int steps = 7;
        int batch = 2;
        float[] x = random(rng, steps * batch);
        int[] labels = {1, 2};
        try (PixelSequenceClassifier m = PixelSequenceClassifier.originalLmu(REF, DType.FLOAT64, 4, 7, 5, 3, 0, 19)) {
            m.run(x, labels, steps, batch, true, 0);
            check(m.parameters(), () -> m.run(x, labels, steps, batch, false, 0).meanLoss(), 1);
        }
    }
}

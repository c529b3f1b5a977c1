package org.lrn4j.train;

import java.io.IOException;
import java.util.List;

import org.lrn4j.backend.Backend;
import org.lrn4j.nn.Parameter;

/**
 * A model of one of the LMU tasks together with its data, as {@link LmuTaskTrainer} drives it: training batches
 * picked by index, and scores of the validation and test parts.
 */
public interface LmuTaskModel extends AutoCloseable {
    /** The held-out parts. */
    enum Part { VALID, TEST }

    /**
     * A part's score.
     *
     * @param loss   mean loss per scored value (cross-entropy in nats, or squared error on the standardised scale)
     * @param metric accuracy (fashion-mnist) or normalised RMSE (mackey-glass)
     * @param count  scored values (images, or predicted steps)
     */
    record Score(String metricName, double loss, double metric, long count) {
        /**
         * What the schedule and the choice of the best checkpoint watch (lower is better): the error rate
         * (1 − accuracy) of a classifier, the mean squared error (so the normalised RMSE) of a regressor.
         */
        public double criterion() {
            return metricName.equals("accuracy") ? 1 - metric : loss;
        }
    }

    /** The model a spec names, with its task's data loaded. */
    static LmuTaskModel build(LmuTaskSpec spec, Backend backend, int windowSteps) throws IOException {
        return spec.classifies() ? new FashionMnistTask(spec, backend) : new MackeyGlassTask(spec, backend, windowSteps);
    }

    List<Parameter> parameters();

    default long parameterCount() {
        long n = 0;
        for (Parameter p : parameters()) {
            n += p.value().numel();
        }
        return n;
    }

    /** Training examples (images, or windows). */
    int trainSize();

    /** A line about the data, for the log. */
    String describeData();

    /** A line about the model and its parameter count, for the log. */
    String describeModel();

    /**
     * Forward and backward pass of training examples {@code order[from..from+batch)}, adding into the parameter
     * gradients; returns {mean loss, score of the batch (accuracy, or NaN)}.
     */
    double[] trainBatch(int[] order, int from, int batch, long dropoutSeed);

    Score evaluate(Part part, int batch);

    @Override
    void close();
}

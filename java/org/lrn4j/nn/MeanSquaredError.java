package org.lrn4j.nn;

import org.lrn4j.tensor.Tensor;

/**
 * Mean squared error of a column of predictions against targets, {@code L = scale·Σ (p − y)²}, and its gradient
 * {@code dL/dp = 2·scale·(p − y)}. A NaN target marks a value that is not scored: it adds nothing to the sum and
 * its gradient is 0. The predictions are one value per row (a regression head of one output), so
 * they are few next to the layer that made them: the loss reads them back to the host, sums in double there,
 * and writes the gradient back to the predictions' backend (a copy in host memory, a transfer for a device). That
 * works on every backend with no kernel of its own.
 */
public final class MeanSquaredError {
    private MeanSquaredError() {
    }

    /** Σ (p − y)² over the scored values, summed in double: what an evaluation accumulates. */
    public static double squaredErrorSum(Tensor predictions, float[] targets) {
        double[] p = values(predictions, targets);
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            if (!Float.isNaN(targets[i])) {
                double e = p[i] - targets[i];
                sum += e * e;
            }
        }
        return sum;
    }

    /**
     * Returns Σ (p − y)² over the scored values and writes {@code dPredictions = 2·scale·(p − y)} (same shape and backend as the
     * predictions; it may be the predictions tensor itself).
     */
    public static double forwardBackward(Tensor predictions, float[] targets, double scale, Tensor dPredictions) {
        double[] p = values(predictions, targets);
        Tensor.require(dPredictions, "dPredictions");
        if (dPredictions.numel() != p.length || dPredictions.dtype() != predictions.dtype()
                || dPredictions.device() != predictions.device()) {
            throw new IllegalArgumentException("dPredictions must match the predictions " + predictions.describe()
                    + ", got " + dPredictions.describe());
        }
        if (!Double.isFinite(scale)) {
            throw new IllegalArgumentException("scale must be finite, got " + scale);
        }
        double sum = 0;
        double[] g = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            if (!Float.isNaN(targets[i])) {
                double e = p[i] - targets[i];
                sum += e * e;
                g[i] = 2 * scale * e;
            }
        }
        try (Tensor host = Tensor.host(dPredictions.dtype(), dPredictions.shape())) {
            host.write(0, g, 0, g.length);
            dPredictions.copyFrom(host);
        }
        return sum;
    }

    private static double[] values(Tensor predictions, float[] targets) {
        Tensor.require(predictions, "predictions");
        if (targets == null || targets.length != predictions.numel()) {
            throw new IllegalArgumentException("need one target per prediction: " + predictions.numel()
                    + " predictions, " + (targets == null ? "no" : targets.length) + " targets");
        }
        return predictions.toDoubleArray();
    }
}

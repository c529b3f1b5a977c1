package org.lrn4j.train;

import java.util.Locale;

import com.google.gson.JsonObject;

/**
 * How to train: optimizer and its hyper-parameters, gradient clipping, batching, the schedule, and how
 * often to checkpoint.
 *
 * @param optimizer        "adam" or "sgd"
 * @param clipNorm         global gradient-norm limit (0: no clipping)
 * @param batch            B: parallel streams (language model) or sequences per batch (classifier)
 * @param steps            T: steps per truncated-BPTT window (language model)
 * @param checkpointEvery  updates between mid-epoch checkpoints (0: only at the end of each epoch)
 */
public record TrainConfig(String optimizer, double learningRate, double momentum, double weightDecay, double clipNorm,
                          int batch, int steps, int epochs, long warmupSteps, double decayFactor, int patience,
                          double minLearningRate, int stopAfter, int checkpointEvery) {
    public TrainConfig {
        optimizer = optimizer.toLowerCase(Locale.ROOT);
        if (!optimizer.equals("adam") && !optimizer.equals("sgd")) {
            throw new IllegalArgumentException("optimizer must be adam or sgd, got '" + optimizer + "'");
        }
        if (batch < 1 || steps < 1 || epochs < 1 || checkpointEvery < 0 || !(clipNorm >= 0)) {
            throw new IllegalArgumentException("batch, steps and epochs must be >= 1, clipNorm and checkpointEvery >= 0");
        }
        // the schedule checks the rest
        new LearningRateSchedule(learningRate, warmupSteps, decayFactor, patience, minLearningRate, stopAfter);
    }

    public LearningRateSchedule schedule() {
        return new LearningRateSchedule(learningRate, warmupSteps, decayFactor, patience, minLearningRate, stopAfter);
    }

    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("optimizer", optimizer);
        o.addProperty("learning_rate", learningRate);
        o.addProperty("momentum", momentum);
        o.addProperty("weight_decay", weightDecay);
        o.addProperty("clip_norm", clipNorm);
        o.addProperty("batch", batch);
        o.addProperty("steps", steps);
        o.addProperty("epochs", epochs);
        o.addProperty("warmup_steps", warmupSteps);
        o.addProperty("decay_factor", decayFactor);
        o.addProperty("patience", patience);
        o.addProperty("min_learning_rate", minLearningRate);
        o.addProperty("stop_after", stopAfter);
        o.addProperty("checkpoint_every", checkpointEvery);
        return o;
    }

    public static TrainConfig fromJson(JsonObject o) {
        try {
            return new TrainConfig(o.get("optimizer").getAsString(), o.get("learning_rate").getAsDouble(),
                    o.get("momentum").getAsDouble(), o.get("weight_decay").getAsDouble(), o.get("clip_norm").getAsDouble(),
                    o.get("batch").getAsInt(), o.get("steps").getAsInt(), o.get("epochs").getAsInt(),
                    o.get("warmup_steps").getAsLong(), o.get("decay_factor").getAsDouble(), o.get("patience").getAsInt(),
                    o.get("min_learning_rate").getAsDouble(), o.get("stop_after").getAsInt(),
                    o.get("checkpoint_every").getAsInt());
        } catch (NullPointerException | UnsupportedOperationException | IllegalStateException | NumberFormatException e) {
            throw new IllegalArgumentException("the training configuration is incomplete or malformed: " + o, e);
        }
    }
}

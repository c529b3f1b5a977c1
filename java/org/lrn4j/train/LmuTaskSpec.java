package org.lrn4j.train;

import java.util.Locale;

import com.google.gson.JsonObject;

/**
 * What a model of the LMU tasks is, enough to build it again from a checkpoint.
 *
 * @param task            "fashion-mnist" (permuted sequential Fashion-MNIST, 10 classes) or "mackey-glass"
 *                        (predict the series 15 steps ahead)
 * @param model           "lmu" (the parallel LMU), "lmu-original" (the original LMU cell, fashion-mnist) or
 *                        "lstm" (mackey-glass)
 * @param order           d, the order of the Legendre memory
 * @param theta           θ, the window of the memory in steps
 * @param hidden          the LMU's output units (o), or the LSTM's hidden units
 * @param dropout         drop probability on the features the output layer reads, in training
 * @param seed            seed of the initialisation
 * @param permutationSeed seed of the pixel permutation (fashion-mnist)
 * @param standardise     whether inputs are standardised (fashion-mnist: with the training pixels' mean and
 *                        deviation; otherwise scaled to [0, 1])
 */
public record LmuTaskSpec(String task, String model, int order, double theta, int hidden, double dropout, long seed,
                          long permutationSeed, boolean standardise) {
    public LmuTaskSpec {
        task = task.toLowerCase(Locale.ROOT);
        model = model.toLowerCase(Locale.ROOT);
        switch (task) {
            case "fashion-mnist" -> {
                if (!model.equals("lmu") && !model.equals("lmu-original")) {
                    throw new IllegalArgumentException("--task fashion-mnist takes --model lmu or lmu-original, got '"
                            + model + "'");
                }
            }
            case "mackey-glass" -> {
                if (!model.equals("lmu") && !model.equals("lstm")) {
                    throw new IllegalArgumentException("--task mackey-glass takes --model lmu or lstm, got '" + model + "'");
                }
            }
            default -> throw new IllegalArgumentException("task must be fashion-mnist or mackey-glass, got '" + task + "'");
        }
        if (order < 1 || hidden < 1) {
            throw new IllegalArgumentException("order and hidden must be >= 1, got " + order + " and " + hidden);
        }
        if (!(theta > 0) || Double.isInfinite(theta)) {
            throw new IllegalArgumentException("θ must be finite and positive, got " + theta);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        }
    }

    public boolean classifies() {
        return task.equals("fashion-mnist");
    }

    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("task", task);
        o.addProperty("model", model);
        o.addProperty("order", order);
        o.addProperty("theta", theta);
        o.addProperty("hidden", hidden);
        o.addProperty("dropout", dropout);
        o.addProperty("seed", seed);
        o.addProperty("permutation_seed", permutationSeed);
        o.addProperty("standardise", standardise);
        return o;
    }

    public static LmuTaskSpec fromJson(JsonObject o) {
        try {
            return new LmuTaskSpec(o.get("task").getAsString(), o.get("model").getAsString(), o.get("order").getAsInt(),
                    o.get("theta").getAsDouble(), o.get("hidden").getAsInt(), o.get("dropout").getAsDouble(),
                    o.get("seed").getAsLong(), o.get("permutation_seed").getAsLong(),
                    o.get("standardise").getAsBoolean());
        } catch (NullPointerException | UnsupportedOperationException | IllegalStateException | NumberFormatException e) {
            throw new IllegalArgumentException("the model description is incomplete or malformed: " + o, e);
        }
    }

    /** Whether a checkpoint's model description is one of these tasks (rather than a {@link ModelSpec}). */
    public static boolean describes(JsonObject model) {
        return model.has("lmu_task");
    }
}

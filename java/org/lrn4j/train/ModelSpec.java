package org.lrn4j.train;

import java.util.Locale;

import com.google.gson.JsonObject;

import org.lrn4j.backend.Activation;
import org.lrn4j.backend.Backend;
import org.lrn4j.nn.LanguageModel;
import org.lrn4j.nn.Lrn;
import org.lrn4j.nn.Recurrent;
import org.lrn4j.nn.SequenceClassifier;
import org.lrn4j.tensor.DType;

/**
 * What a model is, enough to build it again from a checkpoint: the task, the recurrent cell and its
 * sizes, the vocabulary size, and the seed of its initialisation.
 *
 * @param task         "lm" (language model) or "classify"
 * @param cell         the recurrent cell: "lrn", "olrn" (LRN with an output gate), "lstm", "gru", "atr" or "sru"
 * @param activation   g of the LRN and oLRN (and of the SRU's output): "tanh" or "identity"
 * @param classes      number of classes ("classify"), 0 for a language model
 * @param dropout      drop probability in training, in [0, 1): on the word vectors entering the recurrent
 *                     core and on its output (language model) or on the classifier's features
 * @param pooling      a classifier's features: "final" (final states) or "mean" (outputs averaged over time)
 */
public record ModelSpec(String task, String cell, int vocabulary, int embedding, int hidden, int layers,
                        boolean bidirectional, boolean layerNorm, String activation, int classes, long seed,
                        double dropout, String pooling) {

    /** A spec without dropout. */
    public ModelSpec(String task, String cell, int vocabulary, int embedding, int hidden, int layers,
                     boolean bidirectional, boolean layerNorm, String activation, int classes, long seed) {
        this(task, cell, vocabulary, embedding, hidden, layers, bidirectional, layerNorm, activation, classes, seed, 0,
                "final");
    }

    /** A spec whose classifier (if it is one) reads the final states. */
    public ModelSpec(String task, String cell, int vocabulary, int embedding, int hidden, int layers,
                     boolean bidirectional, boolean layerNorm, String activation, int classes, long seed, double dropout) {
        this(task, cell, vocabulary, embedding, hidden, layers, bidirectional, layerNorm, activation, classes, seed,
                dropout, "final");
    }

    public ModelSpec {
        task = task.toLowerCase(Locale.ROOT);
        cell = cell.toLowerCase(Locale.ROOT);
        activation = activation.toLowerCase(Locale.ROOT);
        if (!task.equals("lm") && !task.equals("classify")) {
            throw new IllegalArgumentException("task must be lm or classify, got '" + task + "'");
        }
        if (vocabulary < 1 || embedding < 1 || hidden < 1 || layers < 1) {
            throw new IllegalArgumentException("vocabulary, embedding, hidden and layers must be >= 1");
        }
        if (task.equals("classify") ? classes < 2 : classes != 0) {
            throw new IllegalArgumentException(task.equals("classify") ? "a classifier needs >= 2 classes"
                    : "a language model has no classes");
        }
        if (task.equals("lm") && bidirectional) {
            throw new IllegalArgumentException("a language model cannot be bidirectional: it would see the future");
        }
        pooling = pooling.toLowerCase(Locale.ROOT);
        if (!pooling.equals("final") && !pooling.equals("mean")) {
            throw new IllegalArgumentException("pooling must be final or mean, got '" + pooling + "'");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        }
        if (!activation.equals("tanh") && !activation.equals("identity")) {
            throw new IllegalArgumentException("activation must be tanh or identity, got '" + activation + "'");
        }
    }

    /** The recurrent core this spec names, on the given backend. */
    public Recurrent buildRecurrent(Backend backend, DType dtype) {
        switch (cell) {
            case "lrn":
            case "olrn":
                return Lrn.builder().backend(backend).dtype(dtype).inputSize(embedding).hiddenSize(hidden)
                        .layers(layers).bidirectional(bidirectional).layerNorm(layerNorm)
                        .activation(activation.equals("tanh") ? Activation.TANH : Activation.IDENTITY)
                        .outputGate(cell.equals("olrn")).seed(seed).build();
            case "lstm":
                return org.lrn4j.nn.Lstm.builder().backend(backend).dtype(dtype).inputSize(embedding).hiddenSize(hidden)
                        .layers(layers).bidirectional(bidirectional).seed(seed).build();
            case "gru":
                return org.lrn4j.nn.Gru.builder().backend(backend).dtype(dtype).inputSize(embedding).hiddenSize(hidden)
                        .layers(layers).bidirectional(bidirectional).seed(seed).build();
            case "atr":
                return org.lrn4j.nn.Atr.builder().backend(backend).dtype(dtype).inputSize(embedding).hiddenSize(hidden)
                        .layers(layers).bidirectional(bidirectional).seed(seed).build();
            case "sru":
                return org.lrn4j.nn.Sru.builder().backend(backend).dtype(dtype).inputSize(embedding).hiddenSize(hidden)
                        .layers(layers).bidirectional(bidirectional).seed(seed)
                        .activation(activation.equals("tanh") ? Activation.TANH : Activation.IDENTITY).build();
            default:
                throw new IllegalArgumentException("unknown cell '" + cell + "'; available: lrn, olrn, lstm, gru, atr, sru");
        }
    }

    public LanguageModel buildLanguageModel(Backend backend, DType dtype) {
        if (!task.equals("lm")) {
            throw new IllegalStateException("this spec describes a " + task + " model");
        }
        LanguageModel model = new LanguageModel(backend, dtype, vocabulary, embedding, buildRecurrent(backend, dtype), seed);
        model.setDropout(dropout);
        return model;
    }

    public SequenceClassifier buildClassifier(Backend backend, DType dtype) {
        if (!task.equals("classify")) {
            throw new IllegalStateException("this spec describes a " + task + " model");
        }
        SequenceClassifier model = new SequenceClassifier(backend, dtype, vocabulary, embedding,
                buildRecurrent(backend, dtype), classes, seed);
        model.setDropout(dropout);
        model.setPooling(pooling);
        return model;
    }

    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("task", task);
        o.addProperty("cell", cell);
        o.addProperty("vocabulary", vocabulary);
        o.addProperty("embedding", embedding);
        o.addProperty("hidden", hidden);
        o.addProperty("layers", layers);
        o.addProperty("bidirectional", bidirectional);
        o.addProperty("layer_norm", layerNorm);
        o.addProperty("activation", activation);
        o.addProperty("classes", classes);
        o.addProperty("seed", seed);
        o.addProperty("dropout", dropout);
        o.addProperty("pooling", pooling);
        return o;
    }

    public static ModelSpec fromJson(JsonObject o) {
        try {
            return new ModelSpec(o.get("task").getAsString(), o.get("cell").getAsString(), o.get("vocabulary").getAsInt(),
                    o.get("embedding").getAsInt(), o.get("hidden").getAsInt(), o.get("layers").getAsInt(),
                    o.get("bidirectional").getAsBoolean(), o.get("layer_norm").getAsBoolean(),
                    o.get("activation").getAsString(), o.get("classes").getAsInt(), o.get("seed").getAsLong(),
                    o.has("dropout") ? o.get("dropout").getAsDouble() : 0,
                    o.has("pooling") ? o.get("pooling").getAsString() : "final");
        } catch (NullPointerException | UnsupportedOperationException | IllegalStateException | NumberFormatException e) {
            throw new IllegalArgumentException("the model description is incomplete or malformed: " + o, e);
        }
    }
}

package org.lrn4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import com.google.gson.JsonObject;

import org.lrn4j.backend.Backend;
import org.lrn4j.data.Vocabulary;
import org.lrn4j.nn.LanguageModel;
import org.lrn4j.nn.SequenceClassifier;
import org.lrn4j.tensor.DType;
import org.lrn4j.train.ModelSpec;
import org.lrn4j.train.TensorIO;
import org.lrn4j.train.TrainConfig;
import org.lrn4j.train.checkpoint.Checkpoint;
import org.lrn4j.train.checkpoint.CheckpointStore;

/**
 * A trained language model loaded from a checkpoint: a run directory (its best checkpoint, else its
 * latest) or one checkpoint directory. Holds the model, its vocabulary and how it was trained.
 */
final class ModelCheckpoint implements AutoCloseable {
    final Path directory;
    final ModelSpec spec;
    final TrainConfig config;
    final Vocabulary vocabulary;
    final String corpus;
    /** The language model, or null when the checkpoint holds a classifier. */
    final LanguageModel model;
    /** The classifier, or null when the checkpoint holds a language model. */
    final SequenceClassifier classifier;
    /** The seed of the training run (the batching of a classifier's data depends on it). */
    final long seed;
    /** The LightRNN language model, or null when the checkpoint holds another model. */
    org.lrn4j.lightrnn.LightLanguageModel light;

    private ModelCheckpoint(Path directory, ModelSpec spec, TrainConfig config, Vocabulary vocabulary, String corpus,
                            LanguageModel model, SequenceClassifier classifier, long seed) {
        this.directory = directory;
        this.spec = spec;
        this.config = config;
        this.vocabulary = vocabulary;
        this.corpus = corpus;
        this.model = model;
        this.classifier = classifier;
        this.seed = seed;
    }

    /** The model as a language model, or a clear error naming what the checkpoint holds. */
    LanguageModel languageModel() {
        if (model == null && light != null) {
            throw new IllegalArgumentException(directory + " holds a LightRNN language model, which this command does "
                    + "not read (train, eval and generate do)");
        }
        if (model == null) {
            throw new IllegalArgumentException(directory + " holds a " + spec.task() + " model, not a language model");
        }
        return model;
    }

    static ModelCheckpoint load(Path path, Backend backend) throws IOException {
        Path dir = path;
        if (!Files.isRegularFile(path.resolve(Checkpoint.JSON_FILE))) {
            CheckpointStore store = new CheckpointStore(path);
            Optional<Path> chosen = store.best().or(() -> {
                try {
                    return store.latest();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            dir = chosen.orElseThrow(() -> new IllegalArgumentException("no checkpoint in " + path));
        }
        try (Checkpoint c = CheckpointStore.open(dir)) {
            JsonObject m = c.model();
            ModelSpec spec = ModelSpec.fromJson(m.getAsJsonObject("spec"));
            Vocabulary vocabulary = Vocabulary.fromJson(m.getAsJsonObject("vocabulary"));
            TrainConfig config = TrainConfig.fromJson(c.training().getAsJsonObject("config"));
            long seed = c.training().has("seed") ? c.training().get("seed").getAsLong() : spec.seed();
            if (m.has(org.lrn4j.lightrnn.LightRnnTrainer.LIGHTRNN)) {
                org.lrn4j.lightrnn.WordTable table = org.lrn4j.lightrnn.WordTable.fromJson(
                        m.getAsJsonObject(org.lrn4j.lightrnn.LightRnnTrainer.LIGHTRNN)
                                .getAsJsonObject(org.lrn4j.lightrnn.LightRnnTrainer.TABLE));
                org.lrn4j.lightrnn.LightLanguageModel light = org.lrn4j.lightrnn.LightRnnTrainer.build(backend,
                        DType.FLOAT32, spec, table);
                try {
                    TensorIO.loadParameters(c.tensors(Checkpoint.MODEL), light.parameters());
                } catch (IOException | RuntimeException e) {
                    light.close();
                    throw e;
                }
                ModelCheckpoint mc = new ModelCheckpoint(dir, spec, config, vocabulary, m.get("corpus").getAsString(),
                        null, null, seed);
                mc.light = light;
                return mc;
            }
            boolean lm = spec.task().equals("lm");
            LanguageModel model = lm ? spec.buildLanguageModel(backend, DType.FLOAT32) : null;
            SequenceClassifier classifier = lm ? null : spec.buildClassifier(backend, DType.FLOAT32);
            try {
                TensorIO.loadParameters(c.tensors(Checkpoint.MODEL), lm ? model.parameters() : classifier.parameters());
            } catch (IOException | RuntimeException e) {
                if (model != null) {
                    model.close();
                }
                if (classifier != null) {
                    classifier.close();
                }
                throw e;
            }
            return new ModelCheckpoint(dir, spec, config, vocabulary, m.get("corpus").getAsString(), model, classifier,
                    seed);
        }
    }

    @Override
    public void close() {
        if (light != null) {
            light.close();
        }
        if (model != null) {
            model.close();
        }
        if (classifier != null) {
            classifier.close();
        }
    }
}

package org.lrn4j.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import com.google.gson.JsonObject;

import org.lrn4j.backend.Backend;
import org.lrn4j.data.BucketBatches;
import org.lrn4j.data.ClassificationSet;
import org.lrn4j.nn.Dropout;
import org.lrn4j.nn.Parameter;
import org.lrn4j.nn.SequenceClassifier;
import org.lrn4j.tensor.DType;
import org.lrn4j.train.checkpoint.Checkpoint;
import org.lrn4j.train.checkpoint.CheckpointStore;

/**
 * Trains a sequence classifier on padded, length-bucketed batches (a fixed shuffle per epoch from the
 * seed), evaluates validation loss and accuracy after each epoch (the schedule watches the loss), keeps
 * the best checkpoint, stops early, and reports test accuracy with the best weights. A run resumed from
 * its latest checkpoint continues exactly: the epoch's batch order is rebuilt from (seed, epoch).
 */
public final class ClassifierTrainer {
    /** Hears what happens. All methods have empty defaults. */
    public interface Listener {
        default void epochStarted(int epoch, int batches, int firstBatch) {
        }

        default void batchDone(int epoch, int index, double meanLoss, double accuracy, long tokens, double lr) {
        }

        default void evaluated(int epoch, double validLoss, double validAccuracy, boolean best) {
        }

        default void resumed(Path checkpoint, int epoch, int batch) {
        }
    }

    /** How the run ended. */
    public record Summary(int epochs, long updates, double bestValidLoss, double validAccuracy, double testAccuracy,
                          double trainTokensPerSecond, Path best) {
    }

    private final Backend backend;
    private final ClassificationSet data;
    private final ModelSpec spec;
    private final TrainConfig config;
    private final CheckpointStore store;
    private final long seed;
    private String source;

    public ClassifierTrainer(Backend backend, ClassificationSet data, ModelSpec spec, TrainConfig config,
                             CheckpointStore store, long seed) {
        if (spec.vocabulary() != data.vocabulary().size() || spec.classes() != data.labels().size()) {
            throw new IllegalArgumentException("the model has " + spec.vocabulary() + " words and " + spec.classes()
                    + " classes, the data " + data.vocabulary().size() + " and " + data.labels().size());
        }
        this.backend = backend;
        this.data = data;
        this.spec = spec;
        this.config = config;
        this.store = store;
        this.seed = seed;
    }

    /** Records where the data comes from (a string the caller can load it again from) in the checkpoints. */
    public ClassifierTrainer source(String dataSource) {
        this.source = dataSource;
        return this;
    }

    public Summary run(Listener listener) throws IOException {
        try (SequenceClassifier model = spec.buildClassifier(backend, DType.FLOAT32);
             Optimizer optimizer = config.optimizer().equals("adam")
                     ? new Adam(backend, model.parameters(), config.learningRate(), 0.9, 0.999, 1e-8, config.weightDecay())
                     : new Sgd(backend, model.parameters(), config.learningRate(), config.momentum(), config.weightDecay(), false)) {
            LearningRateSchedule schedule = config.schedule();
            int epoch = 0;
            int firstBatch = 0;
            double validAccuracy = Double.NaN;
            Optional<Path> latest = store.latest();
            if (latest.isPresent()) {
                try (Checkpoint c = CheckpointStore.open(latest.get())) {
                    ModelSpec saved = ModelSpec.fromJson(c.model().getAsJsonObject("spec"));
                    if (!saved.equals(spec)) {
                        throw new IllegalArgumentException("the checkpoint in " + store.root() + " holds a different model ("
                                + saved + "); use another directory or the same settings");
                    }
                    JsonObject t = c.training();
                    TensorIO.loadParameters(c.tensors(Checkpoint.MODEL), model.parameters());
                    TensorIO.loadTensors(c.tensors(Checkpoint.OPTIMIZER), optimizer.state());
                    optimizer.restoreSteps(t.get("updates").getAsLong());
                    schedule.restore(t.getAsJsonObject("schedule"));
                    epoch = t.get("epoch").getAsInt();
                    firstBatch = t.get("batch").getAsInt();
                    validAccuracy = t.has("valid_accuracy") ? t.get("valid_accuracy").getAsDouble() : Double.NaN;
                    listener.resumed(latest.get(), epoch, firstBatch);
                }
            }
            BucketBatches train = new BucketBatches(data.train(), config.batch(), -1, seed);
            long tokens = 0;
            double seconds = 0;
            boolean stopped = schedule.shouldStop();
            while (epoch < config.epochs() && !stopped) {
                List<BucketBatches.PaddedBatch> batches = train.epoch(epoch);
                listener.epochStarted(epoch, batches.size(), firstBatch);
                for (int k = firstBatch; k < batches.size(); k++) {
                    BucketBatches.PaddedBatch b = batches.get(k);
                    long t0 = System.nanoTime();
                    for (Parameter p : model.parameters()) {
                        p.zeroGrad();
                    }
                    SequenceClassifier.Outcome o = model.run(b.tokens(), b.lengths(), b.labels(), b.steps(), b.batch(), true,
                            Dropout.seed(spec.seed(), optimizer.steps(), 0));
                    double[] clip = Optimizer.clip(backend, model.parameters(), config.clipNorm());
                    double lr = schedule.rate(optimizer.steps() + 1);
                    optimizer.setLearningRate(lr);
                    optimizer.step(clip[1]);
                    backend.synchronize();
                    seconds += (System.nanoTime() - t0) / 1e9;
                    tokens += b.realTokens();
                    listener.batchDone(epoch, k, o.meanLoss(), o.accuracy(), b.realTokens(), lr);
                    if (config.checkpointEvery() > 0 && optimizer.steps() % config.checkpointEvery() == 0
                            && k + 1 < batches.size()) {
                        save(model, optimizer, schedule, epoch, k + 1, validAccuracy, false);
                    }
                }
                firstBatch = 0;
                double[] valid = evaluate(model, data.valid());
                validAccuracy = valid[1];
                boolean best = schedule.observe(valid[0]);
                listener.evaluated(epoch, valid[0], valid[1], best);
                epoch++;
                save(model, optimizer, schedule, epoch, 0, validAccuracy, best);
                stopped = schedule.shouldStop();
            }
            Optional<Path> best = store.best();
            if (best.isPresent()) {
                try (Checkpoint c = CheckpointStore.open(best.get())) {
                    TensorIO.loadParameters(c.tensors(Checkpoint.MODEL), model.parameters());
                }
            }
            double[] valid = evaluate(model, data.valid());
            double[] test = evaluate(model, data.test());
            return new Summary(epoch, optimizer.steps(), schedule.best(), valid[1], test[1],
                    seconds > 0 ? tokens / seconds : Double.NaN, best.orElse(null));
        }
    }

    /** Mean loss and accuracy over a part of the data, in fixed batches. */
    public double[] evaluate(SequenceClassifier model, List<ClassificationSet.Example> part) {
        double loss = 0;
        long correct = 0;
        long count = 0;
        for (BucketBatches.PaddedBatch b : new BucketBatches(part, config.batch(), -1, seed).inOrder()) {
            SequenceClassifier.Outcome o = model.run(b.tokens(), b.lengths(), b.labels(), b.steps(), b.batch(), false);
            loss += o.lossSum();
            correct += o.correct();
            count += o.count();
        }
        return new double[] {loss / Math.max(1, count), (double) correct / Math.max(1, count)};
    }

    private void save(SequenceClassifier model, Optimizer optimizer, LearningRateSchedule schedule, int epoch, int batch,
                      double validAccuracy, boolean best) throws IOException {
        JsonObject m = new JsonObject();
        m.add("spec", spec.toJson());
        m.add("vocabulary", data.vocabulary().toJson());
        m.addProperty("corpus", source != null ? source : data.name());
        com.google.gson.JsonArray labels = new com.google.gson.JsonArray();
        data.labels().forEach(labels::add);
        m.add("labels", labels);
        JsonObject t = new JsonObject();
        t.add("config", config.toJson());
        t.addProperty("seed", seed);
        t.addProperty("epoch", epoch);
        t.addProperty("batch", batch);
        t.addProperty("updates", optimizer.steps());
        if (!Double.isNaN(validAccuracy)) {
            t.addProperty("valid_accuracy", validAccuracy);
        }
        t.add("schedule", schedule.stateJson());
        store.save(new Checkpoint.Contents().model(m).training(t)
                .tensors(Checkpoint.MODEL, TensorIO.parameters(model.parameters()))
                .tensors(Checkpoint.OPTIMIZER, TensorIO.tensors(optimizer.state())), best);
    }
}

package org.lrn4j.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import com.google.gson.JsonObject;

import org.lrn4j.backend.Backend;
import org.lrn4j.nn.Dropout;
import org.lrn4j.nn.Parameter;
import org.lrn4j.train.checkpoint.Checkpoint;
import org.lrn4j.train.checkpoint.CheckpointStore;

/**
 * Trains a model of the LMU tasks ({@link LmuTaskModel}: permuted sequential Fashion-MNIST, Mackey–Glass) with
 * Adam (or SGD), global-norm clipping, the warm-up and plateau schedule of {@link TrainConfig}, a checkpoint after
 * every epoch (the best by the validation score marked), mid-epoch checkpoints, and exact resume. The validation
 * score the schedule watches is {@link LmuTaskModel.Score#criterion()}: the error rate of a classifier, the mean
 * squared error of a regressor. At the end the best checkpoint is loaded and scored on the validation and test
 * parts.
 */
public final class LmuTaskTrainer {
    /** Seed of the epoch shuffles, offset from the run seed so it does not reuse the initialisation's stream. */
    private static final long SHUFFLE_OFFSET = 0x5DEECE66DL;

    private final Backend backend;
    private final LmuTaskSpec spec;
    private final TrainConfig config;
    private final CheckpointStore store;

    /** Progress of a run. */
    public interface Listener {
        default void resumed(Path checkpoint, int epoch, int batch) {
        }

        default void epochStarted(int epoch, int batches, int firstBatch) {
        }

        /** After each update: the batch's mean loss and its score (accuracy, or NaN), examples in it. */
        default void batchDone(int epoch, int index, double meanLoss, double score, int examples, double learningRate) {
        }

        default void evaluated(int epoch, LmuTaskModel.Score valid, boolean best, double epochSeconds) {
        }
    }

    /**
     * The result of a run.
     *
     * @param secondsPerEpoch mean wall time of the epochs run here (training updates only), NaN if none ran
     */
    public record Summary(int epochs, long updates, LmuTaskModel.Score valid, LmuTaskModel.Score test,
                          double secondsPerEpoch, long parameters, Path best) {
    }

    public LmuTaskTrainer(Backend backend, LmuTaskSpec spec, TrainConfig config, CheckpointStore store) {
        this.backend = backend;
        this.spec = spec;
        this.config = config;
        this.store = store;
    }

    public Summary run(LmuTaskModel model, Listener listener) throws IOException {
        List<Parameter> parameters = model.parameters();
        try (Optimizer optimizer = config.optimizer().equals("adam")
                ? new Adam(backend, parameters, config.learningRate(), 0.9, 0.999, 1e-8, config.weightDecay())
                : new Sgd(backend, parameters, config.learningRate(), config.momentum(), config.weightDecay(), false)) {
            LearningRateSchedule schedule = config.schedule();
            int epoch = 0;
            int firstBatch = 0;
            double trainSeconds = 0;
            int epochsRun = 0;
            Optional<Path> latest = store.latest();
            if (latest.isPresent()) {
                try (Checkpoint c = CheckpointStore.open(latest.get())) {
                    LmuTaskSpec saved = LmuTaskSpec.fromJson(c.model().getAsJsonObject("spec"));
                    if (!saved.equals(spec)) {
                        throw new IllegalArgumentException("the checkpoint in " + store.root() + " holds a different model ("
                                + saved + "); use another directory or the same settings");
                    }
                    JsonObject t = c.training();
                    TensorIO.loadParameters(c.tensors(Checkpoint.MODEL), parameters);
                    TensorIO.loadTensors(c.tensors(Checkpoint.OPTIMIZER), optimizer.state());
                    optimizer.restoreSteps(t.get("updates").getAsLong());
                    schedule.restore(t.getAsJsonObject("schedule"));
                    epoch = t.get("epoch").getAsInt();
                    firstBatch = t.get("batch").getAsInt();
                    listener.resumed(latest.get(), epoch, firstBatch);
                }
            }
            int n = model.trainSize();
            int batches = Math.max(1, n / config.batch());
            boolean stopped = schedule.shouldStop();
            while (epoch < config.epochs() && !stopped) {
                int[] order = shuffled(n, spec.seed() + SHUFFLE_OFFSET + epoch);
                listener.epochStarted(epoch, batches, firstBatch);
                long started = System.nanoTime();
                for (int k = firstBatch; k < batches; k++) {
                    for (Parameter p : parameters) {
                        p.zeroGrad();
                    }
                    int size = Math.min(config.batch(), n - k * config.batch());
                    double[] r = model.trainBatch(order, k * config.batch(), size,
                            Dropout.seed(spec.seed(), optimizer.steps(), 0));
                    double[] clip = Optimizer.clip(backend, parameters, config.clipNorm());
                    double lr = schedule.rate(optimizer.steps() + 1);
                    optimizer.setLearningRate(lr);
                    optimizer.step(clip[1]);
                    backend.synchronize();
                    listener.batchDone(epoch, k, r[0], r[1], size, lr);
                    if (config.checkpointEvery() > 0 && optimizer.steps() % config.checkpointEvery() == 0
                            && k + 1 < batches) {
                        save(model, optimizer, schedule, epoch, k + 1, false);
                    }
                }
                double seconds = (System.nanoTime() - started) / 1e9;
                if (firstBatch == 0) {
                    trainSeconds += seconds;
                    epochsRun++;
                }
                firstBatch = 0;
                LmuTaskModel.Score valid = model.evaluate(LmuTaskModel.Part.VALID, config.batch());
                boolean best = schedule.observe(valid.criterion());
                listener.evaluated(epoch, valid, best, seconds);
                epoch++;
                save(model, optimizer, schedule, epoch, 0, best);
                stopped = schedule.shouldStop();
            }
            Optional<Path> best = store.best();
            if (best.isPresent()) {
                try (Checkpoint c = CheckpointStore.open(best.get())) {
                    TensorIO.loadParameters(c.tensors(Checkpoint.MODEL), parameters);
                }
            }
            LmuTaskModel.Score valid = model.evaluate(LmuTaskModel.Part.VALID, config.batch());
            LmuTaskModel.Score test = model.evaluate(LmuTaskModel.Part.TEST, config.batch());
            return new Summary(epoch, optimizer.steps(), valid, test,
                    epochsRun > 0 ? trainSeconds / epochsRun : Double.NaN, model.parameterCount(), best.orElse(null));
        }
    }

    /** 0..n-1 shuffled by {@code java.util.Random(seed)} (Fisher–Yates). */
    static int[] shuffled(int n, long seed) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Random rng = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private void save(LmuTaskModel model, Optimizer optimizer, LearningRateSchedule schedule, int epoch, int batch,
                      boolean best) throws IOException {
        JsonObject m = new JsonObject();
        m.addProperty("lmu_task", spec.task());
        m.add("spec", spec.toJson());
        m.addProperty("parameters", model.parameterCount());
        JsonObject t = new JsonObject();
        t.add("config", config.toJson());
        t.addProperty("epoch", epoch);
        t.addProperty("batch", batch);
        t.addProperty("updates", optimizer.steps());
        t.add("schedule", schedule.stateJson());
        store.save(new Checkpoint.Contents().model(m).training(t)
                .tensors(Checkpoint.MODEL, TensorIO.parameters(model.parameters()))
                .tensors(Checkpoint.OPTIMIZER, TensorIO.tensors(optimizer.state())), best);
    }
}

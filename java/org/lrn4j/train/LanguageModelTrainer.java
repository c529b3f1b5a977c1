package org.lrn4j.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.google.gson.JsonObject;

import org.lrn4j.backend.Backend;
import org.lrn4j.data.LanguageModelCorpus;
import org.lrn4j.data.StreamBatches;
import org.lrn4j.nn.Dropout;
import org.lrn4j.nn.LanguageModel;
import org.lrn4j.nn.Parameter;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;
import org.lrn4j.train.checkpoint.Checkpoint;
import org.lrn4j.train.checkpoint.CheckpointStore;
import org.lrn4j.train.checkpoint.SafetensorsFile;

/**
 * Trains a language model on a corpus's training stream with truncated BPTT (the state carried across
 * windows), evaluates validation perplexity after each epoch, decays the learning rate on plateaus, stops
 * early, and checkpoints into a {@link CheckpointStore}. A run resumed from its latest checkpoint continues
 * exactly as if it had not been interrupted: the checkpoint holds the parameters, the optimizer's state and
 * update count, the schedule's state, the position in the epoch, the carried recurrent state and the curve.
 */
public final class LanguageModelTrainer {
    /** Hears what happens, for progress display and logs. All methods have empty defaults. */
    public interface Listener {
        default void epochStarted(int epoch, int batches, int firstBatch) {
        }

        default void batchDone(int epoch, int index, double meanLoss, long tokens, double learningRate) {
        }

        default void evaluated(int epoch, double validPerplexity, boolean best) {
        }

        default void saved(Path checkpoint) {
        }

        default void resumed(Path checkpoint, int epoch, int batch) {
        }
    }

    /** One point of the learning curve: after an epoch, its mean training loss and validation perplexity. */
    public record Point(int epoch, long updates, double trainPerplexity, double validPerplexity, double learningRate) {
    }

    /** How the run ended. */
    public record Summary(int epochs, long updates, double bestValidPerplexity, double testPerplexity,
                          double trainTokensPerSecond, Path best, List<Point> curve) {
    }

    private final Backend backend;
    private final LanguageModelCorpus corpus;
    private final ModelSpec spec;
    private final TrainConfig config;
    private final CheckpointStore store;
    private final int evalBatch;
    private String source;

    public LanguageModelTrainer(Backend backend, LanguageModelCorpus corpus, ModelSpec spec, TrainConfig config,
                                CheckpointStore store) {
        if (spec.vocabulary() != corpus.vocabulary().size()) {
            throw new IllegalArgumentException("the model has " + spec.vocabulary() + " words, the corpus "
                    + corpus.vocabulary().size());
        }
        this.backend = backend;
        this.corpus = corpus;
        this.spec = spec;
        this.config = config;
        this.store = store;
        this.evalBatch = 10;
    }

    /**
     * Records where the corpus comes from (a string the caller can load it again from, such as the
     * command's --corpus value) in the checkpoints; the corpus's name by default.
     */
    public LanguageModelTrainer source(String corpusSource) {
        this.source = corpusSource;
        return this;
    }

    /** Trains (resuming from the store's latest checkpoint when there is one) and reports. */
    public Summary run(Listener listener) throws IOException {
        try (LanguageModel model = spec.buildLanguageModel(backend, DType.FLOAT32);
             Optimizer optimizer = optimizer(model.parameters())) {
            LearningRateSchedule schedule = config.schedule();
            List<Point> curve = new ArrayList<>();
            int epoch = 0;
            int firstBatch = 0;
            double epochLoss = 0;
            long epochTokens = 0;
            Optional<Path> latest = store.latest();
            if (latest.isPresent()) {
                try (Checkpoint c = CheckpointStore.open(latest.get())) {
                    checkSameRun(c);
                    TrainingState state = TrainingState.restore(c, model.parameters(), optimizer, schedule);
                    epoch = state.epoch();
                    firstBatch = state.batch();
                    epochLoss = state.epochLoss();
                    epochTokens = state.epochTokens();
                    curve.addAll(state.curve());
                    if (c.hasPart(Checkpoint.STATE)) {
                        SafetensorsFile st = c.tensors(Checkpoint.STATE);
                        model.restoreState(toDoubles(st.floats("carried")), st.info("carried").shape());
                    }
                    listener.resumed(latest.get(), epoch, firstBatch);
                }
            }
            long trainTokens = 0;
            double trainSeconds = 0;
            boolean stopped = schedule.shouldStop();
            while (epoch < config.epochs() && !stopped) {
                StreamBatches batches = new StreamBatches(corpus.train(), config.batch(), config.steps());
                listener.epochStarted(epoch, batches.size(), firstBatch);
                if (firstBatch == 0) {
                    model.resetState();
                }
                for (int k = firstBatch; k < batches.size(); k++) {
                    StreamBatches.Batch b = batches.get(k);
                    long t0 = System.nanoTime();
                    for (Parameter p : model.parameters()) {
                        p.zeroGrad();
                    }
                    LanguageModel.Loss loss = model.trainWindow(b.inputs(), b.targets(), b.steps(), b.batch(),
                            Dropout.seed(spec.seed(), optimizer.steps(), 0));
                    double[] clip = Optimizer.clip(backend, model.parameters(), config.clipNorm());
                    double lr = schedule.rate(optimizer.steps() + 1);
                    optimizer.setLearningRate(lr);
                    optimizer.step(clip[1]);
                    backend.synchronize();
                    trainSeconds += (System.nanoTime() - t0) / 1e9;
                    trainTokens += loss.count();
                    epochLoss += loss.sum();
                    epochTokens += loss.count();
                    listener.batchDone(epoch, k, loss.mean(), loss.count(), lr);
                    if (config.checkpointEvery() > 0 && optimizer.steps() % config.checkpointEvery() == 0
                            && k + 1 < batches.size()) {
                        listener.saved(save(model, optimizer, schedule, epoch, k + 1, epochLoss, epochTokens, curve, false));
                    }
                }
                firstBatch = 0;
                double valid = perplexity(model, corpus.valid());
                boolean best = schedule.observe(valid);
                curve.add(new Point(epoch + 1, optimizer.steps(), Math.exp(epochLoss / Math.max(1, epochTokens)), valid,
                        optimizer.learningRate()));
                listener.evaluated(epoch, valid, best);
                epoch++;
                epochLoss = 0;
                epochTokens = 0;
                model.resetState();
                listener.saved(save(model, optimizer, schedule, epoch, 0, 0, 0, curve, best));
                stopped = schedule.shouldStop();
            }
            // test perplexity with the best weights
            Optional<Path> best = store.best();
            if (best.isPresent()) {
                try (Checkpoint c = CheckpointStore.open(best.get())) {
                    TensorIO.loadParameters(c.tensors(Checkpoint.MODEL), model.parameters());
                }
            }
            double test = perplexity(model, corpus.test());
            return new Summary(epoch, optimizer.steps(), schedule.best(), test,
                    trainSeconds > 0 ? trainTokens / trainSeconds : Double.NaN, best.orElse(null), curve);
        }
    }

    /** exp(mean loss) over a stream read as evaluation windows with the state carried. */
    public double perplexity(LanguageModel model, int[] stream) {
        model.resetState();
        StreamBatches batches = new StreamBatches(stream, Math.min(evalBatch, Math.max(1, stream.length / 2)),
                config.steps());
        double sum = 0;
        long count = 0;
        for (StreamBatches.Batch b : batches) {
            LanguageModel.Loss l = model.evaluateWindow(b.inputs(), b.targets(), b.steps(), b.batch());
            sum += l.sum();
            count += l.count();
        }
        model.resetState();
        return Math.exp(sum / Math.max(1, count));
    }

    private Optimizer optimizer(List<Parameter> parameters) {
        return config.optimizer().equals("adam")
                ? new Adam(backend, parameters, config.learningRate(), 0.9, 0.999, 1e-8, config.weightDecay())
                : new Sgd(backend, parameters, config.learningRate(), config.momentum(), config.weightDecay(), false);
    }

    private void checkSameRun(Checkpoint c) {
        ModelSpec saved = ModelSpec.fromJson(c.model().getAsJsonObject("spec"));
        if (!saved.equals(spec)) {
            throw new IllegalArgumentException("the checkpoint in " + store.root() + " holds a different model ("
                    + saved + "); use another directory or the same settings");
        }
    }

    private Path save(LanguageModel model, Optimizer optimizer, LearningRateSchedule schedule, int epoch, int batch,
                      double epochLoss, long epochTokens, List<Point> curve, boolean best) throws IOException {
        JsonObject m = new JsonObject();
        m.add("spec", spec.toJson());
        m.add("vocabulary", corpus.vocabulary().toJson());
        m.addProperty("corpus", source != null ? source : corpus.name());
        JsonObject t = new TrainingState(epoch, batch, optimizer.steps(), epochLoss, epochTokens, schedule.stateJson(),
                curve).toJson(config);
        Checkpoint.Contents contents = new Checkpoint.Contents().model(m).training(t)
                .tensors(Checkpoint.MODEL, TensorIO.parameters(model.parameters()))
                .tensors(Checkpoint.OPTIMIZER, TensorIO.tensors(optimizer.state()));
        Tensor carried = model.carriedState();
        if (carried != null && batch > 0) {
            contents.tensors(Checkpoint.STATE, new org.lrn4j.train.checkpoint.SafetensorsWriter()
                    .add("carried", carried.toFloatArray(), carried.shape()));
        }
        return store.save(contents, best);
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}

package org.lrn4j.lightrnn;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import org.lrn4j.backend.Backend;
import org.lrn4j.data.LanguageModelCorpus;
import org.lrn4j.data.StreamBatches;
import org.lrn4j.nn.Dropout;
import org.lrn4j.nn.LanguageModel.Loss;
import org.lrn4j.nn.Parameter;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;
import org.lrn4j.train.Adam;
import org.lrn4j.train.LanguageModelTrainer.Point;
import org.lrn4j.train.LearningRateSchedule;
import org.lrn4j.train.ModelSpec;
import org.lrn4j.train.Optimizer;
import org.lrn4j.train.Sgd;
import org.lrn4j.train.TensorIO;
import org.lrn4j.train.TrainConfig;
import org.lrn4j.train.TrainingState;
import org.lrn4j.train.checkpoint.Checkpoint;
import org.lrn4j.train.checkpoint.CheckpointStore;
import org.lrn4j.train.checkpoint.SafetensorsFile;
import org.lrn4j.train.checkpoint.SafetensorsWriter;

/**
 * Trains a {@link LightLanguageModel} the way {@link org.lrn4j.train.LanguageModelTrainer} trains an
 * ordinary one (truncated BPTT with the state carried, dropout, clipping, the plateau schedule, checkpoints
 * that resume exactly), in rounds: after every round but the last, one pass over the training data with
 * the trained model accumulates the separable cost l_r(w, i) + l_c(w, j) ({@link
 * LightLanguageModel#accumulateCosts}), the {@link AllocationSolver} places the words anew, and training
 * goes on with the words in their new cells (the vectors stay with the rows and columns). Each
 * re-allocation is recorded with the number of words moved and the validation perplexity before and
 * after it. The word table is saved in every checkpoint.
 */
public final class LightRnnTrainer {
    /** Hears what happens. All methods have empty defaults. */
    public interface Listener extends org.lrn4j.train.LanguageModelTrainer.Listener {
        /** A re-allocation is done (the cost is given so that it can be saved for the solver benchmark). */
        default void reallocated(Reallocation r, AllocationCost cost) {
        }
    }

    /**
     * One re-allocation after training round {@code round} (1-based): words moved, the total allocation cost
     * of the old and new tables, and validation perplexity (two-step) just before and just after.
     */
    public record Reallocation(int round, int epoch, int moved, double costBefore, double costAfter,
                               double validBefore, double validAfter, double costSeconds, double solveSeconds) {
        JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("round", round);
            o.addProperty("epoch", epoch);
            o.addProperty("moved", moved);
            o.addProperty("cost_before", costBefore);
            o.addProperty("cost_after", costAfter);
            o.addProperty("valid_ppl_before", validBefore);
            o.addProperty("valid_ppl_after", validAfter);
            o.addProperty("cost_seconds", costSeconds);
            o.addProperty("solve_seconds", solveSeconds);
            return o;
        }

        static Reallocation fromJson(JsonObject o) {
            return new Reallocation(o.get("round").getAsInt(), o.get("epoch").getAsInt(), o.get("moved").getAsInt(),
                    o.get("cost_before").getAsDouble(), o.get("cost_after").getAsDouble(),
                    o.get("valid_ppl_before").getAsDouble(), o.get("valid_ppl_after").getAsDouble(),
                    o.get("cost_seconds").getAsDouble(), o.get("solve_seconds").getAsDouble());
        }
    }

    /** How the run ended; test perplexity two-step, from the best checkpoint. */
    public record Summary(int epochs, long updates, double bestValidPerplexity, double testPerplexity,
                          double trainTokensPerSecond, Path best, List<Point> curve, List<Reallocation> reallocations,
                          long peakHeapBytes, long peakOffHeapBytes) {
    }

    public static final String LIGHTRNN = "lightrnn";
    public static final String TABLE = "table";

    private final Backend backend;
    private final LanguageModelCorpus corpus;
    private final ModelSpec spec;
    private final LightRnnOptions options;
    private final TrainConfig config;
    private final CheckpointStore store;
    private final AllocationSolver solver;
    private final int evalBatch = 10;
    private String source;

    /**
     * @param spec   the recurrent core and its sizes (task "lm"; vocabulary = the corpus's)
     * @param solver the re-allocation solver; may be null when there is a single round
     */
    public LightRnnTrainer(Backend backend, LanguageModelCorpus corpus, ModelSpec spec, LightRnnOptions options,
                           TrainConfig config, CheckpointStore store, AllocationSolver solver) {
        if (spec.vocabulary() != corpus.vocabulary().size()) {
            throw new IllegalArgumentException("the model has " + spec.vocabulary() + " words, the corpus "
                    + corpus.vocabulary().size());
        }
        if ((long) options.rows() * options.cols() < spec.vocabulary()) {
            throw new IllegalArgumentException(spec.vocabulary() + " words do not fit in a " + options.rows() + "x"
                    + options.cols() + " table");
        }
        if (options.rounds() > 1 && solver == null) {
            throw new IllegalArgumentException("re-allocation rounds need a solver");
        }
        if (config.epochs() != options.rounds() * options.epochsPerRound()) {
            throw new IllegalArgumentException("the training epochs (" + config.epochs() + ") must be rounds × epochs per "
                    + "round (" + options.rounds() * options.epochsPerRound() + ")");
        }
        this.backend = backend;
        this.corpus = corpus;
        this.spec = spec;
        this.options = options;
        this.config = config;
        this.store = store;
        this.solver = solver;
    }

    /** Records where the corpus comes from in the checkpoints (the corpus's name by default). */
    public LightRnnTrainer source(String corpusSource) {
        this.source = corpusSource;
        return this;
    }

    /** The model a spec, options and table describe (the dropout of the spec set). */
    public static LightLanguageModel build(Backend backend, DType dtype, ModelSpec spec, WordTable table) {
        if (!spec.task().equals("lm")) {
            throw new IllegalArgumentException("a LightRNN model is a language model, the spec is a " + spec.task());
        }
        if (table.words() != spec.vocabulary()) {
            throw new IllegalArgumentException("the table holds " + table.words() + " words, the spec "
                    + spec.vocabulary());
        }
        LightLanguageModel m = new LightLanguageModel(backend, dtype, table, spec.embedding(),
                spec.buildRecurrent(backend, dtype), spec.seed());
        m.setDropout(spec.dropout());
        return m;
    }

    /** Occurrences of each word in the stream. */
    public static long[] counts(int[] stream, int words) {
        long[] c = new long[words];
        for (int w : stream) {
            c[w]++;
        }
        return c;
    }

    /** Trains (resuming from the store's latest checkpoint when there is one) and reports. */
    public Summary run(Listener listener) throws IOException {
        MemoryPeaks.reset();
        WordTable initial = WordTable.initial(options.init(), counts(corpus.train(), spec.vocabulary()), options.rows(),
                options.cols(), spec.seed());
        try (LightLanguageModel model = build(backend, DType.FLOAT32, spec, initial);
             Optimizer optimizer = optimizer(model.parameters())) {
            LearningRateSchedule schedule = config.schedule();
            List<Point> curve = new ArrayList<>();
            List<Reallocation> reallocations = new ArrayList<>();
            int epoch = 0;
            int firstBatch = 0;
            double epochLoss = 0;
            long epochTokens = 0;
            Optional<Path> latest = store.latest();
            if (latest.isPresent()) {
                try (Checkpoint c = CheckpointStore.open(latest.get())) {
                    JsonObject t = c.training();
                    checkSameRun(c);
                    model.setTable(WordTable.fromJson(c.model().getAsJsonObject(LIGHTRNN).getAsJsonObject(TABLE)));
                    TrainingState state = TrainingState.restore(c, model.parameters(), optimizer, schedule);
                    epoch = state.epoch();
                    firstBatch = state.batch();
                    epochLoss = state.epochLoss();
                    epochTokens = state.epochTokens();
                    curve.addAll(state.curve());
                    for (JsonElement e : t.getAsJsonArray("reallocations")) {
                        reallocations.add(Reallocation.fromJson(e.getAsJsonObject()));
                    }
                    if (c.hasPart(Checkpoint.STATE)) {
                        SafetensorsFile st = c.tensors(Checkpoint.STATE);
                        model.restoreState(toDoubles(st.floats("carried")), st.info("carried").shape());
                    }
                    listener.resumed(latest.get(), epoch, firstBatch);
                }
                // a run stopped between the best checkpoint of a round's last epoch and the re-allocation after it
                int round = epoch / options.epochsPerRound();
                if (firstBatch == 0 && epoch > 0 && epoch % options.epochsPerRound() == 0 && round < options.rounds()
                        && reallocations.size() < round && !schedule.shouldStop() && !curve.isEmpty()) {
                    reallocations.add(reallocate(model, round, epoch, curve.get(curve.size() - 1).validPerplexity(),
                            listener));
                    listener.saved(save(model, optimizer, schedule, epoch, 0, 0, 0, curve, reallocations, false));
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
                    Loss loss = model.trainWindow(b.inputs(), b.targets(), b.steps(), b.batch(),
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
                        listener.saved(save(model, optimizer, schedule, epoch, k + 1, epochLoss, epochTokens, curve,
                                reallocations, false));
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
                stopped = schedule.shouldStop();
                int round = epoch / options.epochsPerRound();
                boolean move = epoch % options.epochsPerRound() == 0 && round < options.rounds() && !stopped;
                if (move && best) {
                    // the best weights go with the table they were trained with, saved before the words move
                    listener.saved(save(model, optimizer, schedule, epoch, 0, 0, 0, curve, reallocations, true));
                }
                if (move) {
                    reallocations.add(reallocate(model, round, epoch, valid, listener));
                }
                listener.saved(save(model, optimizer, schedule, epoch, 0, 0, 0, curve, reallocations, best && !move));
            }
            Optional<Path> best = store.best();
            if (best.isPresent()) {
                try (Checkpoint c = CheckpointStore.open(best.get())) {
                    model.setTable(WordTable.fromJson(c.model().getAsJsonObject(LIGHTRNN).getAsJsonObject(TABLE)));
                    TensorIO.loadParameters(c.tensors(Checkpoint.MODEL), model.parameters());
                }
            }
            double test = perplexity(model, corpus.test());
            return new Summary(epoch, optimizer.steps(), schedule.best(), test,
                    trainSeconds > 0 ? trainTokens / trainSeconds : Double.NaN, best.orElse(null), curve, reallocations,
                    MemoryPeaks.peakHeap(), org.lrn4j.tensor.HostStorage.peakBytes());
        }
    }

    /** Accumulates the costs over the training data, solves, moves the words, and measures. */
    private Reallocation reallocate(LightLanguageModel model, int round, int epoch, double validBefore,
                                    Listener listener) {
        long t0 = System.nanoTime();
        AllocationCost cost = costs(model, corpus.train());
        double costSeconds = (System.nanoTime() - t0) / 1e9;
        long t1 = System.nanoTime();
        int[] cells = solver.solve(cost);
        double solveSeconds = (System.nanoTime() - t1) / 1e9;
        WordTable old = model.table();
        WordTable next = old.reassign(cells);
        double before = cost.total(old.cellsOfWords());
        double after = cost.total(cells);
        model.setTable(next);
        double validAfter = perplexity(model, corpus.valid());
        Reallocation r = new Reallocation(round, epoch, old.moved(next), before, after, validBefore, validAfter,
                costSeconds, solveSeconds);
        listener.reallocated(r, cost);
        return r;
    }

    /**
     * The separable allocation cost of the model's current state over a stream: one evaluation pass in the
     * training batching (B streams, windows of T, the state carried).
     */
    public AllocationCost costs(LightLanguageModel model, int[] stream) {
        int words = model.vocabulary();
        WordTable table = model.table();
        float[] rowCost = new float[Math.multiplyExact(words, table.rows())];
        float[] colCost = new float[Math.multiplyExact(words, table.cols())];
        model.resetState();
        for (StreamBatches.Batch b : new StreamBatches(stream, config.batch(), config.steps())) {
            model.accumulateCosts(b.inputs(), b.targets(), b.steps(), b.batch(), rowCost, colCost);
        }
        model.resetState();
        return new AllocationCost(words, table.rows(), table.cols(), rowCost, colCost);
    }

    /** exp(mean two-step loss) over a stream read as evaluation windows with the state carried. */
    public double perplexity(LightLanguageModel model, int[] stream) {
        return perplexity(model, stream, evalBatch, config.steps());
    }

    /**
     * exp(mean two-step loss) over a stream read as {@code batch} parallel pieces in windows of {@code steps}
     * (the state carried).
     */
    public static double perplexity(LightLanguageModel model, int[] stream, int batch, int steps) {
        model.resetState();
        StreamBatches batches = new StreamBatches(stream, Math.min(batch, Math.max(1, stream.length / 2)), steps);
        double sum = 0;
        long count = 0;
        for (StreamBatches.Batch b : batches) {
            Loss l = model.evaluateWindow(b.inputs(), b.targets(), b.steps(), b.batch());
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
        JsonObject light = c.model().getAsJsonObject(LIGHTRNN);
        if (!saved.equals(spec) || light == null || !LightRnnOptions.fromJson(light).equals(options)) {
            throw new IllegalArgumentException("the checkpoint in " + store.root() + " holds a different model ("
                    + saved + (light == null ? ", not LightRNN" : ", " + light.remove(TABLE) + light) + "); use another "
                    + "directory or the same settings");
        }
    }

    private Path save(LightLanguageModel model, Optimizer optimizer, LearningRateSchedule schedule, int epoch, int batch,
                      double epochLoss, long epochTokens, List<Point> curve, List<Reallocation> reallocations,
                      boolean best) throws IOException {
        JsonObject m = new JsonObject();
        m.add("spec", spec.toJson());
        JsonObject light = options.toJson();
        light.add(TABLE, model.table().toJson());
        m.add(LIGHTRNN, light);
        m.add("vocabulary", corpus.vocabulary().toJson());
        m.addProperty("corpus", source != null ? source : corpus.name());
        JsonObject t = new TrainingState(epoch, batch, optimizer.steps(), epochLoss, epochTokens, schedule.stateJson(),
                curve).toJson(config);
        t.add("reallocations", toJson(reallocations));
        Checkpoint.Contents contents = new Checkpoint.Contents().model(m).training(t)
                .tensors(Checkpoint.MODEL, TensorIO.parameters(model.parameters()))
                .tensors(Checkpoint.OPTIMIZER, TensorIO.tensors(optimizer.state()));
        Tensor carried = model.carriedState();
        if (carried != null && batch > 0) {
            contents.tensors(Checkpoint.STATE, new SafetensorsWriter().add("carried", carried.toFloatArray(),
                    carried.shape()));
        }
        return store.save(contents, best);
    }

    /** The reallocations of a run as JSON (for logs and result files). */
    public static JsonArray toJson(List<Reallocation> reallocations) {
        JsonArray a = new JsonArray();
        for (Reallocation r : Objects.requireNonNull(reallocations)) {
            a.add(r.toJson());
        }
        return a;
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}

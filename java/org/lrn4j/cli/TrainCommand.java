package org.lrn4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.lrn4j.backend.Backend;
import org.lrn4j.backend.Backends;
import org.lrn4j.data.LanguageModelCorpus;
import org.lrn4j.train.LanguageModelTrainer;
import org.lrn4j.train.ModelSpec;
import org.lrn4j.train.TrainConfig;
import org.lrn4j.train.checkpoint.CheckpointStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lrn4j train}: trains a language model or a sequence classifier, with progress, checkpoints and a
 * learning curve.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a recurrent language model or classifier (resumes from the checkpoint directory when it holds one).")
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--task", defaultValue = "lm", description = "lm (language model), classify, fashion-mnist (permuted "
            + "sequential) or mackey-glass (predict 15 steps ahead) (default: ${DEFAULT-VALUE}).")
    String task;

    @Option(names = "--model", description = "lm: softmax (an output over the whole vocabulary, the default) or lightrnn "
            + "(words in a table, read and predicted by row and column); fashion-mnist: lmu (parallel LMU) or "
            + "lmu-original; mackey-glass: lmu or lstm (an LSTM with the LMU's parameter count) (default: lmu).")
    String model;

    @Mixin
    LmuTaskOptions lmuTask;

    @Option(names = "--corpus", defaultValue = "generated",
            description = "lm: generated[:SEED] (made here, nothing downloaded), brown (words seen >= 4 times), brown-full (every training word), or text:PATH; "
                    + "classify: generated[:SEED] or spam (default: ${DEFAULT-VALUE}).")
    String corpus;

    @Option(names = "--bidirectional", description = "Both directions (classify only).")
    boolean bidirectional;

    @Option(names = "--cell", defaultValue = "lrn", description = "Recurrent cell: lrn, olrn (LRN with an output gate), lstm, gru, atr or sru (default: ${DEFAULT-VALUE}).")
    String cell;

    @Option(names = "--activation", defaultValue = "tanh", description = "g of the LRN and oLRN (and of the SRU's output): tanh or identity (default: ${DEFAULT-VALUE}).")
    String activation;

    @Option(names = "--layer-norm", description = "Layer normalization of the gate pre-activations.")
    boolean layerNorm;

    @Option(names = "--layers", defaultValue = "1", description = "Stacked layers (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--hidden", defaultValue = "256", description = "Hidden units (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--embedding", defaultValue = "128", description = "Word vector size (default: ${DEFAULT-VALUE}).")
    int embedding;

    @Option(names = "--optimizer", defaultValue = "adam", description = "adam or sgd (default: ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--lr", defaultValue = "0.003", description = "Learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default: ${DEFAULT-VALUE}).")
    double momentum;

    @Option(names = "--dropout", defaultValue = "0",
            description = "Dropout probability on the word vectors and the recurrent output in training (default: ${DEFAULT-VALUE}).")
    double dropout;

    @Option(names = "--pooling", defaultValue = "final",
            description = "classify: what the output layer reads, final (final states) or mean (outputs averaged over time) (default: ${DEFAULT-VALUE}).")
    String pooling;

    @Option(names = "--weight-decay", defaultValue = "0", description = "Weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--clip", defaultValue = "1.0", description = "Global gradient-norm limit, 0 for none (default: ${DEFAULT-VALUE}).")
    double clip;

    @Option(names = "--batch", defaultValue = "20", description = "Parallel streams B (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--bptt", defaultValue = "35", description = "Steps per truncated-BPTT window T (default: ${DEFAULT-VALUE}).")
    int bptt;

    @Option(names = "--epochs", defaultValue = "4", description = "Epochs at most (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--warmup", defaultValue = "100", description = "Warm-up updates (default: ${DEFAULT-VALUE}).")
    long warmup;

    @Option(names = "--decay", defaultValue = "0.5", description = "Learning-rate factor on a validation plateau (default: ${DEFAULT-VALUE}).")
    double decay;

    @Option(names = "--patience", defaultValue = "1", description = "Epochs without improvement before a decay (default: ${DEFAULT-VALUE}).")
    int patience;

    @Option(names = "--stop-after", defaultValue = "3", description = "Epochs without improvement before stopping (default: ${DEFAULT-VALUE}).")
    int stopAfter;

    @Option(names = "--checkpoint-every", defaultValue = "500", description = "Updates between mid-epoch checkpoints, 0 for none (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--dir", description = "Checkpoint directory (default: runs/<corpus>-<cell>).")
    Path dir;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the initialisation (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--backend", description = "java, native or cuda (default: the best that loads).")
    String backendName;


    @Option(names = "--table", defaultValue = "0", description = "lightrnn: side of the square word table (default: ceil(sqrt(V))).")
    int table;

    @Option(names = "--rounds", defaultValue = "3",
            description = "lightrnn: training rounds, each but the last followed by a re-allocation of the words (default: ${DEFAULT-VALUE}); replaces --epochs with rounds x epochs per round.")
    int rounds;

    @Option(names = "--epochs-per-round", defaultValue = "1", description = "lightrnn: training epochs per round (default: ${DEFAULT-VALUE}).")
    int epochsPerRound;

    @Option(names = "--solver", defaultValue = "auction", description = "lightrnn: re-allocation solver, exact, auction or greedy (default: ${DEFAULT-VALUE}).")
    String solver;

    @Option(names = "--init", defaultValue = "random", description = "lightrnn: first placement of the words, random (seeded) or frequency (default: ${DEFAULT-VALUE}).")
    String init;

    @Option(names = "--save-costs", description = "lightrnn: write each re-allocation's cost (costs-round-N.safetensors in the run directory).")
    boolean saveCosts;

    /**
     * An epoch's bar: redrawn four times a second on a terminal, every 30 seconds when the output goes to a
     * file or a pipe (so a log of a long run stays readable).
     */
    static ProgressBar progressBar(int epoch, int count) {
        return new ProgressBarBuilder().setTaskName("epoch " + (epoch + 1)).setInitialMax(count)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(System.console() == null ? 30_000 : 250)
                .continuousUpdate().build();
    }

    @Override
    public Integer call() throws Exception {
        Backend backend = backendName == null ? Backends.get() : Backends.byName(backendName.toLowerCase(Locale.ROOT));
        if (task.equalsIgnoreCase("classify")) {
            return classify(backend);
        }
        if (task.equalsIgnoreCase("fashion-mnist") || task.equalsIgnoreCase("mackey-glass")) {
            return new LmuTaskRun(this, lmuTask).call(backend);
        }
        if (!task.equalsIgnoreCase("lm")) {
            throw new IllegalArgumentException("--task must be lm, classify, fashion-mnist or mackey-glass, got '" + task + "'");
        }
        LanguageModelCorpus data = Corpora.languageModel(corpus);
        if ("lightrnn".equalsIgnoreCase(model)) {
            return LightRnnTrain.run(this, backend, data);
        }
        if (model != null && !model.equalsIgnoreCase("softmax")) {
            throw new IllegalArgumentException("--model must be softmax or lightrnn, got '" + model + "'");
        }
        ModelSpec spec = new ModelSpec("lm", cell, data.vocabulary().size(), embedding, hidden, layers, false, layerNorm,
                activation, 0, seed, dropout);
        TrainConfig config = new TrainConfig(optimizer, lr, momentum, weightDecay, clip, batch, bptt, epochs, warmup,
                decay, patience, lr / 100, stopAfter, checkpointEvery);
        Path runDir = dir != null ? dir : Path.of("runs", corpus.replaceAll("[^A-Za-z0-9_.-]", "_") + "-" + cell);
        System.err.printf("lrn4j train: %s (%s); %s %d×%d, embedding %d, on %s%n", data.name(), data.describe(), cell,
                layers, hidden, embedding, backend.description());
        Progress progress = new Progress(runDir, data.name() + " · " + cell);
        LanguageModelTrainer.Summary s = new LanguageModelTrainer(backend, data, spec, config, new CheckpointStore(runDir))
                .source(corpus).run(progress);
        progress.close();
        System.out.printf(Locale.ROOT, "epochs %d, updates %d: best validation perplexity %.2f, test perplexity %.2f, "
                + "%.0f training tokens/s%n", s.epochs(), s.updates(), s.bestValidPerplexity(), s.testPerplexity(),
                s.trainTokensPerSecond());
        System.out.println("checkpoints: " + runDir + (s.best() == null ? "" : " (best: " + s.best().getFileName() + ")"));
        System.out.println("curve: " + progress.png);
        System.out.println("evaluate: ./lrn4j eval --checkpoint " + runDir + "   sample: ./lrn4j generate --checkpoint "
                + runDir + " --prompt \"...\"");
        return 0;
    }

    private Integer classify(Backend backend) throws Exception {
        org.lrn4j.data.ClassificationSet data = Corpora.classification(corpus);
        ModelSpec spec = new ModelSpec("classify", cell, data.vocabulary().size(), embedding, hidden, layers, bidirectional,
                layerNorm, activation, data.labels().size(), seed, dropout, pooling);
        TrainConfig config = new TrainConfig(optimizer, lr, momentum, weightDecay, clip, batch, bptt, epochs, warmup,
                decay, patience, lr / 100, stopAfter, checkpointEvery);
        Path runDir = dir != null ? dir : Path.of("runs", "classify-" + corpus.replaceAll("[^A-Za-z0-9_.-]", "_") + "-" + cell);
        System.err.printf("lrn4j train: %s; %s%s %d×%d, embedding %d, on %s%n", data.describe(),
                bidirectional ? "bidirectional " : "", cell, layers, hidden, embedding, backend.description());
        ClassifierProgress progress = new ClassifierProgress(runDir, data.name() + " · " + cell);
        org.lrn4j.train.ClassifierTrainer.Summary s = new org.lrn4j.train.ClassifierTrainer(backend, data, spec, config,
                new CheckpointStore(runDir), seed).source(corpus).run(progress);
        progress.close();
        System.out.printf(Locale.ROOT, "epochs %d, updates %d: validation accuracy %.4f, test accuracy %.4f, "
                + "%.0f training tokens/s%n", s.epochs(), s.updates(), s.validAccuracy(), s.testAccuracy(),
                s.trainTokensPerSecond());
        System.out.println("checkpoints: " + runDir + (s.best() == null ? "" : " (best: " + s.best().getFileName() + ")"));
        System.out.println("curve: " + progress.png);
        System.out.println("evaluate: ./lrn4j eval --checkpoint " + runDir);
        return 0;
    }

    /** Progress of a classifier run: a bar per epoch, and loss/accuracy curves. */
    private static final class ClassifierProgress implements org.lrn4j.train.ClassifierTrainer.Listener, AutoCloseable {
        final Path png;
        private final String title;
        private final List<double[]> running = new ArrayList<>();
        private final List<double[]> valid = new ArrayList<>();
        private ProgressBar bar;
        private int batches;
        private double loss = Double.NaN;
        private double accuracy = Double.NaN;
        private long tokens;
        private long started;

        ClassifierProgress(Path dir, String title) {
            this.png = dir.resolve("curve.png");
            this.title = title;
        }

        @Override
        public void resumed(Path checkpoint, int epoch, int batch) {
            System.err.printf("resuming from %s (epoch %d, batch %d)%n", checkpoint, epoch + 1, batch);
        }

        @Override
        public void epochStarted(int epoch, int count, int firstBatch) {
            close();
            batches = count;
            tokens = 0;
            started = System.nanoTime();
            bar = progressBar(epoch, count);
            bar.stepTo(firstBatch);
        }

        @Override
        public void batchDone(int epoch, int index, double meanLoss, double acc, long count, double learningRate) {
            loss = Double.isNaN(loss) ? meanLoss : 0.95 * loss + 0.05 * meanLoss;
            accuracy = Double.isNaN(accuracy) ? acc : 0.95 * accuracy + 0.05 * acc;
            tokens += count;
            double seconds = (System.nanoTime() - started) / 1e9;
            bar.stepTo(index + 1);
            bar.setExtraMessage(String.format(Locale.ROOT, "loss %.3f · acc %.3f · %,.0f tok/s", loss, accuracy,
                    tokens / Math.max(seconds, 1e-9)));
            if (index % 5 == 0) {
                running.add(new double[] {epoch + (index + 1.0) / batches, 1 - accuracy});
            }
        }

        @Override
        public void evaluated(int epoch, double validLoss, double validAccuracy, boolean best) {
            close();
            valid.add(new double[] {epoch + 1, 1 - validAccuracy});
            System.err.printf(Locale.ROOT, "epoch %d: validation loss %.4f, accuracy %.4f%s%n", epoch + 1, validLoss,
                    validAccuracy, best ? " (best so far)" : "");
            try {
                Charts.errorCurve(png, title, running, valid);
            } catch (java.io.IOException e) {
                System.err.println("lrn4j: could not write " + png + ": " + e.getMessage());
            }
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
                bar = null;
            }
        }
    }

    /** The progress bar of each epoch, and the learning curve PNG, redrawn after each epoch. */
    private static final class Progress implements LanguageModelTrainer.Listener, AutoCloseable {
        final Path png;
        private final String title;
        private final List<double[]> running = new ArrayList<>();
        private final List<double[]> trainEpochs = new ArrayList<>();
        private final List<double[]> validEpochs = new ArrayList<>();
        private ProgressBar bar;
        private int batches;
        private double lossSum;
        private long tokens;
        private long tokensSinceStart;
        private long started;
        private double window = Double.NaN;

        Progress(Path dir, String title) {
            this.png = dir.resolve("curve.png");
            this.title = title;
        }

        @Override
        public void resumed(Path checkpoint, int epoch, int batch) {
            System.err.printf("resuming from %s (epoch %d, batch %d)%n", checkpoint, epoch + 1, batch);
        }

        @Override
        public void epochStarted(int epoch, int count, int firstBatch) {
            close();
            batches = count;
            lossSum = 0;
            tokens = 0;
            tokensSinceStart = 0;
            started = System.nanoTime();
            bar = progressBar(epoch, count);
            bar.stepTo(firstBatch);
        }

        @Override
        public void batchDone(int epoch, int index, double meanLoss, long count, double learningRate) {
            lossSum += meanLoss * count;
            tokens += count;
            tokensSinceStart += count;
            window = Double.isNaN(window) ? meanLoss : 0.95 * window + 0.05 * meanLoss;
            double seconds = (System.nanoTime() - started) / 1e9;
            bar.stepTo(index + 1);
            bar.setExtraMessage(String.format(Locale.ROOT, "loss %.3f · ppl %.1f · %,.0f tok/s · lr %.2g", window,
                    Math.exp(window), tokensSinceStart / Math.max(seconds, 1e-9), learningRate));
            if (index % 10 == 0) {
                running.add(new double[] {epoch + (index + 1.0) / batches, Math.exp(window)});
            }
        }

        @Override
        public void evaluated(int epoch, double validPerplexity, boolean best) {
            close();
            trainEpochs.add(new double[] {epoch + 1, Math.exp(lossSum / Math.max(1, tokens))});
            validEpochs.add(new double[] {epoch + 1, validPerplexity});
            System.err.printf(Locale.ROOT, "epoch %d: validation perplexity %.2f%s%n", epoch + 1, validPerplexity,
                    best ? " (best so far)" : "");
            try {
                Charts.learningCurve(png, title, running, trainEpochs, validEpochs);
            } catch (java.io.IOException e) {
                System.err.println("lrn4j: could not write " + png + ": " + e.getMessage());
            }
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
                bar = null;
            }
        }
    }
}

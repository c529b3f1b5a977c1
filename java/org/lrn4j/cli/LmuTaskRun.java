package org.lrn4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.google.gson.GsonBuilder;
import me.tongfei.progressbar.ProgressBar;
import org.lrn4j.backend.Backend;
import org.lrn4j.train.LmuTaskModel;
import org.lrn4j.train.LmuTaskSpec;
import org.lrn4j.train.LmuTaskTrainer;
import org.lrn4j.train.TrainConfig;
import org.lrn4j.train.checkpoint.CheckpointStore;

/**
 * {@code lrn4j train --task fashion-mnist|mackey-glass}: the tasks of the LMU papers. Task defaults (used where
 * the common option is not given):
 * <ul>
 * <li>fashion-mnist: order 784, θ 784, hidden 1024, dropout 0.5, batch 100, learning rate 0.001, 40 epochs,
 *     no warm-up, the rate halved after 2 epochs without improvement, stop after 6;
 * <li>mackey-glass: order 32, θ 32, hidden 32, no dropout, batch 32, learning rate 0.003, 150 epochs, no warm-up,
 *     the rate halved after 2 epochs without improvement, stop after 15.
 * </ul>
 * Writes checkpoints, {@code summary.json} (the test score, the parameter count, seconds per epoch) and for
 * fashion-mnist the error curve into the run directory.
 */
final class LmuTaskRun {
    private final TrainCommand c;
    private final LmuTaskOptions o;
    private final boolean fashion;

    LmuTaskRun(TrainCommand command, LmuTaskOptions options) {
        this.c = command;
        this.o = options;
        this.fashion = command.task.equalsIgnoreCase("fashion-mnist");
    }

    private <T> T pick(String option, T given, T fashionDefault, T seriesDefault) {
        return o.given(option) ? given : fashion ? fashionDefault : seriesDefault;
    }

    /** The spec of the run from the options. */
    LmuTaskSpec spec() {
        String model = c.model != null ? c.model : "lmu";
        int order = o.order != null ? o.order : fashion ? 784 : 32;
        double theta = o.theta != null ? o.theta : fashion ? 784 : 32;
        return new LmuTaskSpec(c.task, model, order, theta, pick("--hidden", c.hidden, 1024, 32),
                pick("--dropout", c.dropout, 0.5, 0.0), c.seed, o.permutationSeed, !o.rawPixels);
    }

    TrainConfig config() {
        double lr = pick("--lr", c.lr, 0.001, 0.003);
        return new TrainConfig(c.optimizer, lr, c.momentum, c.weightDecay, c.clip, pick("--batch", c.batch, 100, 32),
                fashion ? 784 : o.window, pick("--epochs", c.epochs, 40, 150), pick("--warmup", c.warmup, 0L, 0L),
                c.decay, pick("--patience", c.patience, 2, 2), lr / 100, pick("--stop-after", c.stopAfter, 6, 15),
                pick("--checkpoint-every", c.checkpointEvery, 0, 0));
    }

    int call(Backend backend) throws IOException {
        LmuTaskSpec spec = spec();
        TrainConfig config = config();
        Path runDir = c.dir != null ? c.dir : Path.of("runs", spec.task() + "-" + spec.model());
        long t0 = System.nanoTime();
        try (LmuTaskModel model = LmuTaskModel.build(spec, backend, o.window)) {
            System.err.printf(Locale.ROOT, "lrn4j train: %s (loaded in %.1f s)%nmodel: %s%non %s%n",
                    model.describeData(), (System.nanoTime() - t0) / 1e9, model.describeModel(), backend.description());
            Progress progress = new Progress(runDir, spec.task() + " · " + spec.model(), fashion);
            LmuTaskTrainer.Summary s = new LmuTaskTrainer(backend, spec, config, new CheckpointStore(runDir))
                    .run(model, progress);
            progress.close();
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("task", spec.task());
            out.put("model", spec.model());
            out.put("parameters", s.parameters());
            out.put("order", spec.order());
            out.put("theta", spec.theta());
            out.put("hidden", spec.hidden());
            out.put("description", model.describeModel());
            out.put("metric", s.test().metricName());
            out.put("test", s.test().metric());
            out.put("valid", s.valid().metric());
            out.put("test_loss", s.test().loss());
            out.put("epochs", s.epochs());
            out.put("updates", s.updates());
            out.put("seconds_per_epoch", s.secondsPerEpoch());
            out.put("spec", spec.toJson().toString());
            out.put("config", config.toJson().toString());
            out.put("backend", backend.name());
            out.put("checkpoint", s.best() == null ? null : s.best().toString());
            String json = new GsonBuilder().disableHtmlEscaping().serializeSpecialFloatingPointValues().create().toJson(out);
            Files.createDirectories(runDir);
            Files.writeString(runDir.resolve("summary.json"), json + "\n");
            System.out.printf(Locale.ROOT, "epochs %d, updates %d: validation %s %.4f, test %s %.4f; %,d parameters; "
                            + "%.1f s per epoch%n", s.epochs(), s.updates(), s.valid().metricName(), s.valid().metric(),
                    s.test().metricName(), s.test().metric(), s.parameters(), s.secondsPerEpoch());
            System.out.println("checkpoints: " + runDir + (s.best() == null ? "" : " (best: " + s.best().getFileName() + ")"));
            System.out.println("summary: " + runDir.resolve("summary.json"));
            System.out.println("evaluate: ./lrn4j eval --checkpoint " + runDir + " --json");
            return 0;
        }
    }

    /** A bar per epoch; for a classifier, the error curve after each epoch. */
    private static final class Progress implements LmuTaskTrainer.Listener, AutoCloseable {
        private final Path png;
        private final String title;
        private final boolean classifier;
        private final List<double[]> running = new ArrayList<>();
        private final List<double[]> valid = new ArrayList<>();
        private ProgressBar bar;
        private int batches;
        private double loss = Double.NaN;
        private double score = Double.NaN;

        Progress(Path dir, String title, boolean classifier) {
            this.png = dir.resolve("curve.png");
            this.title = title;
            this.classifier = classifier;
        }

        @Override
        public void resumed(Path checkpoint, int epoch, int batch) {
            System.err.printf("resuming from %s (epoch %d, batch %d)%n", checkpoint, epoch + 1, batch);
        }

        @Override
        public void epochStarted(int epoch, int count, int firstBatch) {
            close();
            batches = count;
            bar = TrainCommand.progressBar(epoch, count);
            bar.stepTo(firstBatch);
        }

        @Override
        public void batchDone(int epoch, int index, double meanLoss, double acc, int examples, double learningRate) {
            loss = Double.isNaN(loss) ? meanLoss : 0.95 * loss + 0.05 * meanLoss;
            score = Double.isNaN(score) ? acc : 0.95 * score + 0.05 * acc;
            bar.stepTo(index + 1);
            bar.setExtraMessage(classifier ? String.format(Locale.ROOT, "loss %.3f · acc %.3f", loss, score)
                    : String.format(Locale.ROOT, "mse %.4f", loss));
            if (classifier && index % 5 == 0) {
                running.add(new double[] {epoch + (index + 1.0) / batches, 1 - score});
            }
        }

        @Override
        public void evaluated(int epoch, LmuTaskModel.Score v, boolean best, double seconds) {
            close();
            System.err.printf(Locale.ROOT, "epoch %d (%.1f s): validation loss %.4f, %s %.4f%s%n", epoch + 1, seconds,
                    v.loss(), v.metricName(), v.metric(), best ? " (best so far)" : "");
            if (classifier) {
                valid.add(new double[] {epoch + 1, 1 - v.metric()});
                try {
                    Charts.errorCurve(png, title, running, valid);
                } catch (IOException e) {
                    System.err.println("lrn4j: could not write " + png + ": " + e.getMessage());
                }
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

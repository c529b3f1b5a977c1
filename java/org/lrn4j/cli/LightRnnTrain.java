package org.lrn4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;

import me.tongfei.progressbar.ProgressBar;
import org.lrn4j.backend.Backend;
import org.lrn4j.data.LanguageModelCorpus;
import org.lrn4j.lightrnn.AllocationCost;
import org.lrn4j.lightrnn.AllocationCostIO;
import org.lrn4j.lightrnn.AllocationSolver;
import org.lrn4j.lightrnn.AllocationSolvers;
import org.lrn4j.lightrnn.LightRnnOptions;
import org.lrn4j.lightrnn.LightRnnTrainer;
import org.lrn4j.lightrnn.WordTable;
import org.lrn4j.train.LanguageModelTrainer;
import org.lrn4j.train.ModelSpec;
import org.lrn4j.train.TrainConfig;
import org.lrn4j.train.checkpoint.CheckpointStore;

/**
 * {@code lrn4j train --model lightrnn}: a LightRNN language model with the recurrent core the other options
 * describe, trained in rounds with re-allocations between them; writes {@code lightrnn.json} (the summary,
 * each re-allocation, peak memory) into the run directory and, with {@code --save-costs}, each round's
 * allocation cost ({@code costs-round-N.safetensors}, for {@code lrn4j bench matching}).
 */
final class LightRnnTrain {
    private LightRnnTrain() {
    }

    static int run(TrainCommand c, Backend backend, LanguageModelCorpus data) throws IOException {
        int words = data.vocabulary().size();
        int side = c.table > 0 ? c.table : WordTable.side(words);
        LightRnnOptions options = new LightRnnOptions(side, side, c.init, c.rounds, c.epochsPerRound, c.solver);
        AllocationSolver solver = options.rounds() > 1 ? AllocationSolvers.byName(options.solver()) : null;
        ModelSpec spec = new ModelSpec("lm", c.cell, words, c.embedding, c.hidden, c.layers, false, c.layerNorm,
                c.activation, 0, c.seed, c.dropout);
        TrainConfig config = new TrainConfig(c.optimizer, c.lr, c.momentum, c.weightDecay, c.clip, c.batch, c.bptt,
                options.rounds() * options.epochsPerRound(), c.warmup, c.decay, c.patience, c.lr / 100, c.stopAfter,
                c.checkpointEvery);
        Path runDir = c.dir != null ? c.dir
                : Path.of("runs", c.corpus.replaceAll("[^A-Za-z0-9_.-]", "_") + "-lightrnn-" + c.cell);
        System.err.printf("lrn4j train: %s (%s); LightRNN %dx%d table, %s %d×%d, embedding %d, %d rounds of %d epochs, "
                + "solver %s, init %s, on %s%n", data.name(), data.describe(), side, side, c.cell, c.layers, c.hidden,
                c.embedding, options.rounds(), options.epochsPerRound(), options.solver(), options.init(),
                backend.description());
        Files.createDirectories(runDir);
        Listener listener = new Listener(runDir, c.saveCosts);
        LightRnnTrainer.Summary s = new LightRnnTrainer(backend, data, spec, options, config, new CheckpointStore(runDir),
                solver).source(c.corpus).run(listener);
        listener.close();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", "lightrnn");
        out.put("corpus", c.corpus);
        out.put("cell", c.cell);
        out.put("table", side + "x" + side);
        out.put("epochs", s.epochs());
        out.put("updates", s.updates());
        out.put("best_valid_ppl_two_step", s.bestValidPerplexity());
        out.put("test_ppl_two_step", s.testPerplexity());
        out.put("train_tokens_per_second", s.trainTokensPerSecond());
        out.put("peak_heap_bytes", s.peakHeapBytes());
        out.put("peak_off_heap_bytes", s.peakOffHeapBytes());
        JsonObject json = new GsonBuilder().create().toJsonTree(out).getAsJsonObject();
        json.add("reallocations", LightRnnTrainer.toJson(s.reallocations()));
        JsonObject curve = new JsonObject();
        for (LanguageModelTrainer.Point p : s.curve()) {
            curve.addProperty("epoch" + p.epoch(), p.validPerplexity());
        }
        json.add("valid_ppl_by_epoch", curve);
        String text = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(json);
        Files.writeString(runDir.resolve("lightrnn.json"), text + "\n");
        System.out.printf(Locale.ROOT, "epochs %d, updates %d: best validation perplexity %.2f, test perplexity %.2f "
                + "(two-step), %.0f training tokens/s; peak heap %.1f MB, peak off-heap %.1f MB%n", s.epochs(),
                s.updates(), s.bestValidPerplexity(), s.testPerplexity(), s.trainTokensPerSecond(),
                s.peakHeapBytes() / 1e6, s.peakOffHeapBytes() / 1e6);
        for (LightRnnTrainer.Reallocation r : s.reallocations()) {
            System.out.printf(Locale.ROOT, "re-allocation after round %d: %d words moved, cost %.4g -> %.4g, validation "
                    + "perplexity %.2f -> %.2f (costs %.1f s, solver %.1f s)%n", r.round(), r.moved(), r.costBefore(),
                    r.costAfter(), r.validBefore(), r.validAfter(), r.costSeconds(), r.solveSeconds());
        }
        System.out.println("checkpoints: " + runDir + (s.best() == null ? "" : " (best: " + s.best().getFileName() + ")"));
        System.out.println("summary: " + runDir.resolve("lightrnn.json"));
        System.out.println("evaluate (exact perplexity): ./lrn4j eval --checkpoint " + runDir
                + "   sample: ./lrn4j generate --checkpoint " + runDir + " --prompt \"...\"");
        return 0;
    }

    /** A bar per epoch, a line per evaluation and re-allocation, and the costs when asked. */
    private static final class Listener implements LightRnnTrainer.Listener, AutoCloseable {
        private final Path dir;
        private final boolean saveCosts;
        private ProgressBar bar;
        private double window = Double.NaN;
        private long tokens;
        private long started;

        Listener(Path dir, boolean saveCosts) {
            this.dir = dir;
            this.saveCosts = saveCosts;
        }

        @Override
        public void resumed(Path checkpoint, int epoch, int batch) {
            System.err.printf("resuming from %s (epoch %d, batch %d)%n", checkpoint, epoch + 1, batch);
        }

        @Override
        public void epochStarted(int epoch, int count, int firstBatch) {
            close();
            tokens = 0;
            started = System.nanoTime();
            bar = TrainCommand.progressBar(epoch, count);
            bar.stepTo(firstBatch);
        }

        @Override
        public void batchDone(int epoch, int index, double meanLoss, long count, double learningRate) {
            tokens += count;
            window = Double.isNaN(window) ? meanLoss : 0.95 * window + 0.05 * meanLoss;
            double seconds = (System.nanoTime() - started) / 1e9;
            bar.stepTo(index + 1);
            bar.setExtraMessage(String.format(Locale.ROOT, "loss %.3f · ppl %.1f · %,.0f tok/s · lr %.2g", window,
                    Math.exp(window), tokens / Math.max(seconds, 1e-9), learningRate));
        }

        @Override
        public void evaluated(int epoch, double validPerplexity, boolean best) {
            close();
            System.err.printf(Locale.ROOT, "epoch %d: validation perplexity %.2f (two-step)%s%n", epoch + 1,
                    validPerplexity, best ? " (best so far)" : "");
        }

        @Override
        public void reallocated(LightRnnTrainer.Reallocation r, AllocationCost cost) {
            System.err.printf(Locale.ROOT, "re-allocation after round %d: %d of %d words moved, cost %.6g -> %.6g, "
                    + "validation perplexity %.2f -> %.2f (costs %.1f s, solver %.1f s)%n", r.round(), r.moved(),
                    cost.words(), r.costBefore(), r.costAfter(), r.validBefore(), r.validAfter(), r.costSeconds(),
                    r.solveSeconds());
            if (saveCosts) {
                Path file = dir.resolve("costs-round-" + r.round() + ".safetensors");
                try {
                    AllocationCostIO.write(file, cost);
                    System.err.println("costs: " + file);
                } catch (IOException e) {
                    System.err.println("lrn4j: could not write " + file + ": " + e.getMessage());
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

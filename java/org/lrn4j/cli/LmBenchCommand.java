package org.lrn4j.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

import com.google.gson.GsonBuilder;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.lrn4j.backend.Backend;
import org.lrn4j.backend.Backends;
import org.lrn4j.nn.Dropout;
import org.lrn4j.nn.LanguageModel;
import org.lrn4j.nn.Parameter;
import org.lrn4j.nn.Recurrent;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;
import org.lrn4j.train.Adam;
import org.lrn4j.train.ModelSpec;
import org.lrn4j.train.Optimizer;

/**
 * {@code lrn4j bench lm}: training throughput of a word-level language model for each cell, all in one run
 * (so the ratios between cells hold even on a shared machine): the median time of one training update
 * (embedding, recurrent layer, projection to the vocabulary, softmax cross-entropy, backward, clipping, Adam)
 * in training tokens per second, and the recurrent layer's forward+backward alone, on random token windows
 * of the Brown recipe's shape (docs/RESULTS.md).
 */
@Command(name = "lm", mixinStandardHelpOptions = true,
        description = "Language-model training throughput per cell (tokens/s), all cells in one run.")
final class LmBenchCommand implements Callable<Integer> {
    @Option(names = "--cells", split = ",", defaultValue = "lrn,lstm,gru,atr,sru",
            description = "Cells to time (default: ${DEFAULT-VALUE}).")
    List<String> cells;

    @Option(names = "--backend", description = "java, native or cuda (default: the best that loads).")
    String backendName;

    @Option(names = "--vocabulary", defaultValue = "14039", description = "Words (default: ${DEFAULT-VALUE}, Brown's).")
    int vocabulary;

    @Option(names = "--embedding", defaultValue = "256", description = "Word vector size (default: ${DEFAULT-VALUE}).")
    int embedding;

    @Option(names = "--hidden", defaultValue = "256", description = "Hidden units (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--layers", defaultValue = "1", description = "Stacked recurrent layers (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--batch", defaultValue = "32", description = "Streams B (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--bptt", defaultValue = "35", description = "Steps per window T (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--dropout", defaultValue = "0.3", description = "Dropout (default: ${DEFAULT-VALUE}).")
    double dropout;

    @Option(names = "--max-seconds", defaultValue = "8", description = "Timing per case at most (default: ${DEFAULT-VALUE}).")
    double maxSeconds;

    @Option(names = "--json", description = "Print one JSON object per line instead of a table.")
    boolean json;

    @Option(names = "--lightrnn",
            description = "Also time each cell as a LightRNN model (words in a ceil(sqrt(V)) square table, two-step reading) next to the softmax model; with peak heap and off-heap memory of each.")
    boolean lightrnn;

    @Override
    public Integer call() {
        Backend backend = backendName == null ? Backends.get() : Backends.byName(backendName.toLowerCase(Locale.ROOT));
        Timing timing = new Timing(9, maxSeconds, 0);
        SplittableRandom rng = new SplittableRandom(1);
        int rows = steps * batch;
        int[] inputs = new int[rows];
        int[] targets = new int[rows];
        for (int i = 0; i < rows; i++) {
            inputs[i] = rng.nextInt(vocabulary);
            targets[i] = rng.nextInt(vocabulary);
        }
        if (!json) {
            System.out.printf("%s; V %d, embedding %d, hidden %d, layers %d, B %d, T %d, dropout %.2f%n",
                    backend.description(), vocabulary, embedding, hidden, layers, batch, steps, dropout);
            System.out.printf("%-5s %12s %12s %12s %14s %14s %12s %10s %10s%n", "cell", "model", "params", "update ms",
                    "train tok/s", "rnn f+b ms", "rnn tok/s", "heap MB", "offheap MB");
        }
        for (String cell : cells) {
            ModelSpec spec = new ModelSpec("lm", cell, vocabulary, embedding, hidden, layers, false, false, "tanh", 0, 1,
                    dropout);
            org.lrn4j.lightrnn.MemoryPeaks.reset();
            try (LanguageModel lm = spec.buildLanguageModel(backend, DType.FLOAT32);
                 Optimizer adam = new Adam(backend, lm.parameters(), 1e-3, 0.9, 0.999, 1e-8, 0)) {
                long[] update = {0};
                double updateMs = timing.median(() -> {
                    for (Parameter p : lm.parameters()) {
                        p.zeroGrad();
                    }
                    lm.trainWindow(inputs, targets, steps, batch, Dropout.seed(1, update[0]++, 0));
                    double[] clip = Optimizer.clip(backend, lm.parameters(), 1.0);
                    adam.step(clip[1]);
                    backend.synchronize();
                });
                long[] memory = {org.lrn4j.lightrnn.MemoryPeaks.peakHeap(), org.lrn4j.lightrnn.MemoryPeaks.peakOffHeap()};
                double rnnMs = recurrentMs(backend, lm.rnn(), timing);
                long params = count(lm.parameters());
                report(cell, "softmax", params, params - count(lm.rnn().parameters()), updateMs, rnnMs, memory, backend);
            }
            if (lightrnn) {
                int side = org.lrn4j.lightrnn.WordTable.side(vocabulary);
                org.lrn4j.lightrnn.MemoryPeaks.reset();
                try (org.lrn4j.lightrnn.LightLanguageModel lm = org.lrn4j.lightrnn.LightRnnTrainer.build(backend,
                        DType.FLOAT32, spec, org.lrn4j.lightrnn.WordTable.random(vocabulary, side, side, 1));
                     Optimizer adam = new Adam(backend, lm.parameters(), 1e-3, 0.9, 0.999, 1e-8, 0)) {
                    long[] update = {0};
                    double updateMs = timing.median(() -> {
                        for (Parameter p : lm.parameters()) {
                            p.zeroGrad();
                        }
                        lm.trainWindow(inputs, targets, steps, batch, Dropout.seed(1, update[0]++, 0));
                        double[] clip = Optimizer.clip(backend, lm.parameters(), 1.0);
                        adam.step(clip[1]);
                        backend.synchronize();
                    });
                    long[] memory = {org.lrn4j.lightrnn.MemoryPeaks.peakHeap(),
                            org.lrn4j.lightrnn.MemoryPeaks.peakOffHeap()};
                    long params = count(lm.parameters());
                    report(cell, "lightrnn", params, lm.embeddingAndOutputParameters(), updateMs, Double.NaN, memory,
                            backend);
                }
            }
        }
        return 0;
    }

    private static long count(List<Parameter> parameters) {
        long n = 0;
        for (Parameter p : parameters) {
            n += p.value().numel();
        }
        return n;
    }

    private void report(String cell, String model, long params, long embeddingOutput, double updateMs, double rnnMs,
                        long[] memory, Backend backend) {
        int rows = steps * batch;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", "lm.train_update");
        out.put("cell", cell);
        out.put("model", model);
        out.put("shape", String.format(Locale.ROOT, "V%d E%d H%d L%d B%d T%d", vocabulary, embedding, hidden,
                layers, batch, steps));
        out.put("parameters", params);
        out.put("embedding_output_parameters", embeddingOutput);
        out.put("ms", updateMs);
        out.put("tokens_per_second", rows / (updateMs / 1000));
        if (!Double.isNaN(rnnMs)) {
            out.put("rnn_forward_backward_ms", rnnMs);
            out.put("rnn_tokens_per_second", rows / (rnnMs / 1000));
        }
        out.put("peak_heap_bytes", memory[0]);
        out.put("peak_off_heap_bytes", memory[1]);
        out.put("backend", backend.name());
        if (json) {
            System.out.println(new GsonBuilder().disableHtmlEscaping().create().toJson(out));
        } else {
            String rnn = Double.isNaN(rnnMs) ? String.format("%14s %12s", "-", "-")
                    : String.format(Locale.ROOT, "%14.2f %,12.0f", rnnMs, rows / (rnnMs / 1000));
            System.out.printf(Locale.ROOT, "%-5s %12s %,12d %12.2f %,14.0f %s %10.1f %10.1f%n", cell, model, params,
                    updateMs, rows / (updateMs / 1000), rnn, memory[0] / 1e6, memory[1] / 1e6);
        }
    }

    /** The recurrent layer alone: forward and backward of one window (reused buffers), median ms. */
    private double recurrentMs(Backend backend, Recurrent rnn, Timing timing) {
        try (Tensor x = backend.allocate(DType.FLOAT32, steps, batch, rnn.inputSize());
             Tensor dOut = backend.allocate(DType.FLOAT32, steps, batch, rnn.outputSize())) {
            SplittableRandom rng = new SplittableRandom(2);
            double[] xv = new double[(int) x.numel()];
            double[] dv = new double[(int) dOut.numel()];
            for (int i = 0; i < xv.length; i++) {
                xv[i] = rng.nextDouble(-1, 1);
            }
            for (int i = 0; i < dv.length; i++) {
                dv[i] = rng.nextDouble(-1, 1);
            }
            try (Tensor hx = Tensor.host(DType.FLOAT32, x.shape()); Tensor hd = Tensor.host(DType.FLOAT32, dOut.shape())) {
                hx.write(0, xv, 0, xv.length);
                hd.write(0, dv, 0, dv.length);
                x.copyFrom(hx);
                dOut.copyFrom(hd);
            }
            Recurrent.Result[] r = {null};
            Recurrent.Gradients[] g = {null};
            try {
                return timing.median(() -> {
                    r[0] = rnn.forward(x, null, null, r[0]);
                    g[0] = rnn.backward(r[0], dOut, null, g[0]);
                    backend.synchronize();
                });
            } finally {
                if (g[0] != null) {
                    g[0].close();
                }
                if (r[0] != null) {
                    r[0].close();
                }
            }
        }
    }
}

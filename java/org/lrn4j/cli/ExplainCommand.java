package org.lrn4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import com.google.gson.GsonBuilder;

import org.lrn4j.backend.Backend;
import org.lrn4j.backend.Backends;
import org.lrn4j.nn.Lrn;
import org.lrn4j.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lrn4j explain}: for an LRN language model with identity g, the weight each token carries into
 * each later state in the unfolded form {@code h_t = Σ_k (i_k ⊙ Π_{j=k+1..t} f_j) ⊙ v_k}, averaged over the
 * hidden units of the top layer: a heat map PNG and the numbers.
 */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = "Per-token weights of the unfolded form of an LRN language model (identity g), as a heat map and numbers.")
final class ExplainCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "A run directory (its best checkpoint) or a checkpoint.")
    Path checkpoint;

    @Option(names = "--text", required = true, description = "The words to explain (split on spaces).")
    String text;

    @Option(names = "--png", defaultValue = "explain.png", description = "Heat map file (default: ${DEFAULT-VALUE}).")
    Path png;

    @Option(names = "--json", description = "Print the numbers as one JSON object instead of a table.")
    boolean json;

    @Option(names = "--backend", description = "java, native or cuda (default: the best that loads).")
    String backendName;

    @Override
    public Integer call() throws Exception {
        Backend backend = backendName == null ? Backends.get() : Backends.byName(backendName.toLowerCase(Locale.ROOT));
        try (ModelCheckpoint mc = ModelCheckpoint.load(checkpoint, backend)) {
            if (!mc.spec.cell().equals("lrn") || !mc.spec.activation().equals("identity")) {
                throw new IllegalArgumentException("explain needs a plain LRN with identity g (train with --cell lrn"
                        + " --activation identity); " + mc.directory + " holds " + mc.spec.cell() + " with "
                        + mc.spec.activation());
            }
            List<String> words = new ArrayList<>(Arrays.asList(text.trim().split("\\s+")));
            words.removeIf(String::isEmpty);
            int[] ids = mc.vocabulary.encode(words);
            List<String> shown = mc.vocabulary.decode(ids);  // unknown words appear as the unknown symbol
            int steps = ids.length;
            double[][] mean = mc.languageModel().inspect(ids, (rnn, result) -> {
                Lrn lrn = (Lrn) rnn;
                try (Lrn.UnfoldedWeights w = lrn.unfoldedWeights((Lrn.Result) result, lrn.layers() - 1, 0)) {
                    Tensor weights = w.weights();  // [T (t), T (k), 1, H]
                    int h = (int) weights.dim(3);
                    double[] all = weights.toDoubleArray();
                    double[][] m = new double[steps][steps];
                    for (int t = 0; t < steps; t++) {
                        for (int k = 0; k < steps; k++) {
                            double s = 0;
                            for (int j = 0; j < h; j++) {
                                s += all[((t * steps + k)) * h + j];
                            }
                            m[t][k] = s / h;
                        }
                    }
                    return m;
                }
            });
            Charts.heatMap(png, "LRN unfolded weights: mean over hidden units of i_k * prod f (" + mc.directory.getFileName()
                    + ")", "token k", "state after step t", shown, shown, mean);
            if (json) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("tokens", shown);
                out.put("weights", mean);
                out.put("png", png.toString());
                System.out.println(new GsonBuilder().disableHtmlEscaping().create().toJson(out));
            } else {
                StringBuilder sb = new StringBuilder(String.format("%-14s", "t \\ k"));
                for (String w : shown) {
                    sb.append(String.format(" %8.8s", w));
                }
                System.out.println(sb);
                for (int t = 0; t < steps; t++) {
                    sb = new StringBuilder(String.format("%-14.14s", t + " " + shown.get(t)));
                    for (int k = 0; k < steps; k++) {
                        sb.append(k <= t ? String.format(Locale.ROOT, " %8.4f", mean[t][k]) : String.format(" %8s", ""));
                    }
                    System.out.println(sb);
                }
                System.out.println("heat map: " + png);
            }
            return 0;
        }
    }
}

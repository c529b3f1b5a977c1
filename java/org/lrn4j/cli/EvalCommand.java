package org.lrn4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import com.google.gson.GsonBuilder;

import org.lrn4j.backend.Backend;
import org.lrn4j.backend.Backends;
import org.lrn4j.data.LanguageModelCorpus;
import org.lrn4j.train.LanguageModelTrainer;
import org.lrn4j.train.checkpoint.CheckpointStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lrn4j eval}: perplexity of a trained language model on its corpus's validation or test part. */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Evaluate a trained model.")
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "A run directory (its best checkpoint) or a checkpoint.")
    Path checkpoint;

    @Option(names = "--split", defaultValue = "test", description = "valid or test (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--corpus", description = "Corpus to evaluate on (default: the one the model was trained on).")
    String corpus;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Option(names = "--backend", description = "java, native or cuda (default: the best that loads).")
    String backendName;

    @Option(names = "--two-step-only",
            description = "LightRNN: only the two-step perplexity (windows, fast), not the exact one from the full next-word distributions.")
    boolean twoStepOnly;

    @Override
    public Integer call() throws Exception {
        Backend backend = backendName == null ? Backends.get() : Backends.byName(backendName.toLowerCase(Locale.ROOT));
        if (LmuTaskEval.holds(checkpoint)) {
            return LmuTaskEval.call(checkpoint, split, json, backend);
        }
        try (ModelCheckpoint mc = ModelCheckpoint.load(checkpoint, backend)) {
            String source = corpus != null ? corpus : mc.corpus;
            if (mc.classifier != null) {
                return classifier(mc, source, backend);
            }
            LanguageModelCorpus data = Corpora.languageModel(source);
            if (!data.vocabulary().equals(mc.vocabulary)) {
                throw new IllegalArgumentException("the corpus '" + source + "' does not have the vocabulary the model "
                        + "was trained with");
            }
            int[] stream = switch (split) {
                case "valid" -> data.valid();
                case "test" -> data.test();
                default -> throw new IllegalArgumentException("--split must be valid or test, got '" + split + "'");
            };
            if (mc.light != null) {
                return light(mc, data, source, stream, backend);
            }
            LanguageModelTrainer t = new LanguageModelTrainer(backend, data, mc.spec, mc.config,
                    new CheckpointStore(mc.directory.getParent()));
            long t0 = System.nanoTime();
            double ppl = t.perplexity(mc.languageModel(), stream);
            double seconds = (System.nanoTime() - t0) / 1e9;
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("checkpoint", mc.directory.toString());
            out.put("corpus", source);
            out.put("split", split);
            out.put("tokens", stream.length);
            out.put("perplexity", ppl);
            out.put("cross_entropy_nats", Math.log(ppl));
            out.put("tokens_per_second", stream.length / seconds);
            out.put("cell", mc.spec.cell());
            out.put("parameters", count(mc.languageModel().parameters()));
            out.put("recurrent_parameters", count(mc.languageModel().rnn().parameters()));
            out.put("backend", backend.name());
            if (json) {
                System.out.println(new GsonBuilder().disableHtmlEscaping().create().toJson(out));
            } else {
                System.out.printf(Locale.ROOT, "%s %s perplexity %.2f over %,d tokens (%s, %s)%n", source, split, ppl,
                        stream.length, mc.directory, backend.name());
            }
            return 0;
        }
    }

    /**
     * A LightRNN model: the two-step perplexity (exp of the mean training loss, row plus column
     * cross-entropy, read in windows) and the exact one (every word's probability from the full next-word
     * distribution, renormalised over the vocabulary; ten parallel streams).
     */
    private Integer light(ModelCheckpoint mc, LanguageModelCorpus data, String source, int[] stream, Backend backend) {
        org.lrn4j.lightrnn.LightLanguageModel lm = mc.light;
        long t0 = System.nanoTime();
        double twoStep = org.lrn4j.lightrnn.LightRnnTrainer.perplexity(lm, stream, 10, mc.config.steps());
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("checkpoint", mc.directory.toString());
        out.put("model", "lightrnn");
        out.put("corpus", source);
        out.put("split", split);
        out.put("tokens", stream.length);
        out.put("table", lm.table().rows() + "x" + lm.table().cols());
        out.put("perplexity_two_step", twoStep);
        out.put("tokens_per_second_two_step", stream.length / seconds);
        if (!twoStepOnly) {
            long t1 = System.nanoTime();
            double[] exact = lm.exactLoss(stream, 10);
            double s1 = (System.nanoTime() - t1) / 1e9;
            out.put("perplexity", Math.exp(exact[0] / exact[2]));
            out.put("perplexity_two_step_same_tokens", Math.exp(exact[1] / exact[2]));
            out.put("cross_entropy_nats", exact[0] / exact[2]);
            out.put("exact_tokens", (long) exact[2]);
            out.put("tokens_per_second_exact", exact[2] / s1);
        }
        out.put("cell", mc.spec.cell());
        out.put("parameters", count(lm.parameters()));
        out.put("recurrent_parameters", count(lm.rnn().parameters()));
        out.put("embedding_output_parameters", lm.embeddingAndOutputParameters());
        out.put("backend", backend.name());
        if (json) {
            System.out.println(new GsonBuilder().disableHtmlEscaping().create().toJson(out));
        } else {
            System.out.printf(Locale.ROOT, "%s %s perplexity %s (exact, renormalised over the words), %.2f two-step, "
                    + "over %,d tokens (%s, %s)%n", source, split, out.getOrDefault("perplexity", "-"), twoStep,
                    stream.length, mc.directory, backend.name());
        }
        return 0;
    }

    private Integer classifier(ModelCheckpoint mc, String source, Backend backend) throws Exception {
        org.lrn4j.data.ClassificationSet data = Corpora.classification(source);
        if (!data.vocabulary().equals(mc.vocabulary)) {
            throw new IllegalArgumentException("the data '" + source + "' does not have the vocabulary the model was "
                    + "trained with");
        }
        var part = switch (split) {
            case "valid" -> data.valid();
            case "test" -> data.test();
            default -> throw new IllegalArgumentException("--split must be valid or test, got '" + split + "'");
        };
        org.lrn4j.train.ClassifierTrainer t = new org.lrn4j.train.ClassifierTrainer(backend, data, mc.spec, mc.config,
                new CheckpointStore(mc.directory.getParent()), mc.seed);
        double[] r = t.evaluate(mc.classifier, part);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("checkpoint", mc.directory.toString());
        out.put("corpus", source);
        out.put("split", split);
        out.put("examples", part.size());
        out.put("accuracy", r[1]);
        out.put("loss", r[0]);
        out.put("cell", mc.spec.cell());
        out.put("parameters", count(mc.classifier.parameters()));
        out.put("recurrent_parameters", count(mc.classifier.rnn().parameters()));
        out.put("backend", backend.name());
        if (json) {
            System.out.println(new GsonBuilder().disableHtmlEscaping().create().toJson(out));
        } else {
            System.out.printf(Locale.ROOT, "%s %s accuracy %.4f over %,d examples (%s, %s)%n", source, split, r[1],
                    part.size(), mc.directory, backend.name());
        }
        return 0;
    }

    private static long count(java.util.List<org.lrn4j.nn.Parameter> parameters) {
        long n = 0;
        for (org.lrn4j.nn.Parameter p : parameters) {
            n += p.value().numel();
        }
        return n;
    }
}

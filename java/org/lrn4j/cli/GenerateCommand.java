package org.lrn4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

import org.lrn4j.backend.Backend;
import org.lrn4j.backend.Backends;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lrn4j generate}: samples text from a trained language model. */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Sample text from a trained language model.")
final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "A run directory (its best checkpoint) or a checkpoint.")
    Path checkpoint;

    @Option(names = "--prompt", defaultValue = "", description = "Words to start from (default: the end-of-sentence symbol).")
    String prompt;

    @Option(names = "--length", defaultValue = "50", description = "Words to sample (default: ${DEFAULT-VALUE}).")
    int length;

    @Option(names = "--temperature", defaultValue = "1.0", description = "Sampling temperature; 0 takes the most likely word (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the sampler (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--backend", description = "java, native or cuda (default: the best that loads).")
    String backendName;

    @Override
    public Integer call() throws Exception {
        Backend backend = backendName == null ? Backends.get() : Backends.byName(backendName.toLowerCase(Locale.ROOT));
        try (ModelCheckpoint mc = ModelCheckpoint.load(checkpoint, backend)) {
            List<String> words = new ArrayList<>(Arrays.asList(prompt.trim().split("\\s+")));
            words.removeIf(String::isEmpty);
            if (words.isEmpty()) {
                String start = mc.vocabulary.reserved().contains("<eos>") ? "<eos>" : mc.vocabulary.word(0);
                words.add(start);
            }
            int[] ids = mc.vocabulary.encode(words);
            int[] sampled = mc.light != null ? mc.light.sample(ids, length, temperature, new SplittableRandom(seed))
                    : mc.languageModel().sample(ids, length, temperature, new SplittableRandom(seed));
            List<String> out = new ArrayList<>(words);
            out.addAll(mc.vocabulary.decode(sampled));
            System.out.println(String.join(" ", out).replace(" <eos> ", "\n").replace("<eos>", "").strip());
            return 0;
        }
    }
}

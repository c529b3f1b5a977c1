package org.lrn4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.lrn4j.data.BrownCorpus;
import org.lrn4j.data.ClassificationSet;
import org.lrn4j.data.GeneratedClassification;
import org.lrn4j.data.SpamAssassinCorpus;
import org.lrn4j.data.GeneratedLanguage;
import org.lrn4j.data.LanguageModelCorpus;
import org.lrn4j.data.TextCorpus;

/**
 * The corpora the command trains language models on, named by one string that a checkpoint records so
 * that {@code eval} and {@code generate} can load the same data again: {@code generated[:SEED]} (made by
 * the program, nothing downloaded), {@code brown} (the Brown corpus fetched by scripts/fetch-corpora.sh),
 * {@code text:PATH} (a UTF-8 file, or a directory with train.txt, valid.txt, test.txt).
 */
final class Corpora {
    private Corpora() {
    }

    static LanguageModelCorpus languageModel(String spec) throws IOException {
        if (spec.equals("generated") || spec.startsWith("generated:")) {
            long seed = spec.equals("generated") ? 1 : Long.parseLong(spec.substring("generated:".length()));
            return GeneratedLanguage.corpus(seed, GeneratedLanguage.Sizes.defaults());
        }
        if (spec.equals("brown") || spec.equals("brown-full")) {
            Path dir = BrownCorpus.defaultLocation();
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException("the Brown corpus is not in " + dir
                        + "; fetch it with scripts/fetch-corpora.sh (or set LRN4J_DATA)");
            }
            return BrownCorpus.load(dir, BrownCorpus.Boundaries.PARAGRAPHS_AND_TEXTS,
                    spec.equals("brown") ? BrownCorpus.MIN_COUNT : 1);
        }
        if (spec.startsWith("text:")) {
            Path path = Path.of(spec.substring("text:".length()));
            if (!Files.exists(path)) {
                throw new IllegalArgumentException("no such file or directory: " + path);
            }
            return TextCorpus.load(path, 1, true);
        }
        throw new IllegalArgumentException("unknown corpus '" + spec + "': use generated[:SEED], brown, brown-full or text:PATH");
    }

    /** Classification sets: {@code generated[:SEED]} (made here) or {@code spam} (SpamAssassin, fetched). */
    static ClassificationSet classification(String spec) throws IOException {
        if (spec.equals("generated") || spec.startsWith("generated:")) {
            long seed = spec.equals("generated") ? 1 : Long.parseLong(spec.substring("generated:".length()));
            return GeneratedClassification.set(seed, GeneratedClassification.Sizes.defaults());
        }
        if (spec.equals("spam")) {
            Path dir = SpamAssassinCorpus.defaultLocation();
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException("the SpamAssassin corpus is not in " + dir
                        + "; fetch it with scripts/fetch-corpora.sh (or set LRN4J_DATA)");
            }
            return SpamAssassinCorpus.load();
        }
        throw new IllegalArgumentException("unknown classification corpus '" + spec + "': use generated[:SEED] or spam");
    }
}

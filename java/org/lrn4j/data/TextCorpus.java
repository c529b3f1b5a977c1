package org.lrn4j.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Plain UTF-8 text as a language-modelling corpus.
 *
 * <p>Tokens are the runs of non-whitespace characters ({@link Character#isWhitespace}); nothing else is
 * changed (case and punctuation are kept as they are written). With line ends as sentences, each non-empty
 * line is a sentence and {@code <eos>} follows it (the convention of the Penn Treebank and WikiText files);
 * lines holding only whitespace add nothing. Files are read as strict UTF-8 ({@link Utf8Lines}): a malformed
 * byte is an error that names the file, the byte offset and the line.
 *
 * <p>Two layouts are read by {@link #load}: a directory holding three files whose names contain "train",
 * "valid" and "test" (for example {@code ptb.train.txt}, {@code wiki.valid.tokens}), or a single file, cut
 * into contiguous parts: the first 80% of its tokens train, the next 10% validation, the rest test. The
 * vocabulary comes from the training part only.
 */
public final class TextCorpus {
    /** Receives tokens in order. */
    @FunctionalInterface
    public interface TokenSink {
        void token(String token) throws IOException;
    }

    /** Share of the tokens of a single file that goes to training (the rest is split evenly). */
    public static final double SINGLE_FILE_TRAIN = 0.8;
    /** Share of the tokens of a single file that goes to validation. */
    public static final double SINGLE_FILE_VALID = 0.1;

    private TextCorpus() {
    }

    /** Calls {@code sink} with every token of a file, {@code <eos>} after each non-empty line when {@code lineEnds}. */
    public static void forEachToken(Path file, boolean lineEnds, TokenSink sink) throws IOException {
        Utf8Lines.forEach(file, line -> {
            int n = line.length();
            int i = 0;
            boolean any = false;
            while (i < n) {
                while (i < n && Character.isWhitespace(line.charAt(i))) {
                    i++;
                }
                int start = i;
                while (i < n && !Character.isWhitespace(line.charAt(i))) {
                    i++;
                }
                if (i > start) {
                    sink.token(line.substring(start, i));
                    any = true;
                }
            }
            if (lineEnds && any) {
                sink.token(Vocabulary.END_OF_SENTENCE);
            }
        });
    }

    /** All tokens of a file (for small files; large ones go through {@link #forEachToken}). */
    public static List<String> tokens(Path file, boolean lineEnds) throws IOException {
        List<String> out = new ArrayList<>();
        forEachToken(file, lineEnds, out::add);
        return out;
    }

    /**
     * Reads a corpus from a directory of train/valid/test files or from one file (see the class comment).
     *
     * @param minCount words seen fewer times in training map to {@code <unk>}
     * @param lineEnds whether each line is a sentence followed by {@code <eos>}
     */
    public static LanguageModelCorpus load(Path path, int minCount, boolean lineEnds) throws IOException {
        if (Files.isDirectory(path)) {
            Path train = find(path, "train");
            Path valid = find(path, "valid");
            Path test = find(path, "test");
            return load(path.getFileName() + "", train, valid, test, minCount, lineEnds);
        }
        if (!Files.isRegularFile(path)) {
            throw new IOException(path + ": no such file or directory");
        }
        return loadSingle(path, minCount, lineEnds);
    }

    /** Reads a corpus from three files. */
    public static LanguageModelCorpus load(String name, Path train, Path valid, Path test, int minCount, boolean lineEnds)
            throws IOException {
        Map<String, Long> counts = new HashMap<>();
        forEachToken(train, lineEnds, t -> counts.merge(t, 1L, Long::sum));
        Vocabulary vocab = vocabulary(counts, minCount, lineEnds);
        return new LanguageModelCorpus(name, vocab, encode(train, lineEnds, vocab),
                encode(valid, lineEnds, vocab), encode(test, lineEnds, vocab));
    }

    private static LanguageModelCorpus loadSingle(Path file, int minCount, boolean lineEnds) throws IOException {
        long[] total = new long[1];
        forEachToken(file, lineEnds, t -> total[0]++);
        long trainEnd = (long) Math.floor(total[0] * SINGLE_FILE_TRAIN);
        long validEnd = trainEnd + (long) Math.floor(total[0] * SINGLE_FILE_VALID);
        if (trainEnd == 0 || validEnd == trainEnd || validEnd == total[0]) {
            throw new IOException(file + ": " + total[0] + " tokens are too few to split into train, validation and test");
        }
        Map<String, Long> counts = new HashMap<>();
        long[] seen = new long[1];
        forEachToken(file, lineEnds, t -> {
            if (seen[0]++ < trainEnd) {
                counts.merge(t, 1L, Long::sum);
            }
        });
        Vocabulary vocab = vocabulary(counts, minCount, lineEnds);
        IntArrayBuilder[] parts = {new IntArrayBuilder((int) Math.min(trainEnd, 1 << 24)), new IntArrayBuilder(1024),
                new IntArrayBuilder(1024)};
        long[] at = new long[1];
        forEachToken(file, lineEnds, t -> {
            long i = at[0]++;
            parts[i < trainEnd ? 0 : i < validEnd ? 1 : 2].add(vocab.id(t));
        });
        return new LanguageModelCorpus(file.getFileName().toString(), vocab, parts[0].toArray(), parts[1].toArray(),
                parts[2].toArray());
    }

    private static Vocabulary vocabulary(Map<String, Long> counts, int minCount, boolean lineEnds) {
        List<String> reserved = lineEnds ? List.of(Vocabulary.UNKNOWN, Vocabulary.END_OF_SENTENCE) : List.of(Vocabulary.UNKNOWN);
        return Vocabulary.build(counts, minCount, Vocabulary.UNKNOWN, reserved);
    }

    private static int[] encode(Path file, boolean lineEnds, Vocabulary vocab) throws IOException {
        IntArrayBuilder out = new IntArrayBuilder(1 << 16);
        forEachToken(file, lineEnds, t -> out.add(vocab.id(t)));
        return out.toArray();
    }

    private static Path find(Path dir, String part) throws IOException {
        List<Path> hits;
        try (Stream<Path> files = Files.list(dir)) {
            hits = files.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().toLowerCase(java.util.Locale.ROOT).contains(part))
                    .sorted().toList();
        }
        if (hits.size() != 1) {
            throw new IOException(dir + ": expected exactly one file whose name contains \"" + part + "\", found "
                    + (hits.isEmpty() ? "none" : hits.stream().map(p -> p.getFileName().toString()).toList()));
        }
        return hits.get(0);
    }
}

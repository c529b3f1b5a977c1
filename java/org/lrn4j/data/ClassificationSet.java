package org.lrn4j.data;

import java.util.List;
import java.util.Objects;

/**
 * A labelled sequence-classification set: a vocabulary (built from the training part), the label names,
 * and the three parts as lists of {@link Example}s. {@link BucketBatches} turns a part into padded batches.
 *
 * @param name       what the set is, for logs and checkpoints
 * @param vocabulary ids of the examples' tokens
 * @param labels     label names; an example's label is an index into this list
 * @param train      training examples
 * @param valid      validation examples
 * @param test       test examples
 */
public record ClassificationSet(String name, Vocabulary vocabulary, List<String> labels, List<Example> train,
                                List<Example> valid, List<Example> test) {
    /**
     * One labelled sequence.
     *
     * @param tokens ids, at least one (owned by the example: do not change)
     * @param label  index into the set's labels
     * @param source where it came from, for error analysis ("spam-2/00042"), or empty
     */
    public record Example(int[] tokens, int label, String source) {
        public Example {
            Objects.requireNonNull(tokens, "tokens");
            Objects.requireNonNull(source, "source");
            if (tokens.length == 0) {
                throw new IllegalArgumentException("example " + source + " has no tokens");
            }
            if (label < 0) {
                throw new IllegalArgumentException("example " + source + " has label " + label);
            }
        }

        public int length() {
            return tokens.length;
        }
    }

    public ClassificationSet {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(vocabulary, "vocabulary");
        labels = List.copyOf(labels);
        train = List.copyOf(train);
        valid = List.copyOf(valid);
        test = List.copyOf(test);
        for (List<Example> part : List.of(train, valid, test)) {
            for (Example e : part) {
                if (e.label() >= labels.size()) {
                    throw new IllegalArgumentException("example " + e.source() + " has label " + e.label() + " of "
                            + labels.size());
                }
                for (int id : e.tokens()) {
                    if (id < 0 || id >= vocabulary.size()) {
                        throw new IllegalArgumentException("example " + e.source() + " has token id " + id
                                + " outside the vocabulary of " + vocabulary.size());
                    }
                }
            }
        }
    }

    /** Examples of each label in a part. */
    public static int[] labelCounts(List<Example> part, int labels) {
        int[] n = new int[labels];
        for (Example e : part) {
            n[e.label()]++;
        }
        return n;
    }

    /** One line for logs: sizes of the parts, labels and vocabulary. */
    public String describe() {
        return String.format("%s: train %,d, valid %,d, test %,d examples; labels %s; |V| = %,d (min count %d)",
                name, train.size(), valid.size(), test.size(), labels, vocabulary.size(), vocabulary.minCount());
    }
}

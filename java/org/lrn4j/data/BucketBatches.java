package org.lrn4j.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * Padded, length-bucketed batches of labelled sequences for classification.
 *
 * <p>For a training epoch, the examples are shuffled, cut into pools of {@link #POOL_BATCHES} batches, each
 * pool sorted by length, cut into batches, and the batches shuffled: sequences in a batch have similar
 * lengths (little padding) while the order still changes every epoch. The shuffles use
 * {@code java.util.Random} seeded from (seed, epoch), so epoch e is the same on every run and a resumed run
 * can rebuild it from the two numbers. {@link #inOrder()} gives fixed batches for evaluation.
 *
 * <p>Layout of a batch, time-major like the layers: {@code tokens[t·B + b]} is step t of sequence b, for
 * t &lt; T = the longest length in the batch; past its own length a sequence holds the padding id, and the
 * layers carry its state unchanged there (see {@code lengths}).
 */
public final class BucketBatches {
    /** Batches per sorted pool. */
    public static final int POOL_BATCHES = 32;

    /**
     * One batch.
     *
     * @param steps   T, the longest length in the batch
     * @param batch   B, the sequences in the batch (the last batch of a pass may be smaller)
     * @param tokens  [T, B] ids, time-major, padded
     * @param lengths [B] lengths, each in [1, T]
     * @param labels  [B] labels
     * @param indices [B] positions of the sequences in the example list
     */
    public record PaddedBatch(int steps, int batch, int[] tokens, int[] lengths, int[] labels, int[] indices) {
        /** The id at step t of sequence b. */
        public int token(int t, int b) {
            return tokens[t * batch + b];
        }

        /** Tokens that are not padding. */
        public long realTokens() {
            long n = 0;
            for (int l : lengths) {
                n += l;
            }
            return n;
        }
    }

    private final List<ClassificationSet.Example> examples;
    private final int batchSize;
    private final int padId;
    private final long seed;

    /**
     * @param examples  the sequences (each at least one token)
     * @param batchSize sequences per batch
     * @param padId     id written past each sequence's length
     * @param seed      seed of the shuffles
     */
    public BucketBatches(List<ClassificationSet.Example> examples, int batchSize, int padId, long seed) {
        this.examples = List.copyOf(Objects.requireNonNull(examples, "examples"));
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("no examples to batch");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        this.batchSize = batchSize;
        this.padId = padId;
        this.seed = seed;
    }

    /** Batches in a pass. */
    public int size() {
        return (examples.size() + batchSize - 1) / batchSize;
    }

    /** The shuffled, bucketed batches of training epoch {@code epoch} (the same for the same seed and epoch). */
    public List<PaddedBatch> epoch(int epoch) {
        Random rng = new Random(mix(seed, epoch));
        List<Integer> order = new ArrayList<>(examples.size());
        for (int i = 0; i < examples.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, rng);
        int pool = batchSize * POOL_BATCHES;
        List<PaddedBatch> batches = new ArrayList<>(size());
        for (int start = 0; start < order.size(); start += pool) {
            List<Integer> p = new ArrayList<>(order.subList(start, Math.min(order.size(), start + pool)));
            p.sort((a, b) -> Integer.compare(examples.get(a).length(), examples.get(b).length()));
            cut(p, batches);
        }
        Collections.shuffle(batches, rng);
        return batches;
    }

    /** Batches of the examples sorted by length (ties by position), not shuffled: for evaluation. */
    public List<PaddedBatch> inOrder() {
        List<Integer> order = new ArrayList<>(examples.size());
        for (int i = 0; i < examples.size(); i++) {
            order.add(i);
        }
        order.sort((a, b) -> Integer.compare(examples.get(a).length(), examples.get(b).length()));
        List<PaddedBatch> batches = new ArrayList<>(size());
        cut(order, batches);
        return batches;
    }

    private void cut(List<Integer> order, List<PaddedBatch> out) {
        for (int start = 0; start < order.size(); start += batchSize) {
            out.add(batch(order.subList(start, Math.min(order.size(), start + batchSize))));
        }
    }

    private PaddedBatch batch(List<Integer> members) {
        int b = members.size();
        int t = 0;
        for (int i : members) {
            t = Math.max(t, examples.get(i).length());
        }
        int[] tokens = new int[t * b];
        java.util.Arrays.fill(tokens, padId);
        int[] lengths = new int[b];
        int[] labels = new int[b];
        int[] indices = new int[b];
        for (int j = 0; j < b; j++) {
            ClassificationSet.Example e = examples.get(members.get(j));
            int[] ids = e.tokens();
            for (int s = 0; s < ids.length; s++) {
                tokens[s * b + j] = ids[s];
            }
            lengths[j] = ids.length;
            labels[j] = e.label();
            indices[j] = members.get(j);
        }
        return new PaddedBatch(t, b, tokens, lengths, labels, indices);
    }

    /** Seed of epoch e: the SplitMix64 finaliser of seed + e·φ, so nearby seeds and epochs give unrelated shuffles. */
    static long mix(long seed, int epoch) {
        long z = seed + (epoch + 1L) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}

package org.lrn4j.data;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * A token stream as B parallel streams read in windows of T steps, for language models trained with
 * truncated backpropagation through time.
 *
 * <p>The stream of N ids is cut into B contiguous pieces of L = ⌊N / B⌋ ids (the last N − B·L ids are
 * dropped); piece b is {@code stream[b·L, (b+1)·L)}. Batch k holds steps {@code [k·T, k·T + T')} of every
 * piece with T' = min(T, L − 1 − k·T): the targets are the inputs shifted by one, so the last id of a piece
 * is only ever a target. Batch k+1 continues each piece where batch k stopped, so the recurrent state at the
 * end of batch k is the right initial state for batch k+1 (carry it, detached from the graph). The last batch
 * may be shorter than T. Over one pass every one of the B·(L − 1) predicted ids is a target exactly once.
 *
 * <p>Layout of a batch, time-major like the layers ({@code [T, B]}): {@code inputs[t·B + b]} is the input of
 * piece b at step t, {@code targets[t·B + b]} the id that follows it.
 */
public final class StreamBatches implements Iterable<StreamBatches.Batch> {
    /**
     * One window.
     *
     * @param index   position in the pass (0-based); batch index+1 continues this one
     * @param steps   T' (≤ T), the first dimension of the arrays
     * @param batch   B, the second dimension
     * @param inputs  [T', B] ids, time-major
     * @param targets [T', B] ids, time-major: the next id of each input
     */
    public record Batch(int index, int steps, int batch, int[] inputs, int[] targets) {
        /** The input at step t of piece b. */
        public int input(int t, int b) {
            return inputs[t * batch + b];
        }

        /** The target at step t of piece b. */
        public int target(int t, int b) {
            return targets[t * batch + b];
        }
    }

    private final int[] stream;
    private final int batch;
    private final int steps;
    private final int length;
    private final int count;

    /**
     * @param stream the ids (not copied: do not change it while batching)
     * @param batch  B, parallel pieces (≥ 1)
     * @param steps  T, steps per window (≥ 1)
     */
    public StreamBatches(int[] stream, int batch, int steps) {
        this.stream = Objects.requireNonNull(stream, "stream");
        if (batch < 1 || steps < 1) {
            throw new IllegalArgumentException("batch size and steps must be positive, got " + batch + " and " + steps);
        }
        this.batch = batch;
        this.steps = steps;
        this.length = stream.length / batch;
        if (length < 2) {
            throw new IllegalArgumentException("a stream of " + stream.length + " ids is too short for " + batch
                    + " parallel pieces of at least 2 ids");
        }
        this.count = (length - 1 + steps - 1) / steps;
    }

    /** L, the ids in each piece. */
    public int pieceLength() {
        return length;
    }

    /** Number of batches in a pass. */
    public int size() {
        return count;
    }

    /** B·(L − 1): the ids predicted in one pass (the denominator of the pass's perplexity). */
    public long predictedTokens() {
        return (long) batch * (length - 1);
    }

    /** Batch k of the pass. */
    public Batch get(int k) {
        if (k < 0 || k >= count) {
            throw new IndexOutOfBoundsException("batch " + k + " of " + count);
        }
        int start = k * steps;
        int t = Math.min(steps, length - 1 - start);
        int[] inputs = new int[t * batch];
        int[] targets = new int[t * batch];
        for (int b = 0; b < batch; b++) {
            int base = b * length + start;
            for (int i = 0; i < t; i++) {
                inputs[i * batch + b] = stream[base + i];
                targets[i * batch + b] = stream[base + i + 1];
            }
        }
        return new Batch(k, t, batch, inputs, targets);
    }

    /** The batches of one pass, in order. */
    @Override
    public Iterator<Batch> iterator() {
        return new Iterator<>() {
            int next;

            @Override
            public boolean hasNext() {
                return next < count;
            }

            @Override
            public Batch next() {
                if (next >= count) {
                    throw new NoSuchElementException();
                }
                return get(next++);
            }
        };
    }
}

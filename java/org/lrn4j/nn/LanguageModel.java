package org.lrn4j.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

import org.lrn4j.backend.Backend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * A word-level recurrent language model: embedding → recurrent layer(s) → linear projection to the
 * vocabulary → softmax cross-entropy. Batches are time-major token windows [T, B] (B parallel streams
 * read T steps at a time); the recurrent state is carried from one window to the next (truncated
 * backpropagation through time: the gradient stops at the window boundary). Targets of -1 do not count.
 *
 * <p>Buffers are kept between calls of the same window shape, so a training loop over equal windows
 * allocates its device or off-heap memory once.
 */
public final class LanguageModel implements AutoCloseable {
    private final Backend backend;
    private final DType dtype;
    private final Embedding embedding;
    private final Recurrent rnn;
    private final Linear output;
    private final List<Parameter> parameters;
    private final int vocabulary;

    private Dropout dropout;
    private Buffers buffers;
    /** The carried state [layers·directions, B, stateSize], or null before the first window. */
    private Tensor state;

    /** Sum of the counted tokens' losses (nats) and their number. */
    public record Loss(double sum, long count) {
        public double mean() {
            return count == 0 ? Double.NaN : sum / count;
        }
    }

    /**
     * @param embeddingDim width of the word vectors, which is the recurrent layer's input size
     * @param rnn          the recurrent core (its input size must be embeddingDim)
     */
    public LanguageModel(Backend backend, DType dtype, int vocabulary, int embeddingDim, Recurrent rnn, long seed) {
        this.backend = Objects.requireNonNull(backend);
        this.dtype = dtype;
        this.rnn = Objects.requireNonNull(rnn);
        if (rnn.inputSize() != embeddingDim) {
            throw new IllegalArgumentException("the recurrent layer reads " + rnn.inputSize()
                    + " inputs but the embedding has " + embeddingDim);
        }
        if (rnn.backend() != backend || rnn.dtype() != dtype) {
            throw new IllegalArgumentException("the recurrent layer runs on " + rnn.backend().name() + "/" + rnn.dtype()
                    + ", the model on " + backend.name() + "/" + dtype);
        }
        this.vocabulary = vocabulary;
        this.embedding = new Embedding(backend, dtype, vocabulary, embeddingDim, 0.1, seed, "embedding");
        this.output = new Linear(backend, dtype, rnn.outputSize(), vocabulary, true, seed + 1, "output");
        List<Parameter> all = new ArrayList<>(embedding.parameters());
        all.addAll(rnn.parameters());
        all.addAll(output.parameters());
        this.parameters = Collections.unmodifiableList(all);
    }

    public List<Parameter> parameters() {
        return parameters;
    }

    /**
     * Dropout in training windows with probability p (0 for none): on the word vectors entering the
     * recurrent core and on its output before the projection. Evaluation never drops.
     */
    public void setDropout(double p) {
        this.dropout = p == 0 ? null : new Dropout(backend, p);
    }

    public int vocabulary() {
        return vocabulary;
    }

    public Recurrent rnn() {
        return rnn;
    }

    public Backend backend() {
        return backend;
    }

    /** The carried state [layers·directions, B, stateSize], or null when the next window starts from zeros. */
    public Tensor carriedState() {
        return state;
    }

    /** Sets the carried state (for resuming from a checkpoint): values of shape [layers·directions, B, stateSize]. */
    public void restoreState(double[] values, long... shape) {
        if (shape.length != 3 || shape[0] != (long) rnn.layers() * rnn.directions() || shape[2] != rnn.stateSize()) {
            throw new IllegalArgumentException("a carried state has shape [" + rnn.layers() * rnn.directions() + ", B, "
                    + rnn.stateSize() + "], got " + java.util.Arrays.toString(shape));
        }
        resetState();
        try (Tensor host = Tensor.host(dtype, shape)) {
            host.write(0, values, 0, values.length);
            state = backend.copyOf(host);
        }
    }

    /** Forgets the carried state: the next window starts from zeros. */
    public void resetState() {
        if (state != null) {
            state.close();
            state = null;
        }
    }

    /**
     * One training window: forward, loss, and backward, adding into the parameter gradients (which the
     * caller zeroes and applies). The loss gradient is scaled by 1/count, so the gradients are those of
     * the mean loss over the window's counted tokens. Returns the summed loss.
     *
     * @param inputs  T·B token ids, time-major (element t·B + b)
     * @param targets T·B next-token ids, or -1 where nothing is predicted
     */
    public Loss trainWindow(int[] inputs, int[] targets, int steps, int batch) {
        return window(inputs, targets, steps, batch, true, 0);
    }

    /** A training window whose dropout masks come from {@code dropoutSeed} (see {@link Dropout#seed}). */
    public Loss trainWindow(int[] inputs, int[] targets, int steps, int batch, long dropoutSeed) {
        return window(inputs, targets, steps, batch, true, dropoutSeed);
    }

    /** The loss of a window without gradients (evaluation); the state is carried as in training. */
    public Loss evaluateWindow(int[] inputs, int[] targets, int steps, int batch) {
        return window(inputs, targets, steps, batch, false, 0);
    }

    /**
     * Feeds one token to each of {@code tokens.length} streams, continuing the carried state, and returns
     * log P(next token | everything fed so far) for each stream: [B][V], in double (for sampling and
     * exact evaluation).
     */
    public double[][] nextLogProbabilities(int[] tokens) {
        int batch = tokens.length;
        int[] none = new int[batch];
        java.util.Arrays.fill(none, -1);
        window(tokens, none, 1, batch, false, 0);
        double[] logits = buffers.logits.toDoubleArray();
        double[][] out = new double[batch][vocabulary];
        for (int b = 0; b < batch; b++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < vocabulary; v++) {
                max = Math.max(max, logits[b * vocabulary + v]);
            }
            double sum = 0;
            for (int v = 0; v < vocabulary; v++) {
                sum += Math.exp(logits[b * vocabulary + v] - max);
            }
            double lse = max + Math.log(sum);
            for (int v = 0; v < vocabulary; v++) {
                out[b][v] = logits[b * vocabulary + v] - lse;
            }
        }
        return out;
    }

    /**
     * Runs the embedding and the recurrent core over one sequence from a zero state and hands the open
     * result to {@code inspect} (for example for {@link Lrn#unfoldedWeights}); closes it afterwards.
     */
    public <R> R inspect(int[] tokens, java.util.function.BiFunction<Recurrent, Recurrent.Result, R> inspect) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("nothing to inspect: no tokens");
        }
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocabulary) {
                throw new IllegalArgumentException("tokens[" + i + "] = " + tokens[i] + " is outside [0, " + vocabulary + ")");
            }
        }
        try (Tensor idsHost = Tensor.ofInts(tokens);
             Tensor ids = backend.copyOf(idsHost);
             Tensor embedded = backend.allocate(dtype, tokens.length, 1, embedding.dim())) {
            embedding.forward(tokens.length, ids, embedded);
            try (Recurrent.Result r = rnn.forward(embedded, null, null, null)) {
                return inspect.apply(rnn, r);
            }
        }
    }

    /**
     * Samples {@code length} tokens after feeding {@code prompt} (at least one token) from a fresh state:
     * each next token is drawn from softmax(logits / temperature); temperature 0 takes the most likely one.
     */
    public int[] sample(int[] prompt, int length, double temperature, java.util.random.RandomGenerator rng) {
        if (prompt.length == 0 || length < 0 || !(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("sampling needs a prompt of at least one token, length >= 0 and a "
                    + "finite temperature >= 0");
        }
        resetState();
        double[] logp = null;
        for (int token : prompt) {
            logp = nextLogProbabilities(new int[] {token})[0];
        }
        int[] out = new int[length];
        for (int i = 0; i < length; i++) {
            int next = draw(logp, temperature, rng);
            out[i] = next;
            logp = nextLogProbabilities(new int[] {next})[0];
        }
        return out;
    }

    private static int draw(double[] logp, double temperature, java.util.random.RandomGenerator rng) {
        int best = 0;
        for (int v = 1; v < logp.length; v++) {
            if (logp[v] > logp[best]) {
                best = v;
            }
        }
        if (temperature == 0) {
            return best;
        }
        double[] w = new double[logp.length];
        double sum = 0;
        for (int v = 0; v < logp.length; v++) {
            w[v] = Math.exp((logp[v] - logp[best]) / temperature);
            sum += w[v];
        }
        double u = rng.nextDouble() * sum;
        for (int v = 0; v < w.length; v++) {
            u -= w[v];
            if (u < 0) {
                return v;
            }
        }
        return best;
    }

    private Loss window(int[] inputs, int[] targets, int steps, int batch, boolean train, long dropoutSeed) {
        if (steps < 1 || batch < 1) {
            throw new IllegalArgumentException("a window needs steps and batch >= 1, got " + steps + " and " + batch);
        }
        int rows = Math.multiplyExact(steps, batch);
        if (inputs.length != rows || targets.length != rows) {
            throw new IllegalArgumentException("inputs and targets need " + rows + " ids each, got " + inputs.length
                    + " and " + targets.length);
        }
        long counted = 0;
        for (int i = 0; i < rows; i++) {
            if (inputs[i] < 0 || inputs[i] >= vocabulary) {
                throw new IllegalArgumentException("inputs[" + i + "] = " + inputs[i] + " is outside [0, " + vocabulary + ")");
            }
            if (targets[i] < -1 || targets[i] >= vocabulary) {
                throw new IllegalArgumentException("targets[" + i + "] = " + targets[i] + " is outside [0, "
                        + vocabulary + ") and not -1");
            }
            if (targets[i] >= 0) {
                counted++;
            }
        }
        Buffers b = buffers(steps, batch);
        b.upload(inputs, targets);
        if (state != null && state.dim(1) != batch) {
            resetState();
        }
        boolean drop = train && dropout != null;
        long inputSeed = Dropout.seed(dropoutSeed, 0, 0);
        long outputSeed = Dropout.seed(dropoutSeed, 0, 1);
        embedding.forward(rows, b.ids, b.embedded);
        if (drop) {
            dropout.forward(b.embedded, b.embedded, inputSeed);
        }
        b.result = rnn.forward(b.embedded, null, state, b.result);
        Tensor top = b.result.output();
        if (drop) {
            top = b.dropped();
            dropout.forward(b.result.output(), top, outputSeed);
        }
        output.forward(rows, top, b.logits);
        double scale = counted == 0 ? 0 : 1.0 / counted;
        backend.softmaxCrossEntropy(rows, vocabulary, b.logits, 0, vocabulary, b.targets, scale, b.loss,
                train ? b.logits : null, 0, vocabulary);
        if (train) {
            output.backward(rows, top, b.logits, b.dRnnOut);
            if (drop) {
                dropout.backward(b.dRnnOut, b.dRnnOut, outputSeed);
            }
            b.gradients = rnn.backward(b.result, b.dRnnOut, null, b.gradients);
            if (drop) {
                dropout.backward(b.gradients.input(), b.gradients.input(), inputSeed);
            }
            embedding.backward(rows, b.ids, b.gradients.input());
        }
        carry(b.result.finalState());
        double sum = 0;
        b.lossHost.copyFrom(b.loss);
        for (int i = 0; i < rows; i++) {
            sum += b.lossHost.get(i);
        }
        return new Loss(sum, counted);
    }

    /** Copies the final state into the carried state (detached: the next window's gradient stops here). */
    private void carry(Tensor finalState) {
        if (state == null || !java.util.Arrays.equals(state.shape(), finalState.shape())) {
            resetState();
            state = backend.allocate(dtype, finalState.shape());
        }
        state.copyFrom(finalState);
    }

    private Buffers buffers(int steps, int batch) {
        if (buffers == null || buffers.steps != steps || buffers.batch != batch) {
            if (buffers != null) {
                buffers.close();
            }
            buffers = new Buffers(steps, batch);
        }
        return buffers;
    }

    /** Everything one window shape needs, kept across windows. */
    private final class Buffers implements AutoCloseable {
        final int steps;
        final int batch;
        final Tensor idsHost;
        final Tensor targetsHost;
        final Tensor ids;
        final Tensor targets;
        final Tensor embedded;
        final Tensor logits;
        final Tensor dRnnOut;
        final Tensor loss;
        final Tensor lossHost;
        Recurrent.Result result;
        Recurrent.Gradients gradients;
        /** The recurrent output after dropout, allocated on first use. */
        Tensor dropped;

        Tensor dropped() {
            if (dropped == null) {
                dropped = backend.allocate(dtype, steps, batch, rnn.outputSize());
            }
            return dropped;
        }

        Buffers(int steps, int batch) {
            this.steps = steps;
            this.batch = batch;
            int rows = steps * batch;
            idsHost = Tensor.host(DType.INT32, rows);
            targetsHost = Tensor.host(DType.INT32, rows);
            ids = backend.allocate(DType.INT32, rows);
            targets = backend.allocate(DType.INT32, rows);
            embedded = backend.allocate(dtype, steps, batch, embedding.dim());
            logits = backend.allocate(dtype, rows, vocabulary);
            dRnnOut = backend.allocate(dtype, steps, batch, rnn.outputSize());
            loss = backend.allocate(dtype, rows);
            lossHost = Tensor.host(dtype, rows);
        }

        void upload(int[] inputs, int[] targetIds) {
            idsHost.writeInts(0, inputs, 0, inputs.length);
            targetsHost.writeInts(0, targetIds, 0, targetIds.length);
            ids.copyFrom(idsHost);
            targets.copyFrom(targetsHost);
        }

        @Override
        public void close() {
            if (gradients != null) {
                gradients.close();
            }
            if (result != null) {
                result.close();
            }
            if (dropped != null) {
                dropped.close();
            }
            for (Tensor t : new Tensor[] {idsHost, targetsHost, ids, targets, embedded, logits, dRnnOut, loss, lossHost}) {
                t.close();
            }
        }
    }

    @Override
    public void close() {
        if (buffers != null) {
            buffers.close();
        }
        resetState();
        embedding.close();
        rnn.close();
        output.close();
    }
}

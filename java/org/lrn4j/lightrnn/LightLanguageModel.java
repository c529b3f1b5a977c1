package org.lrn4j.lightrnn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

import org.lrn4j.backend.Backend;
import org.lrn4j.nn.Dropout;
import org.lrn4j.nn.Embedding;
import org.lrn4j.nn.LanguageModel.Loss;
import org.lrn4j.nn.Linear;
import org.lrn4j.nn.Parameter;
import org.lrn4j.nn.Recurrent;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * The LightRNN language model (Li et al., NIPS 2016): words sit in the cells of a {@link WordTable} of R
 * rows and C columns, and a word is read and predicted through its row and its column. The input side
 * has R row vectors and C column vectors, the output side a row projection (H → R) and a column
 * projection (H → C): (R + C)·(d + H + 1) parameters instead of V·(d + H + 1).
 *
 * <p><b>Two-step reading.</b> The recurrent core (any {@link Recurrent}) reads two vectors per word: the
 * row vector of w, then its column vector. The state after the column of w₋₁ predicts the row of w
 * (softmax over R), the state after the row of w predicts its column (softmax over C); P(w) = P_row ·
 * P_col and the loss of a word is the sum of the two cross-entropies. A training window of inputs
 * x₀..x_{T−1} and targets y₀..y_{T−1} (yₜ = xₜ₊₁ in a stream) is the 2T steps
 * {@code col(x₀), row(y₀), col(x₁), row(y₁), …}: step 2t predicts row(yₜ), step 2t + 1 predicts col(yₜ),
 * and the state carried to the next window is the one after row(y_{T−1}), which is that window's first
 * input x₀. A window that starts from nothing (no carried state) first reads row(x₀), so every word of a
 * stream is read row then column exactly as {@link #nextLogProbabilities} reads it.
 *
 * <p>Row and column vectors are one embedding table of R + C rows (rows first), and the outputs at the
 * row-predicting and the column-predicting steps are gathered into two packed matrices (the embedding
 * gather kernel, whose scatter-add is the backward), so one window is a fixed number of backend calls on
 * any backend. Dropout (training only) acts on the vectors entering the core and on the gathered outputs.
 */
public final class LightLanguageModel implements AutoCloseable {
    private final Backend backend;
    private final DType dtype;
    private final Embedding input;
    private final Recurrent rnn;
    private final Linear outputRow;
    private final Linear outputCol;
    private final List<Parameter> parameters;
    private final int rows;
    private final int cols;
    private WordTable table;

    private Dropout dropout;
    private Buffers buffers;
    /** The state carried between windows (after the row of the last target), or null. */
    private Tensor state;
    /** The state of {@link #nextLogProbabilities} (after the column of the last token fed), or null. */
    private Tensor stepState;

    /**
     * @param table        where the words sit (its rows and columns size the vectors)
     * @param embeddingDim width of the row and column vectors, the recurrent core's input size
     */
    public LightLanguageModel(Backend backend, DType dtype, WordTable table, int embeddingDim, Recurrent rnn, long seed) {
        this.backend = Objects.requireNonNull(backend);
        this.dtype = dtype;
        this.rnn = Objects.requireNonNull(rnn);
        this.table = Objects.requireNonNull(table);
        if (rnn.inputSize() != embeddingDim) {
            throw new IllegalArgumentException("the recurrent layer reads " + rnn.inputSize()
                    + " inputs but the row and column vectors have " + embeddingDim);
        }
        if (rnn.directions() != 1) {
            throw new IllegalArgumentException("a language model cannot be bidirectional: it would see the future");
        }
        if (rnn.backend() != backend || rnn.dtype() != dtype) {
            throw new IllegalArgumentException("the recurrent layer runs on " + rnn.backend().name() + "/" + rnn.dtype()
                    + ", the model on " + backend.name() + "/" + dtype);
        }
        this.rows = table.rows();
        this.cols = table.cols();
        this.input = new Embedding(backend, dtype, rows + cols, embeddingDim, 0.1, seed, "input");
        this.outputRow = new Linear(backend, dtype, rnn.outputSize(), rows, true, seed + 1, "output_row");
        this.outputCol = new Linear(backend, dtype, rnn.outputSize(), cols, true, seed + 2, "output_col");
        List<Parameter> all = new ArrayList<>(input.parameters());
        all.addAll(rnn.parameters());
        all.addAll(outputRow.parameters());
        all.addAll(outputCol.parameters());
        this.parameters = Collections.unmodifiableList(all);
    }

    public List<Parameter> parameters() {
        return parameters;
    }

    /** The parameters of the input vectors and the output projections (all but the recurrent core's). */
    public long embeddingAndOutputParameters() {
        long n = 0;
        for (Parameter p : parameters) {
            n += p.value().numel();
        }
        for (Parameter p : rnn.parameters()) {
            n -= p.value().numel();
        }
        return n;
    }

    /** Dropout probability in training windows (0 for none); evaluation never drops. */
    public void setDropout(double p) {
        this.dropout = p == 0 ? null : new Dropout(backend, p);
    }

    public WordTable table() {
        return table;
    }

    /**
     * Moves the words to the cells of {@code next} (same shape and vocabulary); the row and column vectors
     * stay with their rows and columns. Forgets the carried states.
     */
    public void setTable(WordTable next) {
        if (next.rows() != rows || next.cols() != cols || next.words() != table.words()) {
            throw new IllegalArgumentException("the new table is " + next.rows() + "x" + next.cols() + " with "
                    + next.words() + " words, the model's " + rows + "x" + cols + " with " + table.words());
        }
        table = next;
        resetState();
    }

    public int vocabulary() {
        return table.words();
    }

    public Recurrent rnn() {
        return rnn;
    }

    public Backend backend() {
        return backend;
    }

    /** The carried state [layers, B, stateSize], or null when the next window starts afresh. */
    public Tensor carriedState() {
        return state;
    }

    /** Sets the carried state (for resuming from a checkpoint): values of shape [layers, B, stateSize]. */
    public void restoreState(double[] values, long... shape) {
        if (shape.length != 3 || shape[0] != rnn.layers() || shape[2] != rnn.stateSize()) {
            throw new IllegalArgumentException("a carried state has shape [" + rnn.layers() + ", B, " + rnn.stateSize()
                    + "], got " + Arrays.toString(shape));
        }
        resetState();
        try (Tensor host = Tensor.host(dtype, shape)) {
            host.write(0, values, 0, values.length);
            state = backend.copyOf(host);
        }
    }

    /** Forgets the carried states (of windows and of {@link #nextLogProbabilities}). */
    public void resetState() {
        if (state != null) {
            state.close();
            state = null;
        }
        if (stepState != null) {
            stepState.close();
            stepState = null;
        }
    }

    /**
     * One training window: forward, the summed row and column cross-entropies, backward into the parameter
     * gradients (scaled by 1/count: the gradients of the mean loss per counted word), the state carried.
     *
     * @param inputs  T·B word ids, time-major
     * @param targets T·B next-word ids, or -1 where nothing is predicted
     */
    public Loss trainWindow(int[] inputs, int[] targets, int steps, int batch, long dropoutSeed) {
        return window(inputs, targets, steps, batch, true, dropoutSeed);
    }

    /** The two-step loss of a window without gradients; the state carried as in training. */
    public Loss evaluateWindow(int[] inputs, int[] targets, int steps, int batch) {
        return window(inputs, targets, steps, batch, false, 0);
    }

    /**
     * Evaluates a window and adds, for every counted target w, −log P_row(i) to {@code rowCost[w·R + i]} for
     * every row i and −log P_col(j) to {@code colCost[w·C + j]} for every column j. The column probabilities
     * are those given w's current row (the state after reading that row): the paper's approximation of
     * l_c(w, j), which would otherwise need a step per candidate row. Returns the window's loss.
     */
    public Loss accumulateCosts(int[] inputs, int[] targets, int steps, int batch, float[] rowCost, float[] colCost) {
        long need = (long) table.words();
        if (rowCost.length != need * rows || colCost.length != need * cols) {
            throw new IllegalArgumentException("cost arrays need V·R = " + need * rows + " and V·C = " + need * cols
                    + " entries, got " + rowCost.length + " and " + colCost.length);
        }
        Loss loss = window(inputs, targets, steps, batch, false, 0);
        Buffers b = buffers;
        float[] lr = b.logitsRow.toFloatArray();
        float[] lc = b.logitsCol.toFloatArray();
        int n = steps * batch;
        for (int k = 0; k < n; k++) {
            int w = targets[k];
            if (w < 0) {
                continue;
            }
            addNegLogSoftmax(lr, k * rows, rows, rowCost, w * rows);
            addNegLogSoftmax(lc, k * cols, cols, colCost, w * cols);
        }
        return loss;
    }

    private static void addNegLogSoftmax(float[] logits, int from, int n, float[] into, int at) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, logits[from + j]);
        }
        double sum = 0;
        for (int j = 0; j < n; j++) {
            sum += Math.exp(logits[from + j] - max);
        }
        double lse = max + Math.log(sum);
        for (int j = 0; j < n; j++) {
            into[at + j] += (float) (lse - logits[from + j]);
        }
    }

    private void checkIds(int[] ids, String name, boolean padding) {
        int v = table.words();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] >= v || ids[i] < (padding ? -1 : 0)) {
                throw new IllegalArgumentException(name + "[" + i + "] = " + ids[i] + " is outside [0, " + v + ")"
                        + (padding ? " and not -1" : ""));
            }
        }
    }

    private Loss window(int[] inputs, int[] targets, int steps, int batch, boolean train, long dropoutSeed) {
        if (steps < 1 || batch < 1) {
            throw new IllegalArgumentException("a window needs steps and batch >= 1, got " + steps + " and " + batch);
        }
        int n = Math.multiplyExact(steps, batch);
        if (inputs.length != n || targets.length != n) {
            throw new IllegalArgumentException("inputs and targets need " + n + " ids each, got " + inputs.length
                    + " and " + targets.length);
        }
        checkIds(inputs, "inputs", false);
        checkIds(targets, "targets", true);
        if (stepState != null) {
            stepState.close();
            stepState = null;
        }
        if (state != null && state.dim(1) != batch) {
            resetState();
        }
        int s0 = state == null ? 1 : 0;
        int total = 2 * steps + s0;
        Buffers b = buffers(total, steps, batch);
        long counted = 0;
        int[] ids = b.idsArray;
        int[] rowPos = new int[n];
        int[] colPos = new int[n];
        int[] rowTarget = new int[n];
        int[] colTarget = new int[n];
        if (s0 == 1) {
            for (int j = 0; j < batch; j++) {
                ids[j] = table.row(inputs[j]);
            }
        }
        for (int t = 0; t < steps; t++) {
            for (int j = 0; j < batch; j++) {
                int k = t * batch + j;
                int y = targets[k];
                int even = (s0 + 2 * t) * batch + j;
                int odd = even + batch;
                ids[even] = rows + table.col(inputs[k]);
                ids[odd] = y >= 0 ? table.row(y) : -1;
                rowPos[k] = even;
                colPos[k] = odd;
                rowTarget[k] = y >= 0 ? table.row(y) : -1;
                colTarget[k] = y >= 0 ? table.col(y) : -1;
                if (y >= 0) {
                    counted++;
                }
            }
        }
        b.upload(rowPos, colPos, rowTarget, colTarget);
        boolean drop = train && dropout != null;
        long inputSeed = Dropout.seed(dropoutSeed, 0, 0);
        long rowSeed = Dropout.seed(dropoutSeed, 0, 1);
        long colSeed = Dropout.seed(dropoutSeed, 0, 2);
        int hidden = rnn.outputSize();
        input.forward(total * batch, b.ids, b.embedded);
        if (drop) {
            dropout.forward(b.embedded, b.embedded, inputSeed);
        }
        b.result = rnn.forward(b.embedded, null, state, b.result);
        Tensor out = b.result.output();
        backend.embeddingGather(n, hidden, b.rowPos, out, total * batch, hidden, b.hRow, 0, hidden);
        backend.embeddingGather(n, hidden, b.colPos, out, total * batch, hidden, b.hCol, 0, hidden);
        if (drop) {
            dropout.forward(b.hRow, b.hRow, rowSeed);
            dropout.forward(b.hCol, b.hCol, colSeed);
        }
        outputRow.forward(n, b.hRow, b.logitsRow);
        outputCol.forward(n, b.hCol, b.logitsCol);
        double scale = counted == 0 ? 0 : 1.0 / counted;
        backend.softmaxCrossEntropy(n, rows, b.logitsRow, 0, rows, b.rowTarget, scale, b.lossRow,
                train ? b.dLogitsRow : null, 0, rows);
        backend.softmaxCrossEntropy(n, cols, b.logitsCol, 0, cols, b.colTarget, scale, b.lossCol,
                train ? b.dLogitsCol : null, 0, cols);
        if (train) {
            outputRow.backward(n, b.hRow, b.dLogitsRow, b.dRow);
            outputCol.backward(n, b.hCol, b.dLogitsCol, b.dCol);
            if (drop) {
                dropout.backward(b.dRow, b.dRow, rowSeed);
                dropout.backward(b.dCol, b.dCol, colSeed);
            }
            b.dOut.zero();
            backend.embeddingScatterAdd(n, hidden, b.rowPos, b.dRow, 0, hidden, b.dOut, total * batch, hidden);
            backend.embeddingScatterAdd(n, hidden, b.colPos, b.dCol, 0, hidden, b.dOut, total * batch, hidden);
            b.gradients = rnn.backward(b.result, b.dOut, null, b.gradients);
            if (drop) {
                dropout.backward(b.gradients.input(), b.gradients.input(), inputSeed);
            }
            input.backward(total * batch, b.ids, b.gradients.input());
        }
        state = carry(state, b.result.finalState());
        b.lossHostRow.copyFrom(b.lossRow);
        b.lossHostCol.copyFrom(b.lossCol);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += b.lossHostRow.get(i) + b.lossHostCol.get(i);
        }
        return new Loss(sum, counted);
    }

    /** Copies {@code finalState} into {@code into} (reallocated when the shape differs), detached. */
    private Tensor carry(Tensor into, Tensor finalState) {
        if (into == null || !Arrays.equals(into.shape(), finalState.shape())) {
            if (into != null) {
                into.close();
            }
            into = backend.allocate(dtype, finalState.shape());
        }
        into.copyFrom(finalState);
        return into;
    }

    /**
     * Feeds one word to each of {@code tokens.length} streams (its row, then its column), continuing the
     * state of the previous call, and returns log P(next word | everything fed) for every word: [B][V] in
     * double. P(w) = P_row(r(w)) · P_col(c(w) | row r(w)), where P_col given row i comes from one more
     * recurrent step with row i's vector (all R rows in one batched step). With {@code renormalise} the
     * probabilities are divided by their sum over the V words, so that the mass the model gives to empty
     * cells is shared out and the distribution sums to 1 over the vocabulary; without, they are the
     * two-step probabilities the training loss uses (summing to 1 minus the empty cells' mass).
     */
    public double[][] nextLogProbabilities(int[] tokens, boolean renormalise) {
        int batch = tokens.length;
        if (batch < 1) {
            throw new IllegalArgumentException("no tokens to feed");
        }
        checkIds(tokens, "tokens", false);
        if (state != null) {
            state.close();
            state = null;
        }
        if (stepState != null && stepState.dim(1) != batch) {
            stepState.close();
            stepState = null;
        }
        int layers = rnn.layers();
        int stateSize = rnn.stateSize();
        int hidden = rnn.outputSize();
        int wide = batch * rows;
        int words = table.words();
        double[] rowLogits;
        double[] colLogits;
        try (Tensor idsHost = Tensor.host(DType.INT32, 2L * batch);
             Tensor ids = backend.allocate(DType.INT32, 2L * batch);
             Tensor x = backend.allocate(dtype, 2, batch, input.dim());
             Tensor last = backend.allocate(dtype, batch, hidden);
             Tensor rowLogitsDev = backend.allocate(dtype, batch, rows)) {
            int[] feed = new int[2 * batch];
            for (int j = 0; j < batch; j++) {
                feed[j] = table.row(tokens[j]);
                feed[batch + j] = rows + table.col(tokens[j]);
            }
            idsHost.writeInts(0, feed, 0, feed.length);
            ids.copyFrom(idsHost);
            input.forward(2 * batch, ids, x);
            try (Recurrent.Result r = rnn.forward(x, null, stepState, null)) {
                stepState = carry(stepState, r.finalState());
                int[] lastRows = new int[batch];
                for (int j = 0; j < batch; j++) {
                    lastRows[j] = batch + j;
                }
                try (Tensor posHost = Tensor.ofInts(lastRows); Tensor pos = backend.copyOf(posHost)) {
                    backend.embeddingGather(batch, hidden, pos, r.output(), 2 * batch, hidden, last, 0, hidden);
                }
            }
            outputRow.forward(batch, last, rowLogitsDev);
            rowLogits = rowLogitsDev.toDoubleArray();
            // every row's vector after the state, as one step of B·R sequences
            int[] stateRows = new int[layers * wide];
            int[] rowIds = new int[wide];
            for (int l = 0; l < layers; l++) {
                for (int j = 0; j < batch; j++) {
                    for (int i = 0; i < rows; i++) {
                        stateRows[l * wide + j * rows + i] = l * batch + j;
                        rowIds[j * rows + i] = i;
                    }
                }
            }
            try (Tensor stateIdsHost = Tensor.ofInts(stateRows);
                 Tensor stateIds = backend.copyOf(stateIdsHost);
                 Tensor rowIdsHost = Tensor.ofInts(rowIds);
                 Tensor rowIdsDev = backend.copyOf(rowIdsHost);
                 Tensor h0 = backend.allocate(dtype, layers, wide, stateSize);
                 Tensor xr = backend.allocate(dtype, 1, wide, input.dim());
                 Tensor colLogitsDev = backend.allocate(dtype, wide, cols)) {
                backend.embeddingGather(layers * wide, stateSize, stateIds, stepState, layers * batch, stateSize, h0, 0,
                        stateSize);
                input.forward(wide, rowIdsDev, xr);
                try (Recurrent.Result r = rnn.forward(xr, null, h0, null)) {
                    outputCol.forward(wide, r.output(), colLogitsDev);
                }
                colLogits = colLogitsDev.toDoubleArray();
            }
        }
        double[][] out = new double[batch][words];
        double[] lpRow = new double[rows];
        double[] lpCol = new double[rows * cols];
        for (int j = 0; j < batch; j++) {
            logSoftmax(rowLogits, j * rows, rows, lpRow, 0);
            for (int i = 0; i < rows; i++) {
                logSoftmax(colLogits, (j * rows + i) * cols, cols, lpCol, i * cols);
            }
            double[] o = out[j];
            double max = Double.NEGATIVE_INFINITY;
            for (int w = 0; w < words; w++) {
                int c = table.cell(w);
                o[w] = lpRow[c / cols] + lpCol[c];
                max = Math.max(max, o[w]);
            }
            if (renormalise) {
                double sum = 0;
                for (int w = 0; w < words; w++) {
                    sum += Math.exp(o[w] - max);
                }
                double lse = max + Math.log(sum);
                for (int w = 0; w < words; w++) {
                    o[w] -= lse;
                }
            }
        }
        return out;
    }

    /** Renormalised next-word log-probabilities ({@link #nextLogProbabilities(int[], boolean)}). */
    public double[][] nextLogProbabilities(int[] tokens) {
        return nextLogProbabilities(tokens, true);
    }

    private static void logSoftmax(double[] x, int from, int n, double[] out, int at) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, x[from + j]);
        }
        double sum = 0;
        for (int j = 0; j < n; j++) {
            sum += Math.exp(x[from + j] - max);
        }
        double lse = max + Math.log(sum);
        for (int j = 0; j < n; j++) {
            out[at + j] = x[from + j] - lse;
        }
    }

    /**
     * The exact loss of a stream from its full next-word distributions: the stream cut into
     * {@code streams} contiguous pieces read in parallel (as {@link org.lrn4j.data.StreamBatches} cuts
     * it), every id after the first of each piece predicted. Returns {renormalised nats, two-step nats,
     * count}: exp(first/count) is the perplexity of the distribution normalised over the vocabulary,
     * exp(second/count) that of the unnormalised two-step product, the one the training loss measures.
     */
    public double[] exactLoss(int[] stream, int streams) {
        if (streams < 1 || stream.length < 2 * streams) {
            throw new IllegalArgumentException("a stream of " + stream.length + " ids cannot be cut into " + streams
                    + " pieces of at least two");
        }
        int length = stream.length / streams;
        resetState();
        double exact = 0;
        double twoStep = 0;
        long count = 0;
        int[] feed = new int[streams];
        for (int t = 0; t + 1 < length; t++) {
            for (int j = 0; j < streams; j++) {
                feed[j] = stream[j * length + t];
            }
            double[][] raw = nextLogProbabilities(feed, false);
            for (int j = 0; j < streams; j++) {
                double[] o = raw[j];
                double max = Double.NEGATIVE_INFINITY;
                for (double v : o) {
                    max = Math.max(max, v);
                }
                double sum = 0;
                for (double v : o) {
                    sum += Math.exp(v - max);
                }
                double lse = max + Math.log(sum);
                double lp = o[stream[j * length + t + 1]];
                twoStep -= lp;
                exact -= lp - lse;
                count++;
            }
        }
        resetState();
        return new double[] {exact, twoStep, count};
    }

    /**
     * Samples {@code length} words after feeding {@code prompt} from a fresh state, from the renormalised
     * distribution at the given temperature (0: the most likely word).
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
        resetState();
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

    private Buffers buffers(int total, int steps, int batch) {
        if (buffers == null || buffers.total != total || buffers.steps != steps || buffers.batch != batch) {
            if (buffers != null) {
                buffers.close();
            }
            buffers = new Buffers(total, steps, batch);
        }
        return buffers;
    }

    /** Everything one window shape needs, kept across windows. */
    private final class Buffers implements AutoCloseable {
        final int total;
        final int steps;
        final int batch;
        final int[] idsArray;
        final Tensor idsHost;
        final Tensor ids;
        final Tensor indexHost;
        final Tensor rowPos;
        final Tensor colPos;
        final Tensor rowTarget;
        final Tensor colTarget;
        final Tensor embedded;
        final Tensor hRow;
        final Tensor hCol;
        final Tensor logitsRow;
        final Tensor logitsCol;
        final Tensor dLogitsRow;
        final Tensor dLogitsCol;
        final Tensor dRow;
        final Tensor dCol;
        final Tensor dOut;
        final Tensor lossRow;
        final Tensor lossCol;
        final Tensor lossHostRow;
        final Tensor lossHostCol;
        Recurrent.Result result;
        Recurrent.Gradients gradients;

        Buffers(int total, int steps, int batch) {
            this.total = total;
            this.steps = steps;
            this.batch = batch;
            int n = steps * batch;
            int hidden = rnn.outputSize();
            idsArray = new int[total * batch];
            idsHost = Tensor.host(DType.INT32, (long) total * batch);
            ids = backend.allocate(DType.INT32, (long) total * batch);
            indexHost = Tensor.host(DType.INT32, n);
            rowPos = backend.allocate(DType.INT32, n);
            colPos = backend.allocate(DType.INT32, n);
            rowTarget = backend.allocate(DType.INT32, n);
            colTarget = backend.allocate(DType.INT32, n);
            embedded = backend.allocate(dtype, total, batch, input.dim());
            hRow = backend.allocate(dtype, n, hidden);
            hCol = backend.allocate(dtype, n, hidden);
            logitsRow = backend.allocate(dtype, n, rows);
            logitsCol = backend.allocate(dtype, n, cols);
            dLogitsRow = backend.allocate(dtype, n, rows);
            dLogitsCol = backend.allocate(dtype, n, cols);
            dRow = backend.allocate(dtype, n, hidden);
            dCol = backend.allocate(dtype, n, hidden);
            dOut = backend.allocate(dtype, total, batch, hidden);
            lossRow = backend.allocate(dtype, n);
            lossCol = backend.allocate(dtype, n);
            lossHostRow = Tensor.host(dtype, n);
            lossHostCol = Tensor.host(dtype, n);
        }

        void upload(int[] rowPositions, int[] colPositions, int[] rowTargets, int[] colTargets) {
            idsHost.writeInts(0, idsArray, 0, idsArray.length);
            ids.copyFrom(idsHost);
            int n = rowPositions.length;
            indexHost.writeInts(0, rowPositions, 0, n);
            rowPos.copyFrom(indexHost);
            indexHost.writeInts(0, colPositions, 0, n);
            colPos.copyFrom(indexHost);
            indexHost.writeInts(0, rowTargets, 0, n);
            rowTarget.copyFrom(indexHost);
            indexHost.writeInts(0, colTargets, 0, n);
            colTarget.copyFrom(indexHost);
        }

        @Override
        public void close() {
            if (gradients != null) {
                gradients.close();
            }
            if (result != null) {
                result.close();
            }
            for (Tensor t : new Tensor[] {idsHost, ids, indexHost, rowPos, colPos, rowTarget, colTarget, embedded, hRow,
                    hCol, logitsRow, logitsCol, dLogitsRow, dLogitsCol, dRow, dCol, dOut, lossRow, lossCol, lossHostRow,
                    lossHostCol}) {
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
        input.close();
        rnn.close();
        outputRow.close();
        outputCol.close();
    }
}

package org.lrn4j.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

import org.lrn4j.backend.Backend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * A sequence classifier: embedding → recurrent layer(s) over a padded batch with per-sequence lengths →
 * the top layer's final states (for a bidirectional layer: the forward state after each sequence's last
 * token and the reverse state after its first, concatenated) → linear layer → softmax cross-entropy over
 * the classes. The linear layer reads the final states where the recurrent layer left them: for each
 * direction d, {@code logits += h_d · W_d} with W_d the rows [d·H, (d+1)·H) of W, so no copy is made.
 */
public final class SequenceClassifier implements AutoCloseable {
    private final Backend backend;
    private final DType dtype;
    private final Embedding embedding;
    private final Recurrent rnn;
    private final int classes;
    private final Parameter weight;
    private final Parameter bias;
    private final List<Parameter> parameters;
    private Dropout dropout;
    private boolean meanPooling;

    /** Summed loss (nats), counted examples, and how many were classified correctly. */
    public record Outcome(double lossSum, int count, int correct, int[] predictions) {
        public double meanLoss() {
            return count == 0 ? Double.NaN : lossSum / count;
        }

        public double accuracy() {
            return count == 0 ? Double.NaN : (double) correct / count;
        }
    }

    public SequenceClassifier(Backend backend, DType dtype, int vocabulary, int embeddingDim, Recurrent rnn,
                              int classes, long seed) {
        this.backend = Objects.requireNonNull(backend);
        this.dtype = dtype;
        this.rnn = Objects.requireNonNull(rnn);
        if (rnn.inputSize() != embeddingDim) {
            throw new IllegalArgumentException("the recurrent layer reads " + rnn.inputSize()
                    + " inputs but the embedding has " + embeddingDim);
        }
        if (rnn.stateSize() < rnn.hiddenSize()) {
            throw new IllegalArgumentException("the recurrent layer's state is narrower than its output");
        }
        if (classes < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classes);
        }
        this.classes = classes;
        this.embedding = new Embedding(backend, dtype, vocabulary, embeddingDim, 0.1, seed, "embedding");
        int in = rnn.outputSize();
        SplittableRandom rng = new SplittableRandom(seed + 1);
        double bound = 1 / Math.sqrt(in);
        double[] w = new double[in * classes];
        for (int i = 0; i < w.length; i++) {
            w[i] = (rng.nextDouble() * 2 - 1) * bound;
        }
        this.weight = Parameters.make(backend, dtype, "classifier.weight", w, in, classes);
        this.bias = Parameters.make(backend, dtype, "classifier.bias", new double[classes], classes);
        List<Parameter> all = new ArrayList<>(embedding.parameters());
        all.addAll(rnn.parameters());
        all.add(weight);
        all.add(bias);
        this.parameters = Collections.unmodifiableList(all);
    }

    public List<Parameter> parameters() {
        return parameters;
    }

    /**
     * Dropout in training batches with probability p (0 for none): on the word vectors entering the
     * recurrent core and on the final states the linear layer reads. Evaluation never drops.
     */
    public void setDropout(double p) {
        this.dropout = p == 0 ? null : new Dropout(backend, p);
    }

    /**
     * What the linear layer reads: "final" (the top layer's final states, see the class comment) or "mean"
     * (the top layer's outputs averaged over each sequence's own steps, both directions concatenated).
     */
    public void setPooling(String pooling) {
        switch (pooling) {
            case "final" -> meanPooling = false;
            case "mean" -> meanPooling = true;
            default -> throw new IllegalArgumentException("pooling must be final or mean, got '" + pooling + "'");
        }
    }

    public Recurrent rnn() {
        return rnn;
    }

    public int classes() {
        return classes;
    }

    /**
     * Runs a padded batch; with {@code train}, also the backward pass of the mean loss, adding into the
     * parameter gradients.
     *
     * @param tokens  T·B ids, time-major (element t·B + b); padding positions may hold any valid id or -1
     * @param lengths B lengths in [1, T]
     * @param labels  B class indices
     */
    public Outcome run(int[] tokens, int[] lengths, int[] labels, int steps, int batch, boolean train) {
        return run(tokens, lengths, labels, steps, batch, train, 0);
    }

    /** As {@link #run(int[], int[], int[], int, int, boolean)}, with dropout masks from {@code dropoutSeed}. */
    public Outcome run(int[] tokens, int[] lengths, int[] labels, int steps, int batch, boolean train,
                       long dropoutSeed) {
        int rows = Math.multiplyExact(steps, batch);
        if (tokens.length != rows || lengths.length != batch || labels.length != batch) {
            throw new IllegalArgumentException("a batch of " + batch + " sequences of " + steps + " steps needs "
                    + rows + " tokens, " + batch + " lengths and " + batch + " labels; got " + tokens.length + ", "
                    + lengths.length + " and " + labels.length);
        }
        for (int i = 0; i < rows; i++) {
            if (tokens[i] < -1 || tokens[i] >= embedding.vocabulary()) {
                throw new IllegalArgumentException("tokens[" + i + "] = " + tokens[i] + " is outside [0, "
                        + embedding.vocabulary() + ") and not -1");
            }
        }
        for (int b = 0; b < batch; b++) {
            if (labels[b] < 0 || labels[b] >= classes) {
                throw new IllegalArgumentException("labels[" + b + "] = " + labels[b] + " is outside [0, " + classes + ")");
            }
        }
        int h = rnn.hiddenSize();
        int dirs = rnn.directions();
        int width = rnn.stateSize();
        long top = (long) (rnn.layers() - 1) * dirs;
        try (Tensor ids = upload(tokens);
             Tensor target = upload(labels);
             Tensor embedded = backend.allocate(dtype, steps, batch, embedding.dim());
             Tensor logits = backend.allocate(dtype, batch, classes);
             Tensor loss = backend.allocate(dtype, batch)) {
            boolean drop = train && dropout != null;
            long inputSeed = Dropout.seed(dropoutSeed, 0, 0);
            long featureSeed = Dropout.seed(dropoutSeed, 0, 1);
            embedding.forward(rows, ids, embedded);
            if (drop) {
                dropout.forward(embedded, embedded, inputSeed);
            }
            int features = rnn.outputSize();
            try (Recurrent.Result r = rnn.forward(embedded, lengths, null, null);
                 Tensor weights = meanPooling ? poolingWeights(lengths, steps, batch) : null;
                 Tensor pooled = meanPooling ? backend.allocate(dtype, batch, features) : null;
                 Tensor dropped = drop ? backend.allocate(dtype, meanPooling ? pooled.shape() : r.finalState().shape())
                         : null) {
                Tensor fin = r.finalState();
                if (meanPooling) {
                    // pooled[b, :] = Σ_t w[t, b] · out[t, b, :], w = 1/length over the sequence's steps
                    for (int b = 0; b < batch; b++) {
                        backend.gemm(true, false, 1, features, steps, weights, b, batch, r.output(),
                                (long) b * features, batch * features, null, false, pooled, (long) b * features,
                                features);
                    }
                    fin = pooled;
                }
                if (drop) {
                    dropout.forward(fin, dropped, featureSeed);
                    fin = dropped;
                }
                if (meanPooling) {
                    backend.gemm(false, false, batch, classes, features, fin, 0, features, weight.value(), 0, classes,
                            bias.value(), false, logits, 0, classes);
                }
                for (int d = 0; d < dirs && !meanPooling; d++) {
                    // h of direction d: the first H values of each state row (stateSize may be 2H: h, then c)
                    backend.gemm(false, false, batch, classes, h, fin, (top + d) * batch * width, width,
                            weight.value(), (long) d * h * classes, classes, d == 0 ? bias.value() : null, d > 0,
                            logits, 0, classes);
                }
                backend.softmaxCrossEntropy(batch, classes, logits, 0, classes, target, 1.0 / batch, loss,
                        train ? logits : null, 0, classes);
                double[] lossValues = loss.toDoubleArray();
                double[] probs = train ? null : logits.toDoubleArray();
                int[] predictions = new int[batch];
                if (!train) {
                    for (int b = 0; b < batch; b++) {
                        int best = 0;
                        for (int c = 1; c < classes; c++) {
                            if (probs[b * classes + c] > probs[b * classes + best]) {
                                best = c;
                            }
                        }
                        predictions[b] = best;
                    }
                } else {
                    // the gradient is softmax - onehot (scaled): the prediction is where it is largest
                    double[] g = logits.toDoubleArray();
                    for (int b = 0; b < batch; b++) {
                        int best = 0;
                        for (int c = 1; c < classes; c++) {
                            double gc = g[b * classes + c] + (c == labels[b] ? 1.0 / batch : 0);
                            double gb = g[b * classes + best] + (best == labels[b] ? 1.0 / batch : 0);
                            if (gc > gb) {
                                best = c;
                            }
                        }
                        predictions[b] = best;
                    }
                    if (meanPooling) {
                        backwardPooled(r, fin, weights, logits, steps, batch, ids, rows, drop ? inputSeed : null,
                                drop ? featureSeed : null);
                    } else {
                        backward(r, fin, logits, batch, h, dirs, width, top, ids, rows, drop ? inputSeed : null,
                                drop ? featureSeed : null);
                    }
                }
                double sum = 0;
                int correct = 0;
                for (int b = 0; b < batch; b++) {
                    sum += lossValues[b];
                    correct += predictions[b] == labels[b] ? 1 : 0;
                }
                return new Outcome(sum, batch, correct, predictions);
            }
        }
    }

    /** w[t, b] = 1/lengths[b] for t < lengths[b], else 0, on the backend: the mean-pooling weights [T, B]. */
    private Tensor poolingWeights(int[] lengths, int steps, int batch) {
        double[] w = new double[steps * batch];
        for (int b = 0; b < batch; b++) {
            if (lengths[b] < 1 || lengths[b] > steps) {
                throw new IllegalArgumentException("lengths[" + b + "] = " + lengths[b] + " is outside [1, " + steps + "]");
            }
            for (int t = 0; t < lengths[b]; t++) {
                w[t * batch + b] = 1.0 / lengths[b];
            }
        }
        try (Tensor host = Tensor.host(dtype, steps, batch)) {
            host.write(0, w, 0, w.length);
            return backend.copyOf(host);
        }
    }

    /** The backward pass through the linear layer and the mean pooling; feats: what the linear layer read. */
    private void backwardPooled(Recurrent.Result r, Tensor feats, Tensor weights, Tensor dLogits, int steps, int batch,
                                Tensor ids, int rows, Long inputSeed, Long featureSeed) {
        int features = rnn.outputSize();
        backend.colSum(batch, classes, dLogits, 0, classes, true, bias.grad());
        backend.gemm(true, false, features, classes, batch, feats, 0, features, dLogits, 0, classes, null, true,
                weight.grad(), 0, classes);
        try (Tensor dPooled = backend.allocate(dtype, batch, features);
             Tensor dOut = backend.allocate(dtype, r.output().shape())) {
            backend.gemm(false, true, batch, features, classes, dLogits, 0, classes, weight.value(), 0, classes, null,
                    false, dPooled, 0, features);
            if (featureSeed != null) {
                dropout.backward(dPooled, dPooled, featureSeed);
            }
            // dOut[t, b, :] = w[t, b] · dPooled[b, :] (every element written: w is 0 past a sequence's end)
            for (int b = 0; b < batch; b++) {
                backend.gemm(false, false, steps, features, 1, weights, b, batch, dPooled, (long) b * features, features,
                        null, false, dOut, (long) b * features, batch * features);
            }
            try (Recurrent.Gradients g = rnn.backward(r, dOut, null, null)) {
                if (inputSeed != null) {
                    dropout.backward(g.input(), g.input(), inputSeed);
                }
                embedding.backward(rows, ids, g.input());
            }
        }
    }

    /** fin: the final states the linear layer read (after dropout when it applies). */
    private void backward(Recurrent.Result r, Tensor fin, Tensor dLogits, int batch, int h, int dirs, int width,
                          long top, Tensor ids, int rows, Long inputSeed, Long featureSeed) {
        backend.colSum(batch, classes, dLogits, 0, classes, true, bias.grad());
        try (Tensor dFinal = backend.allocate(dtype, fin.shape())) {
            dFinal.zero();
            for (int d = 0; d < dirs; d++) {
                long at = (top + d) * batch * width;
                backend.gemm(true, false, h, classes, batch, fin, at, width, dLogits, 0, classes, null, true,
                        weight.grad(), (long) d * h * classes, classes);
                backend.gemm(false, true, batch, h, classes, dLogits, 0, classes, weight.value(),
                        (long) d * h * classes, classes, null, false, dFinal, at, width);
            }
            if (featureSeed != null) {
                dropout.backward(dFinal, dFinal, featureSeed);
            }
            try (Recurrent.Gradients g = rnn.backward(r, null, dFinal, null)) {
                if (inputSeed != null) {
                    dropout.backward(g.input(), g.input(), inputSeed);
                }
                embedding.backward(rows, ids, g.input());
            }
        }
    }

    private Tensor upload(int[] values) {
        try (Tensor host = Tensor.ofInts(values)) {
            return backend.copyOf(host);
        }
    }

    @Override
    public void close() {
        embedding.close();
        rnn.close();
        weight.close();
        bias.close();
    }
}

package org.lrn4j.lmu;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

import org.lrn4j.backend.ActivationKind;
import org.lrn4j.backend.Backend;
import org.lrn4j.nn.Dropout;
import org.lrn4j.nn.Linear;
import org.lrn4j.nn.Parameter;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * A classifier of sequences of one value per step (images read pixel by pixel): a {@link SequenceCore} that
 * reads the whole sequence and gives features after its last step, dropout on them in training, a linear layer
 * to the class scores, and the fused softmax cross-entropy ({@link Backend#softmaxCrossEntropy}) of the mean loss
 * over the batch. The permuted sequential Fashion-MNIST model of the LMU papers: the parallel LMU in its
 * last-step mode (the memory at the final step is one GEMM of the inputs with the impulse response), whose
 * output o is the hidden layer the classes are read from.
 */
public final class PixelSequenceClassifier implements AutoCloseable {
    private final Backend backend;
    private final DType dtype;
    private final SequenceCore core;
    private final int classes;
    private final Linear output;
    private final Dropout dropout;
    private final List<Parameter> parameters;

    /** Summed loss (nats), counted examples, how many were right, and the predicted classes. */
    public record Outcome(double lossSum, int count, int correct, int[] predictions) {
        public double meanLoss() {
            return count == 0 ? Double.NaN : lossSum / count;
        }

        public double accuracy() {
            return count == 0 ? Double.NaN : (double) correct / count;
        }
    }

    PixelSequenceClassifier(Backend backend, DType dtype, SequenceCore core, int classes, double dropout, long seed) {
        this.backend = Objects.requireNonNull(backend);
        this.dtype = dtype;
        this.core = core;
        if (classes < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classes);
        }
        this.classes = classes;
        this.output = new Linear(backend, dtype, core.outputSize(), classes, true,
                new SplittableRandom(seed).split().nextLong(), "classifier");
        this.dropout = dropout == 0 ? null : new Dropout(backend, dropout);
        List<Parameter> all = new ArrayList<>(core.parameters());
        all.addAll(output.parameters());
        this.parameters = Collections.unmodifiableList(all);
    }

    /**
     * The parallel LMU read at the last step (LAST_STEP: one memory channel, u = x·Uₓ + b_u, the final memory one
     * GEMM with the impulse response, o = ReLU(m·W_m + x·Wₓ + b_o) of {@code hidden} units), dropout on o, and a
     * linear layer to the classes.
     */
    public static PixelSequenceClassifier parallelLmu(Backend backend, DType dtype, int order, double theta, int hidden,
                                                      int classes, double dropout, long seed) {
        return new PixelSequenceClassifier(backend, dtype, new ParallelLmuCore(ParallelLmu.builder().backend(backend)
                .dtype(dtype).inputSize(1).memoryD(1).order(order).theta(theta).hiddenSize(hidden)
                .inputActivation(ActivationKind.IDENTITY).outputActivation(ActivationKind.RELU)
                .mode(MemoryMode.LAST_STEP).seed(seed).build(), true), classes, dropout, seed);
    }

    /**
     * The original LMU cell (one memory channel, tanh), trained by backpropagation through time, read at its final
     * hidden state, dropout on it, and a linear layer to the classes: the sequential baseline.
     */
    public static PixelSequenceClassifier originalLmu(Backend backend, DType dtype, int order, double theta, int hidden,
                                                      int classes, double dropout, long seed) {
        return new PixelSequenceClassifier(backend, dtype, new LmuCellCore(LmuCell.builder().backend(backend).dtype(dtype)
                .inputSize(1).hiddenSize(hidden).memoryD(1).order(order).theta(theta).seed(seed).build()),
                classes, dropout, seed);
    }

    public List<Parameter> parameters() {
        return parameters;
    }

    public int classes() {
        return classes;
    }

    /**
     * Runs a batch; with {@code train}, also the backward pass of the mean loss (adding into the parameter
     * gradients), with dropout masks from {@code dropoutSeed}.
     *
     * @param x      inputs, time-major: x[t·B + b], one value per step
     * @param labels B class indices
     */
    public Outcome run(float[] x, int[] labels, int steps, int batch, boolean train, long dropoutSeed) {
        int rows = Math.multiplyExact(steps, batch);
        if (x.length != rows || labels.length != batch) {
            throw new IllegalArgumentException(steps + " steps of " + batch + " sequences need " + rows + " inputs and "
                    + batch + " labels, got " + x.length + " and " + labels.length);
        }
        for (int b = 0; b < batch; b++) {
            if (labels[b] < 0 || labels[b] >= classes) {
                throw new IllegalArgumentException("labels[" + b + "] = " + labels[b] + " is outside [0, " + classes + ")");
            }
        }
        int features = core.outputSize();
        try (Tensor input = SeriesPredictor.upload(backend, dtype, x, steps, batch, 1);
             Tensor target = uploadInts(labels);
             Tensor logits = backend.allocate(dtype, batch, classes);
             Tensor loss = backend.allocate(dtype, batch)) {
            try {
                Tensor fin = core.forward(input, steps, batch);
                if (fin.numel() != (long) batch * features) {
                    throw new IllegalStateException("the core gave " + fin.describe() + ", not [" + batch + ", "
                            + features + "] after the last step");
                }
                boolean drop = train && dropout != null;
                try (Tensor dropped = drop ? backend.allocate(dtype, batch, features) : null) {
                    if (drop) {
                        dropout.forward(fin, dropped, dropoutSeed);
                    }
                    Tensor read = drop ? dropped : fin;
                    output.forward(batch, read, logits);
                    backend.softmaxCrossEntropy(batch, classes, logits, 0, classes, target, 1.0 / batch, loss,
                            train ? logits : null, 0, classes);
                    double[] lossValues = loss.toDoubleArray();
                    double[] scores = logits.toDoubleArray();
                    int[] predictions = new int[batch];
                    int correct = 0;
                    double sum = 0;
                    for (int b = 0; b < batch; b++) {
                        // in training the scores are the gradient softmax − onehot (scaled); adding the onehot
                        // back gives the probabilities' order
                        int best = 0;
                        double bestScore = Double.NEGATIVE_INFINITY;
                        for (int c = 0; c < classes; c++) {
                            double s = scores[b * classes + c] + (train && c == labels[b] ? 1.0 / batch : 0);
                            if (s > bestScore) {
                                bestScore = s;
                                best = c;
                            }
                        }
                        predictions[b] = best;
                        correct += best == labels[b] ? 1 : 0;
                        sum += lossValues[b];
                    }
                    if (train) {
                        try (Tensor dFeatures = backend.allocate(dtype, batch, features)) {
                            output.backward(batch, read, logits, dFeatures);
                            if (drop) {
                                dropout.backward(dFeatures, dFeatures, dropoutSeed);
                            }
                            core.backward(dFeatures);
                        }
                    }
                    return new Outcome(sum, batch, correct, predictions);
                }
            } finally {
                core.release();
            }
        }
    }

    private Tensor uploadInts(int[] values) {
        try (Tensor host = Tensor.ofInts(values)) {
            return backend.copyOf(host);
        }
    }

    @Override
    public void close() {
        core.close();
        output.close();
    }
}

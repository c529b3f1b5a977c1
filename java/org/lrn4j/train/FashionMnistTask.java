package org.lrn4j.train;

import java.io.IOException;
import java.util.List;

import org.lrn4j.backend.Backend;
import org.lrn4j.data.FashionMnist;
import org.lrn4j.lmu.PixelSequenceClassifier;
import org.lrn4j.nn.Parameter;
import org.lrn4j.tensor.DType;

/**
 * Permuted sequential Fashion-MNIST ({@link FashionMnist}): each image read one pixel per step in the fixed
 * permutation of the spec's seed, classified by a {@link PixelSequenceClassifier} after the last step.
 */
final class FashionMnistTask implements LmuTaskModel {
    private final LmuTaskSpec spec;
    private final FashionMnist data;
    private final int[] permutation;
    private final PixelSequenceClassifier model;

    FashionMnistTask(LmuTaskSpec spec, Backend backend) throws IOException {
        this(spec, backend, FashionMnist.load());
    }

    FashionMnistTask(LmuTaskSpec spec, Backend backend, FashionMnist data) {
        this.spec = spec;
        this.data = data;
        this.permutation = FashionMnist.permutation(spec.permutationSeed());
        this.model = spec.model().equals("lmu")
                ? PixelSequenceClassifier.parallelLmu(backend, DType.FLOAT32, spec.order(), spec.theta(), spec.hidden(),
                        FashionMnist.CLASSES, spec.dropout(), spec.seed())
                : PixelSequenceClassifier.originalLmu(backend, DType.FLOAT32, spec.order(), spec.theta(), spec.hidden(),
                        FashionMnist.CLASSES, spec.dropout(), spec.seed());
    }

    @Override
    public List<Parameter> parameters() {
        return model.parameters();
    }

    @Override
    public int trainSize() {
        return data.train().size();
    }

    @Override
    public String describeData() {
        return data.describe() + ", read pixel by pixel in the permutation of seed " + spec.permutationSeed()
                + (spec.standardise() ? ", standardised" : ", scaled to [0, 1]");
    }

    @Override
    public String describeModel() {
        return String.format(java.util.Locale.ROOT, "%s (order %d, θ %.0f, hidden %d), dropout %.2f, linear to %d "
                        + "classes: %,d parameters", spec.model().equals("lmu") ? "the parallel LMU read at the last step"
                        : "the original LMU cell", spec.order(), spec.theta(), spec.hidden(), spec.dropout(),
                FashionMnist.CLASSES, parameterCount());
    }

    @Override
    public double[] trainBatch(int[] order, int from, int batch, long dropoutSeed) {
        PixelSequenceClassifier.Outcome o = run(data.train(), order, from, batch, true, dropoutSeed);
        return new double[] {o.meanLoss(), o.accuracy()};
    }

    private PixelSequenceClassifier.Outcome run(FashionMnist.Part part, int[] order, int from, int batch, boolean train,
                                                long dropoutSeed) {
        float[] x = new float[FashionMnist.PIXELS * batch];
        int[] labels = new int[batch];
        data.sequences(part, order, from, batch, permutation, spec.standardise(), x);
        for (int b = 0; b < batch; b++) {
            labels[b] = part.labels()[order[from + b]];
        }
        return model.run(x, labels, FashionMnist.PIXELS, batch, train, dropoutSeed);
    }

    @Override
    public Score evaluate(Part which, int batch) {
        FashionMnist.Part part = which == Part.VALID ? data.valid() : data.test();
        int[] order = java.util.stream.IntStream.range(0, part.size()).toArray();
        double loss = 0;
        long correct = 0;
        for (int from = 0; from < part.size(); from += batch) {
            PixelSequenceClassifier.Outcome o = run(part, order, from, Math.min(batch, part.size() - from), false, 0);
            loss += o.lossSum();
            correct += o.correct();
        }
        return new Score("accuracy", loss / part.size(), (double) correct / part.size(), part.size());
    }

    @Override
    public void close() {
        model.close();
    }
}

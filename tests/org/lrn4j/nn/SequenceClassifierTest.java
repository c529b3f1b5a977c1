package org.lrn4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.lrn4j.TestData;
import org.lrn4j.backend.Backend;
import org.lrn4j.backend.ReferenceBackend;
import org.lrn4j.tensor.DType;
import org.lrn4j.train.Adam;

/**
 * The classifier end to end: gradients against finite differences of its mean loss in double (ragged,
 * bidirectional, two layers), learning a task whose label depends on the whole sequence, bad input.
 */
class SequenceClassifierTest {
    private static final int V = 6;

    private static SequenceClassifier model(Backend backend, DType dtype, long seed) {
        Lrn lrn = Lrn.builder().backend(backend).dtype(dtype).inputSize(4).hiddenSize(3).layers(2).bidirectional(true)
                .initScale(0.5).seed(seed).build();
        return new SequenceClassifier(backend, dtype, V, 4, lrn, 3, seed);
    }

    /** Gradients of the training loss, with and without dropout (a fixed dropout seed: the same masks). */
    @ParameterizedTest
    @CsvSource({"0, final", "0.3, final", "0, mean", "0.3, mean"})
    void gradientsMatchFiniteDifferences(double dropout, String pooling) {
        int[] tokens = {1, 2, 3, 4, 5, 0, 2, -1, 1, 3, -1, -1};  // T = 4, B = 3, padding marked -1
        int[] lengths = {4, 2, 3};
        int[] labels = {2, 0, 1};
        long seed = 91;
        try (SequenceClassifier c = model(ReferenceBackend.INSTANCE, DType.FLOAT64, 4)) {
            c.setDropout(dropout);
            c.setPooling(pooling);
            c.run(tokens, lengths, labels, 4, 3, true, seed);
            java.util.Map<Parameter, double[]> grads = new java.util.HashMap<>();
            for (Parameter p : c.parameters()) {
                grads.put(p, p.grad().toDoubleArray());
            }
            for (Parameter p : c.parameters()) {
                double[] grad = grads.get(p);
                for (int i = 0; i < p.value().numel(); i++) {
                    double x = p.value().get(i);
                    double h = 1e-6;
                    p.value().set(i, x + h);
                    double up = c.run(tokens, lengths, labels, 4, 3, true, seed).meanLoss();
                    p.value().set(i, x - h);
                    double down = c.run(tokens, lengths, labels, 4, 3, true, seed).meanLoss();
                    p.value().set(i, x);
                    double fd = (up - down) / (2 * h);
                    assertEquals(fd, grad[i], 1e-7 + 1e-5 * Math.abs(fd), p.name() + "[" + i + "]");
                }
            }
        }
    }

    /** One training batch with mean pooling and dropout: loss and gradients of every backend equal the reference's. */
    @ParameterizedTest
    @ValueSource(strings = {"java", "native", "cuda"})
    void meanPoolingWithDropoutMatchesTheReference(String name) {
        Backend backend = TestData.backendOrSkip(name);
        int[] tokens = {1, 2, 3, 4, 5, 0, 2, -1, 1, 3, -1, -1};
        int[] lengths = {4, 2, 3};
        int[] labels = {2, 0, 1};
        try (SequenceClassifier want = model(ReferenceBackend.INSTANCE, DType.FLOAT64, 4);
             SequenceClassifier got = model(backend, DType.FLOAT32, 4)) {
            for (SequenceClassifier c : new SequenceClassifier[] {want, got}) {
                c.setDropout(0.4);
                c.setPooling("mean");
            }
            double lw = want.run(tokens, lengths, labels, 4, 3, true, 5).meanLoss();
            double lg = got.run(tokens, lengths, labels, 4, 3, true, 5).meanLoss();
            assertEquals(lw, lg, 1e-5, name + " loss");
            for (int k = 0; k < want.parameters().size(); k++) {
                TestData.assertClose(name + " " + want.parameters().get(k).name(),
                        want.parameters().get(k).grad().toDoubleArray(), got.parameters().get(k).grad().toDoubleArray(),
                        1e-5, 1e-4);
            }
        }
    }

    /** Label: 1 when token 1 occurs before token 2 in the sequence, else 0 — needs the whole sequence. */
    @ParameterizedTest
    @ValueSource(strings = {"java", "native", "cuda"})
    void learnsAnOrderDependentTask(String name) {
        Backend backend = TestData.backendOrSkip(name);
        SplittableRandom rng = new SplittableRandom(9);
        int steps = 8;
        int batch = 16;
        try (SequenceClassifier c = model(backend, DType.FLOAT32, 2);
             Adam adam = new Adam(backend, c.parameters(), 0.02)) {
            double accuracy = 0;
            for (int step = 0; step < 250; step++) {
                int[] tokens = new int[steps * batch];
                int[] lengths = new int[batch];
                int[] labels = new int[batch];
                for (int b = 0; b < batch; b++) {
                    lengths[b] = 3 + rng.nextInt(steps - 2);
                    int first = -1;
                    for (int t = 0; t < steps; t++) {
                        int tok = t < lengths[b] ? 3 + rng.nextInt(V - 3) : -1;
                        tokens[t * batch + b] = tok;
                    }
                    int i = rng.nextInt(lengths[b]);
                    int j = (i + 1 + rng.nextInt(lengths[b] - 1)) % lengths[b];
                    boolean oneFirst = rng.nextBoolean();
                    tokens[Math.min(i, j) * batch + b] = oneFirst ? 1 : 2;
                    tokens[Math.max(i, j) * batch + b] = oneFirst ? 2 : 1;
                    labels[b] = oneFirst ? 1 : 0;
                }
                for (Parameter p : c.parameters()) {
                    p.zeroGrad();
                }
                SequenceClassifier.Outcome o = c.run(tokens, lengths, labels, steps, batch, true);
                adam.step(1.0);
                accuracy = 0.9 * accuracy + 0.1 * o.accuracy();
            }
            assertTrue(accuracy > 0.9, name + ": running accuracy " + accuracy);
        }
    }

    @Test
    void badBatchesAreRejected() {
        try (SequenceClassifier c = model(TestData.backendOrSkip("java"), DType.FLOAT32, 1)) {
            assertThrows(IllegalArgumentException.class, () -> c.run(new int[4], new int[] {2, 2}, new int[] {0, 1}, 3, 2, true));
            assertThrows(IllegalArgumentException.class, () -> c.run(new int[4], new int[] {2, 2}, new int[] {0, 3}, 2, 2, true));
            assertThrows(IllegalArgumentException.class, () -> c.run(new int[] {0, 9, 0, 0}, new int[] {2, 2}, new int[] {0, 1}, 2, 2, true));
            assertThrows(IllegalArgumentException.class, () -> c.run(new int[4], new int[] {3, 2}, new int[] {0, 1}, 2, 2, true));
        }
    }
}

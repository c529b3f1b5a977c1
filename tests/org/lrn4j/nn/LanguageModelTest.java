package org.lrn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.lrn4j.TestData;
import org.lrn4j.backend.Backend;
import org.lrn4j.backend.ReferenceBackend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;
import org.lrn4j.train.Adam;
import org.lrn4j.train.Optimizer;

/**
 * The language model end to end: its gradients against finite differences of its mean loss in double,
 * a few optimiser steps that learn a deterministic sequence, the same run twice, and bad input.
 */
class LanguageModelTest {
    private static final int V = 7;
    private static final int T = 3;
    private static final int B = 2;
    private static final int[] INPUTS = {1, 4, 2, 5, 3, 6};
    private static final int[] TARGETS = {4, 2, -1, 3, 6, 0};

    private static LanguageModel model(Backend backend, DType dtype, boolean bidirectional, long seed) {
        Lrn lrn = Lrn.builder().backend(backend).dtype(dtype).inputSize(4).hiddenSize(3).layers(2)
                .bidirectional(bidirectional).layerNorm(true).initScale(0.5).seed(seed).build();
        return new LanguageModel(backend, dtype, V, 4, lrn, seed);
    }

    /** Gradients of the training loss, with and without dropout (a fixed dropout seed: the same masks). */
    @ParameterizedTest
    @CsvSource({"false, 0", "true, 0", "false, 0.3", "true, 0.3"})
    void gradientsMatchFiniteDifferences(boolean bidirectional, double dropout) {
        Backend ref = ReferenceBackend.INSTANCE;
        long seed = 77;
        try (LanguageModel lm = model(ref, DType.FLOAT64, bidirectional, 3)) {
            lm.setDropout(dropout);
            for (Parameter p : lm.parameters()) {
                p.zeroGrad();
            }
            lm.resetState();
            lm.trainWindow(INPUTS, TARGETS, T, B, seed);
            java.util.Map<Parameter, double[]> grads = new java.util.HashMap<>();
            for (Parameter p : lm.parameters()) {
                grads.put(p, p.grad().toDoubleArray());
            }
            for (Parameter p : lm.parameters()) {
                double[] grad = grads.get(p);
                Tensor v = p.value();
                for (int i = 0; i < v.numel(); i++) {
                    double x = v.get(i);
                    double h = 1e-6;
                    v.set(i, x + h);
                    double up = trainingLoss(lm, seed);
                    v.set(i, x - h);
                    double down = trainingLoss(lm, seed);
                    v.set(i, x);
                    double fd = (up - down) / (2 * h);
                    assertEquals(fd, grad[i], 1e-7 + 1e-5 * Math.abs(fd), p.name() + "[" + i + "]");
                }
            }
            if (dropout > 0) {
                // the masks matter: another seed gives another loss, and evaluation does not drop
                double a = trainingLoss(lm, seed);
                assertNotEquals(a, trainingLoss(lm, seed + 1), 1e-9);
                assertEquals(a, trainingLoss(lm, seed), 0.0, "the same seed gives the same loss");
                lm.setDropout(0);
                double plain = meanLoss(lm);
                lm.setDropout(dropout);
                assertEquals(plain, meanLoss(lm), 0.0, "evaluation does not drop");
            }
        }
    }

    /** The training loss under the masks of {@code seed} (the gradients it adds are not looked at). */
    private static double trainingLoss(LanguageModel lm, long seed) {
        lm.resetState();
        return lm.trainWindow(INPUTS, TARGETS, T, B, seed).mean();
    }

    private static double meanLoss(LanguageModel lm) {
        lm.resetState();
        return lm.evaluateWindow(INPUTS, TARGETS, T, B).mean();
    }

    /** A stream that repeats 0 1 2 3 4 5 6: after some Adam steps the model predicts it almost surely. */
    @ParameterizedTest
    @ValueSource(strings = {"java", "native", "cuda"})
    void learnsADeterministicSequence(String name) {
        Backend backend = TestData.backendOrSkip(name);
        double[] first = run(backend, 60);
        assertTrue(first[1] < 0.25 * first[0], name + ": loss " + first[0] + " -> " + first[1]);
        double[] again = run(backend, 60);
        assertArrayEquals(first, again, name + ": the same seed gives the same run");
    }

    private static double[] run(Backend backend, int updates) {
        int steps = 5;
        int batch = 3;
        try (LanguageModel lm = model(backend, DType.FLOAT32, false, 11);
             Optimizer opt = new Adam(backend, lm.parameters(), 0.03)) {
            double firstLoss = Double.NaN;
            double lastLoss = Double.NaN;
            int position = 0;
            for (int u = 0; u < updates; u++) {
                int[] in = new int[steps * batch];
                int[] out = new int[steps * batch];
                for (int t = 0; t < steps; t++) {
                    for (int b = 0; b < batch; b++) {
                        int pos = position + t + 100 * b;
                        in[t * batch + b] = pos % V;
                        out[t * batch + b] = (pos + 1) % V;
                    }
                }
                position += steps;
                for (Parameter p : lm.parameters()) {
                    p.zeroGrad();
                }
                double loss = lm.trainWindow(in, out, steps, batch).mean();
                double[] clip = Optimizer.clip(backend, lm.parameters(), 1.0);
                opt.step(clip[1]);
                if (u == 0) {
                    firstLoss = loss;
                }
                lastLoss = loss;
            }
            return new double[] {firstLoss, lastLoss};
        }
    }

    /** Log-probabilities normalise, and feeding tokens one at a time equals feeding the window. */
    @Test
    void stepwiseProbabilitiesMatchTheWindowLoss() {
        Backend backend = TestData.backendOrSkip("java");
        try (LanguageModel lm = model(backend, DType.FLOAT32, false, 5)) {
            int[] in = {1, 4, 2, 5};
            int[] out = {4, 2, 5, 0};
            lm.resetState();
            double window = lm.evaluateWindow(in, out, 4, 1).sum();
            lm.resetState();
            double stepwise = 0;
            for (int t = 0; t < 4; t++) {
                double[] logp = lm.nextLogProbabilities(new int[] {in[t]})[0];
                double total = 0;
                for (double lp : logp) {
                    total += Math.exp(lp);
                }
                assertEquals(1.0, total, 1e-9);
                stepwise -= logp[out[t]];
            }
            assertEquals(window, stepwise, 1e-4 * window);
            int[] greedy = lm.sample(new int[] {1}, 5, 0, new java.util.SplittableRandom(1));
            assertArrayEquals(greedy, lm.sample(new int[] {1}, 5, 0, new java.util.SplittableRandom(2)));
            assertEquals(5, lm.sample(new int[] {1, 2}, 5, 1.0, new java.util.SplittableRandom(1)).length);
        }
    }

    @Test
    void badWindowsAreRejected() {
        Backend backend = TestData.backendOrSkip("java");
        try (LanguageModel lm = model(backend, DType.FLOAT32, false, 1)) {
            assertThrows(IllegalArgumentException.class, () -> lm.trainWindow(new int[5], new int[6], T, B));
            assertThrows(IllegalArgumentException.class, () -> lm.trainWindow(new int[] {0, 1, 2, 3, 4, 7}, TARGETS, T, B));
            assertThrows(IllegalArgumentException.class, () -> lm.trainWindow(INPUTS, new int[] {0, 1, 2, 3, 4, -2}, T, B));
            assertThrows(IllegalArgumentException.class, () -> lm.trainWindow(new int[0], new int[0], 0, B));
        }
        assertThrows(IllegalArgumentException.class, () -> new LanguageModel(backend, DType.FLOAT32, V, 5,
                Lrn.builder().backend(backend).inputSize(4).hiddenSize(3).build(), 1));
    }

    @Test
    void parametersAreListedOnce() {
        try (LanguageModel lm = model(TestData.backendOrSkip("java"), DType.FLOAT32, true, 1)) {
            List<Parameter> ps = lm.parameters();
            assertEquals(ps.size(), ps.stream().map(Parameter::name).distinct().count());
        }
    }
}

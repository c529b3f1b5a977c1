package org.lrn4j.lightrnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.lrn4j.TestData;
import org.lrn4j.backend.Backend;
import org.lrn4j.backend.ReferenceBackend;
import org.lrn4j.nn.Lrn;
import org.lrn4j.nn.Parameter;
import org.lrn4j.nn.Recurrent;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;
import org.lrn4j.train.Adam;
import org.lrn4j.train.ModelSpec;
import org.lrn4j.train.Optimizer;

/**
 * The LightRNN model: gradients of the two-step loss against finite differences in double (a window from
 * a fresh state, which reads the first word's row, and a window continuing a carried state; with and
 * without dropout; LRN and a cell with a two-part state), every backend against the double reference, the
 * full next-word distribution (sums to one over the words, matches the window loss), the allocation cost
 * of the current table against the window loss, learning, and bad input.
 */
class LightLanguageModelTest {
    private static final int V = 7;
    private static final int T = 3;
    private static final int B = 2;
    private static final int[] INPUTS = {1, 4, 2, 5, 3, 6};
    private static final int[] TARGETS = {4, 2, -1, 3, 6, 0};
    private static final int[] INPUTS2 = {2, 0, 3, 6, 5, 1};
    private static final int[] TARGETS2 = {3, 6, 5, 1, 0, 4};

    /** V words in a 3x3 table (two empty cells for V = 7). */
    private static LightLanguageModel model(Backend backend, DType dtype, String cell, int words, long seed) {
        WordTable table = WordTable.random(words, 3, 3, seed);
        Recurrent rnn = cell.equals("lrn")
                ? Lrn.builder().backend(backend).dtype(dtype).inputSize(4).hiddenSize(3).layers(2).layerNorm(true)
                        .initScale(0.5).seed(seed).build()
                : new ModelSpec("lm", cell, words, 4, 3, 2, false, false, "tanh", 0, seed).buildRecurrent(backend, dtype);
        return new LightLanguageModel(backend, dtype, table, 4, rnn, seed);
    }

    private static Map<Parameter, double[]> gradients(LightLanguageModel lm, boolean carried, long seed) {
        for (Parameter p : lm.parameters()) {
            p.zeroGrad();
        }
        prepare(lm, carried);
        lm.trainWindow(INPUTS2, TARGETS2, T, B, seed);
        Map<Parameter, double[]> grads = new HashMap<>();
        for (Parameter p : lm.parameters()) {
            grads.put(p, p.grad().toDoubleArray());
        }
        return grads;
    }

    /**
     * A fresh state, or the state carried from a first window, computed once with the initial parameters
     * and restored as a constant (the gradient stops at the window boundary, so finite differences must not
     * see the carried state move with the parameters).
     */
    private static void prepare(LightLanguageModel lm, boolean carried) {
        lm.resetState();
        if (carried) {
            double[] saved = CARRIED.computeIfAbsent(lm, m -> {
                m.evaluateWindow(INPUTS, TARGETS, T, B);
                return m.carriedState().toDoubleArray();
            });
            long[] shape = {2, B, lm.rnn().stateSize()};
            lm.restoreState(saved, shape);
        }
    }

    private static final Map<LightLanguageModel, double[]> CARRIED = new java.util.IdentityHashMap<>();

    private static double trainingLoss(LightLanguageModel lm, boolean carried, long seed) {
        prepare(lm, carried);
        return lm.trainWindow(INPUTS2, TARGETS2, T, B, seed).mean();
    }

    @ParameterizedTest
    @CsvSource({"lrn, false, 0", "lrn, true, 0", "lrn, false, 0.3", "lrn, true, 0.3", "lstm, true, 0.3", "gru, false, 0"})
    void gradientsMatchFiniteDifferences(String cell, boolean carried, double dropout) {
        long seed = 77;
        try (LightLanguageModel lm = model(ReferenceBackend.INSTANCE, DType.FLOAT64, cell, V, 3)) {
            lm.setDropout(dropout);
            Map<Parameter, double[]> grads = gradients(lm, carried, seed);
            for (Parameter p : lm.parameters()) {
                double[] grad = grads.get(p);
                Tensor v = p.value();
                boolean nonZero = false;
                for (int i = 0; i < v.numel(); i++) {
                    double x = v.get(i);
                    double h = 1e-6;
                    v.set(i, x + h);
                    double up = trainingLoss(lm, carried, seed);
                    v.set(i, x - h);
                    double down = trainingLoss(lm, carried, seed);
                    v.set(i, x);
                    double fd = (up - down) / (2 * h);
                    assertEquals(fd, grad[i], 1e-7 + 1e-5 * Math.abs(fd), p.name() + "[" + i + "]");
                    nonZero |= grad[i] != 0;
                }
                assertTrue(nonZero, p.name() + " gets a gradient");
            }
            if (dropout > 0) {
                double a = trainingLoss(lm, carried, seed);
                assertNotEquals(a, trainingLoss(lm, carried, seed + 1), 1e-9);
                assertEquals(a, trainingLoss(lm, carried, seed), 0.0);
            }
        }
    }

    /** Each backend's float32 loss, gradients and carried state against the double reference. */
    @ParameterizedTest
    @ValueSource(strings = {"java", "native", "cuda"})
    void backendsMatchTheReference(String name) {
        Backend backend = TestData.backendOrSkip(name);
        try (LightLanguageModel ref = model(ReferenceBackend.INSTANCE, DType.FLOAT64, "lrn", V, 5);
             LightLanguageModel lm = model(backend, DType.FLOAT32, "lrn", V, 5)) {
            ref.setDropout(0.25);
            lm.setDropout(0.25);
            for (boolean carried : new boolean[] {false, true}) {
                Map<Parameter, double[]> want = gradients(ref, carried, 9);
                Map<Parameter, double[]> got = gradients(lm, carried, 9);
                for (int k = 0; k < ref.parameters().size(); k++) {
                    double[] w = want.get(ref.parameters().get(k));
                    double[] g = got.get(lm.parameters().get(k));
                    for (int i = 0; i < w.length; i++) {
                        assertEquals(w[i], g[i], 2e-5 + 1e-3 * Math.abs(w[i]),
                                name + " " + lm.parameters().get(k).name() + "[" + i + "] carried=" + carried);
                    }
                }
                double[] sw = ref.carriedState().toDoubleArray();
                double[] sg = lm.carriedState().toDoubleArray();
                assertArrayEquals(sw, sg, 1e-5, name + ": carried state");
                prepare(ref, carried);
                prepare(lm, carried);
                assertEquals(ref.evaluateWindow(INPUTS2, TARGETS2, T, B).sum(),
                        lm.evaluateWindow(INPUTS2, TARGETS2, T, B).sum(), 1e-4, name + ": evaluation loss");
            }
            ref.resetState();
            lm.resetState();
            double[][] w = ref.nextLogProbabilities(new int[] {3, 5});
            double[][] g = lm.nextLogProbabilities(new int[] {3, 5});
            w = ref.nextLogProbabilities(new int[] {1, 2});
            g = lm.nextLogProbabilities(new int[] {1, 2});
            for (int j = 0; j < 2; j++) {
                assertArrayEquals(w[j], g[j], 1e-5, name + ": next-word distribution");
            }
        }
    }

    /**
     * The full distribution over the words: renormalised it sums to one; not renormalised it sums to one
     * minus the empty cells' mass (exactly one for a full table); fed one word at a time it gives the
     * two-step loss of the window, and the exact (renormalised) perplexity is below the two-step one
     * unless the table is full, where the two are equal.
     */
    @ParameterizedTest
    @ValueSource(ints = {7, 9})
    void fullDistributionMatchesTheWindowLoss(int words) {
        try (LightLanguageModel lm = model(ReferenceBackend.INSTANCE, DType.FLOAT64, "lrn", words, 4)) {
            int[] stream = {0, 3, 1, 4, 4, 2, 6, 5, 0, 1, 3, 2};
            int n = stream.length - 1;
            int[] in = java.util.Arrays.copyOf(stream, n);
            int[] out = java.util.Arrays.copyOfRange(stream, 1, n + 1);
            lm.resetState();
            double window = lm.evaluateWindow(java.util.Arrays.copyOf(in, 5), java.util.Arrays.copyOf(out, 5), 5, 1).sum()
                    + lm.evaluateWindow(java.util.Arrays.copyOfRange(in, 5, n), java.util.Arrays.copyOfRange(out, 5, n),
                    n - 5, 1).sum();
            double[] exact = lm.exactLoss(stream, 1);
            assertEquals(n, exact[2]);
            assertEquals(window, exact[1], 1e-9, "the two-step loss, word by word and windowed");
            if (words == 9) {
                assertEquals(exact[1], exact[0], 1e-9, "a full table: nothing to renormalise");
            } else {
                assertTrue(exact[0] < exact[1], "renormalising over the words raises every probability");
            }
            lm.resetState();
            for (int k = 0; k < 4; k++) {
                double[] raw = lm.nextLogProbabilities(new int[] {stream[k]}, false)[0];
                lm.resetState();
                for (int j = 0; j < k; j++) {
                    lm.nextLogProbabilities(new int[] {stream[j]}, false);
                }
                double[] norm = lm.nextLogProbabilities(new int[] {stream[k]}, true)[0];
                double sumRaw = 0;
                double sumNorm = 0;
                for (int w = 0; w < words; w++) {
                    sumRaw += Math.exp(raw[w]);
                    sumNorm += Math.exp(norm[w]);
                    assertEquals(raw[w] - Math.log(sumRaw(raw)), norm[w], 1e-12);
                }
                assertEquals(1.0, sumNorm, 1e-12);
                if (words == 9) {
                    assertEquals(1.0, sumRaw, 1e-12);
                } else {
                    assertTrue(sumRaw < 1 - 1e-6, "the empty cells take some mass: " + sumRaw);
                }
                lm.resetState();
                for (int j = 0; j <= k; j++) {
                    lm.nextLogProbabilities(new int[] {stream[j]}, false);
                }
            }
        }
    }

    private static double sumRaw(double[] logp) {
        double s = 0;
        for (double v : logp) {
            s += Math.exp(v);
        }
        return s;
    }

    /** The allocation cost of the words' current cells is the window's two-step loss. */
    @Test
    void costOfTheCurrentTableIsTheLoss() {
        try (LightLanguageModel lm = model(ReferenceBackend.INSTANCE, DType.FLOAT64, "lrn", V, 6)) {
            float[] rowCost = new float[V * 3];
            float[] colCost = new float[V * 3];
            lm.resetState();
            double loss = lm.accumulateCosts(INPUTS, TARGETS, T, B, rowCost, colCost).sum()
                    + lm.accumulateCosts(INPUTS2, TARGETS2, T, B, rowCost, colCost).sum();
            AllocationCost cost = new AllocationCost(V, 3, 3, rowCost, colCost);
            assertEquals(loss, cost.total(lm.table().cellsOfWords()), 1e-4);
            for (int k = 0; k < rowCost.length; k++) {
                assertTrue(rowCost[k] >= 0 && colCost[k] >= 0, "costs are sums of -log p");
            }
            // moving the words keeps the vectors: the loss changes, the parameters do not
            double[] before = lm.parameters().get(0).value().toDoubleArray();
            lm.setTable(WordTable.random(V, 3, 3, 99));
            assertArrayEquals(before, lm.parameters().get(0).value().toDoubleArray());
            lm.resetState();
            assertNotEquals(loss, lm.evaluateWindow(INPUTS, TARGETS, T, B).sum()
                    + lm.evaluateWindow(INPUTS2, TARGETS2, T, B).sum(), 1e-9);
        }
    }

    /** A repeating stream is learnt on every backend, and the same seed gives the same run. */
    @ParameterizedTest
    @ValueSource(strings = {"java", "native", "cuda"})
    void learnsADeterministicSequence(String name) {
        Backend backend = TestData.backendOrSkip(name);
        double[] first = run(backend);
        assertTrue(first[1] < 0.25 * first[0], name + ": loss " + first[0] + " -> " + first[1]);
        assertArrayEquals(first, run(backend), name + ": the same seed gives the same run");
    }

    private static double[] run(Backend backend) {
        int steps = 5;
        int batch = 3;
        try (LightLanguageModel lm = model(backend, DType.FLOAT32, "lrn", V, 11);
             Optimizer opt = new Adam(backend, lm.parameters(), 0.03)) {
            double firstLoss = Double.NaN;
            double lastLoss = Double.NaN;
            int position = 0;
            for (int u = 0; u < 80; u++) {
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
                double loss = lm.trainWindow(in, out, steps, batch, u).mean();
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

    @Test
    void parametersAreFewerThanASoftmaxModel() {
        Backend backend = TestData.backendOrSkip("java");
        int words = 10_000;
        WordTable table = WordTable.random(words, 100, 100, 1);
        Recurrent rnn = Lrn.builder().backend(backend).dtype(DType.FLOAT32).inputSize(8).hiddenSize(8).seed(1).build();
        try (LightLanguageModel lm = new LightLanguageModel(backend, DType.FLOAT32, table, 8, rnn, 1)) {
            // input (R + C)·d, output (R + C)·(H + 1)
            assertEquals(200L * 8 + 200L * 9, lm.embeddingAndOutputParameters());
        }
    }

    @Test
    void badInputIsRefused() {
        try (LightLanguageModel lm = model(ReferenceBackend.INSTANCE, DType.FLOAT64, "lrn", V, 1)) {
            assertThrows(IllegalArgumentException.class, () -> lm.evaluateWindow(new int[] {7, 1}, new int[] {1, 2}, 2, 1));
            assertThrows(IllegalArgumentException.class, () -> lm.evaluateWindow(new int[] {0, 1}, new int[] {1, -2}, 2, 1));
            assertThrows(IllegalArgumentException.class, () -> lm.evaluateWindow(new int[] {0, 1}, new int[] {1}, 2, 1));
            assertThrows(IllegalArgumentException.class, () -> lm.nextLogProbabilities(new int[] {-1}));
            assertThrows(IllegalArgumentException.class, () -> lm.setTable(WordTable.random(V, 4, 2, 1)));
            assertThrows(IllegalArgumentException.class, () -> lm.accumulateCosts(INPUTS, TARGETS, T, B, new float[3],
                    new float[V * 3]));
            assertThrows(IllegalArgumentException.class, () -> lm.exactLoss(new int[] {1, 2, 3}, 2));
        }
    }
}

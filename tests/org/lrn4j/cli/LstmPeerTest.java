package org.lrn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The LSTM peers of {@code bench cpu} compute a real LSTM: their outputs (and PyTorch's gradients) against
 * {@link LstmReference} on small, odd sizes. The peers are built only by the Maven profile {@code peers};
 * elsewhere these tests skip and say how to fetch them.
 */
class LstmPeerTest {
    private static final int STEPS = 5;
    private static final int BATCH = 3;
    private static final int INPUT = 7;
    private static final int HIDDEN = 6;
    private static final double TOLERANCE = 1e-5;

    private final LstmWeights weights = LstmWeights.random(41, INPUT, HIDDEN);
    private final SplittableRandom rng = new SplittableRandom(43);

    @Test
    void onnxRuntimeLstmMatchesTheReference() {
        float[] x = LstmWeights.uniform(rng, STEPS * BATCH * INPUT, 1);
        try (LstmPeer peer = peerOrSkip(LstmPeer.ONNX_RUNTIME);
             LstmPeer.Case forward = peer.forwardCase(weights, x, STEPS, BATCH)) {
            forward.run();
            assertClose(LstmReference.forward(weights, x, STEPS, BATCH, null, null).y(), forward.output(), TOLERANCE);
        }
    }

    /** Four steps fed one at a time, the state carried from each call to the next, equal four steps at once. */
    @Test
    void onnxRuntimeStepCarriesTheState() {
        int steps = 4;
        float[] x = LstmWeights.uniform(rng, BATCH * INPUT, 1);
        float[] h0 = LstmWeights.uniform(rng, BATCH * HIDDEN, 1);
        float[] c0 = LstmWeights.uniform(rng, BATCH * HIDDEN, 1);
        float[] sequence = new float[steps * x.length];
        for (int s = 0; s < steps; s++) {
            System.arraycopy(x, 0, sequence, s * x.length, x.length);
        }
        try (LstmPeer peer = peerOrSkip(LstmPeer.ONNX_RUNTIME);
             LstmPeer.Case step = peer.streamingCase(weights, x, BATCH, h0, c0)) {
            for (int s = 0; s < steps; s++) {
                step.run();
            }
            assertClose(LstmReference.forward(weights, sequence, steps, BATCH, h0, c0).h(), step.output(), TOLERANCE);
        }
    }

    /** PyTorch through DJL: the forward pass, then one backward pass's input and weight gradients. */
    @Test
    void djlPyTorchLstmForwardAndGradients() {
        float[] x = LstmWeights.uniform(rng, STEPS * BATCH * INPUT, 1);
        float[] dy = LstmWeights.uniform(rng, STEPS * BATCH * HIDDEN, 1);
        try (LstmPeer peer = peerOrSkip(LstmPeer.DJL_PYTORCH);
             LstmPeer.Case forward = peer.forwardCase(weights, x, STEPS, BATCH);
             LstmPeer.Case training = peer.trainingCase(weights, x, dy, STEPS, BATCH)) {
            forward.run();
            assertClose(LstmReference.forward(weights, x, STEPS, BATCH, null, null).y(), forward.output(), TOLERANCE);
            training.run();
            LstmReference.Gradients want = LstmReference.backward(weights, x, STEPS, BATCH, null, null, dy);
            assertClose(want.dx(), training.output(), TOLERANCE);
            assertClose(want.dw(), training.weightGradient(), TOLERANCE);
        }
    }

    @Test
    void anAbsentPeerSaysHowToFetchIt() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> LstmPeer.load("org.lrn4j.cli.NoSuchLstm", 1));
        assertTrue(e.getMessage().contains(LstmPeer.FETCH), e.getMessage());
    }

    private static LstmPeer peerOrSkip(String className) {
        try {
            return LstmPeer.load(className, 2);
        } catch (IllegalStateException e) {
            Assumptions.abort(className + " not available: " + e.getMessage());
            throw e;
        }
    }

    /** |actual − expected| ≤ tol·(1 + |expected|) everywhere. */
    static void assertClose(double[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length, "length");
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(actual[i] - expected[i]);
            if (!(d <= tol * (1 + Math.abs(expected[i])))) {
                throw new AssertionError("element " + i + ": expected " + expected[i] + ", got " + actual[i]);
            }
        }
    }
}

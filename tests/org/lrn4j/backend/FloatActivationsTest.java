package org.lrn4j.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The float approximations of the scan stay within 1e-6 (absolute) of the double-precision functions. */
class FloatActivationsTest {
    private static final double MAX_ERROR = 1e-6;

    @Test
    void withinOneMillionthEverywhere() {
        double worstTanh = 0;
        double worstSigmoid = 0;
        // A grid of step 1e-5 over [-40, 40] (8 million points) covers the curved range and the flat tails;
        // the values below cover zero, tiny and huge inputs.
        for (int i = -4_000_000; i <= 4_000_000; i++) {
            float x = i * 1e-5f;
            worstTanh = Math.max(worstTanh, Math.abs(FloatActivations.tanh(x) - Math.tanh(x)));
            worstSigmoid = Math.max(worstSigmoid, Math.abs(FloatActivations.sigmoid(x) - sigmoid(x)));
        }
        for (float x : new float[] {0f, -0f, Float.MIN_VALUE, 1e-30f, -1e-30f, 1e-7f, 8.99f, 9f, 9.01f, 50f,
                                    -50f, 1e30f, -1e30f, Float.MAX_VALUE, -Float.MAX_VALUE,
                                    Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            worstTanh = Math.max(worstTanh, Math.abs(FloatActivations.tanh(x) - Math.tanh(x)));
            worstSigmoid = Math.max(worstSigmoid, Math.abs(FloatActivations.sigmoid(x) - sigmoid(x)));
        }
        assertTrue(worstTanh <= MAX_ERROR, "tanh error " + worstTanh);
        assertTrue(worstSigmoid <= MAX_ERROR, "sigmoid error " + worstSigmoid);
    }

    @Test
    void nanStaysNan() {
        assertTrue(Float.isNaN(FloatActivations.tanh(Float.NaN)));
        assertTrue(Float.isNaN(FloatActivations.sigmoid(Float.NaN)));
        assertEquals(0f, FloatActivations.tanh(0f));
    }

    private static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }
}

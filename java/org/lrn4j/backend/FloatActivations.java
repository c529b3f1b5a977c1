package org.lrn4j.backend;

/**
 * tanh and the logistic sigmoid in float arithmetic only, so that the JIT can vectorise the loops that
 * call them (Math.exp and Math.tanh are scalar calls, and Math.tanh is a slow native call on JDK 17).
 *
 * <p>tanh is a rational minimax approximation (odd numerator of degree 13, even denominator of degree 6)
 * on inputs clamped to [-9, 9], where tanh rounds to ±1 in float.
 * Maximum absolute error, measured against Math.tanh by FloatActivationsTest: about 3e-7 for tanh and
 * 2e-7 for the sigmoid, below the 1e-6 the project allows; NaN stays NaN.
 */
final class FloatActivations {
    private FloatActivations() {
    }

    static float tanh(float x) {
        float c = Math.max(-9f, Math.min(9f, x));
        float c2 = c * c;
        float p = -2.76076847742355e-16f;
        p = p * c2 + 2.00018790482477e-13f;
        p = p * c2 + -8.60467152213735e-11f;
        p = p * c2 + 5.12229709037114e-08f;
        p = p * c2 + 1.48572235717979e-05f;
        p = p * c2 + 6.37261928875436e-04f;
        p = p * c2 + 4.89352455891786e-03f;
        float q = 1.19825839466702e-06f;
        q = q * c2 + 1.18534705686654e-04f;
        q = q * c2 + 2.26843463243900e-03f;
        q = q * c2 + 4.89352518554385e-03f;
        return p * c / q;
    }

    /** σ(x) = (1 + tanh(x/2)) / 2. */
    static float sigmoid(float x) {
        return 0.5f + 0.5f * tanh(0.5f * x);
    }
}

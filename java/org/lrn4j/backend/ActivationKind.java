package org.lrn4j.backend;

/**
 * The elementwise function f of {@link Backend#activationForward} ({@code y = f(x)}), e.g. the two
 * nonlinearities of the Legendre Memory Unit or a classifier head's ReLU. Codes match LRN4J_FN_* of lrn4j.h.
 * (The LRN's own state function is {@link Activation}, with codes of its own.)
 */
public enum ActivationKind {
    IDENTITY(0),
    TANH(1),
    /** {@code x < 0 ? 0 : x}: NaN stays NaN. */
    RELU(2),
    SIGMOID(3);

    private final int code;

    ActivationKind(int code) {
        this.code = code;
    }

    /** The LRN4J_FN_* value passed to the kernels. */
    public int code() {
        return code;
    }
}

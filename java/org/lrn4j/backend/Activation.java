package org.lrn4j.backend;

/** The function g of the LRN state update h = g(i*v + f*h_prev). Codes match LRN4J_ACT_* of lrn4j.h. */
public enum Activation {
    TANH(0),
    IDENTITY(1);

    private final int code;

    Activation(int code) {
        this.code = code;
    }

    /** The LRN4J_ACT_* value passed to the kernels. */
    public int code() {
        return code;
    }
}

package org.lrn4j.nn;

/**
 * Weight initialisation of the recurrent layers; biases start at zero (the LSTM's forget-gate biases at one)
 * and layer-norm gains at one.
 */
public enum Init {
    /** Uniform in [-scale, scale] (scale 0.08 by default), as in the reference implementation. */
    UNIFORM,
    /** Glorot/Xavier uniform, bound sqrt(6 / (fan_in + fan_out)) with fan_out = hidden size per gate. */
    XAVIER
}

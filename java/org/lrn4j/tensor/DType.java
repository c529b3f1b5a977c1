package org.lrn4j.tensor;

/** Element types of a tensor. Kernels compute in FLOAT32; FLOAT64 serves the reference backend and gradient checks. */
public enum DType {
    FLOAT32(4),
    FLOAT64(8),
    INT32(4);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    public boolean isFloating() {
        return this != INT32;
    }
}

package org.lrn4j.tensor;

/** Where a tensor's elements live. */
public enum Device {
    /** Off-heap, 64-byte aligned host memory that native kernels read in place. */
    HOST,
    /** Memory of a CUDA device, touched only by CUDA kernels and explicit copies. */
    CUDA
}

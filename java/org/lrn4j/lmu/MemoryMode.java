package org.lrn4j.lmu;

/**
 * How {@link ParallelLmu} computes the memory {@code m_t = Σ_{j≤t} Ā^{t−j} B̄ u_j} of all steps at once.
 * All three give the same memory (to rounding) and have exact backward passes.
 */
public enum MemoryMode {
    /** Chosen per call by the cost model of {@link ParallelLmu#chooseMode}. */
    AUTO,
    /**
     * Convolution by real FFTs of length 2T on the host (JTransforms, double precision): one FFT per channel,
     * one inverse FFT per (channel, memory dimension). On a device backend the data goes through host memory,
     * so {@link #AUTO} never picks it there.
     */
    FFT,
    /**
     * Blocked causal convolution on the backend's GEMM, blocks of L steps: the part of the memory that comes
     * from inputs inside a block is one GEMM with a [L × L·d] Toeplitz matrix of the impulse response, the part
     * carried in from before it one GEMM with the powers Ā¹..Ā^L. Runs on every backend.
     */
    BLOCKED,
    /**
     * Only the final step's memory, {@code m_T = Σ_j H_{T−1−j} u_j}, one GEMM; only for
     * {@link ParallelLmu#forwardFinal}.
     */
    LAST_STEP
}

package org.lrn4j.lmu;

import java.util.List;

import org.lrn4j.nn.Parameter;
import org.lrn4j.tensor.Tensor;

/**
 * A {@link ParallelLmu} as a {@link SequenceCore}: its output at every step ({@link ParallelLmu#forward}) or at
 * the last step only ({@link ParallelLmu#forwardFinal}, the memory in one GEMM in LAST_STEP mode). The result and
 * the gradients of one call are recycled by the next, the layer's steady state.
 */
final class ParallelLmuCore implements SequenceCore {
    private final ParallelLmu lmu;
    private final boolean finalOnly;
    private ParallelLmu.Result result;
    private ParallelLmu.Gradients gradients;

    ParallelLmuCore(ParallelLmu lmu, boolean finalOnly) {
        this.lmu = lmu;
        this.finalOnly = finalOnly;
    }

    @Override
    public List<Parameter> parameters() {
        return lmu.parameters();
    }

    @Override
    public int outputSize() {
        return lmu.hiddenSize();
    }

    @Override
    public Tensor forward(Tensor x, int steps, int batch) {
        result = finalOnly ? lmu.forwardFinal(x, result) : lmu.forward(x, result);
        return result.output();
    }

    @Override
    public void backward(Tensor dFeatures) {
        gradients = lmu.backward(result, dFeatures, gradients);
    }

    @Override
    public void release() {
        // kept for recycling by the next call; close() frees them
    }

    @Override
    public void close() {
        if (gradients != null) {
            gradients.close();
        }
        if (result != null) {
            result.close();
        }
        lmu.close();
    }
}

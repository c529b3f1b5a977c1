package org.lrn4j.lmu;

import java.util.List;

import org.lrn4j.backend.Backend;
import org.lrn4j.nn.Parameter;
import org.lrn4j.tensor.Tensor;

/**
 * The original {@link LmuCell} as a {@link SequenceCore} read after the last step: its final hidden state
 * h_T [B, H], copied out of the output (a one-row column sum, a plain copy on every backend), and the
 * backward pass through time from the gradient of h_T.
 */
final class LmuCellCore implements SequenceCore {
    private final LmuCell cell;
    private final Backend backend;
    private LmuCell.Result result;
    private Tensor last;

    LmuCellCore(LmuCell cell) {
        this.cell = cell;
        this.backend = cell.backend();
    }

    @Override
    public List<Parameter> parameters() {
        return cell.parameters();
    }

    @Override
    public int outputSize() {
        return cell.hiddenSize();
    }

    @Override
    public Tensor forward(Tensor x, int steps, int batch) {
        if (result != null && (result.steps() != steps || result.batch() != batch)) {
            result.close();
            result = null;
        }
        result = cell.forward(x, null, null, result);
        int width = batch * cell.hiddenSize();
        if (last == null || last.numel() != width) {
            if (last != null) {
                last.close();
            }
            last = backend.allocate(cell.dtype(), batch, cell.hiddenSize());
        }
        backend.colSum(1, width, result.output(), result.finalHiddenOffset(), width, false, last);
        return last;
    }

    @Override
    public void backward(Tensor dFeatures) {
        cell.backward(result, null, dFeatures, null).close();
    }

    @Override
    public void release() {
        // the result is kept for reuse by the next call of the same shape; close() frees it
    }

    @Override
    public void close() {
        if (result != null) {
            result.close();
        }
        if (last != null) {
            last.close();
        }
        cell.close();
    }
}

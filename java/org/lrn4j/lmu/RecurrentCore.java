package org.lrn4j.lmu;

import java.util.List;

import org.lrn4j.nn.Parameter;
import org.lrn4j.nn.Recurrent;
import org.lrn4j.tensor.Tensor;

/** A {@link Recurrent} layer (one direction) as a {@link SequenceCore}: features at every step. */
final class RecurrentCore implements SequenceCore {
    private final Recurrent rnn;
    private Recurrent.Result result;

    RecurrentCore(Recurrent rnn) {
        if (rnn.directions() != 1) {
            throw new IllegalArgumentException("a predictor reads one direction: the future is what it predicts");
        }
        this.rnn = rnn;
    }

    @Override
    public List<Parameter> parameters() {
        return rnn.parameters();
    }

    @Override
    public int outputSize() {
        return rnn.outputSize();
    }

    @Override
    public Tensor forward(Tensor x, int steps, int batch) {
        if (result != null && (result.steps() != steps || result.batch() != batch)) {
            result.close();
            result = null;
        }
        result = rnn.forward(x, null, null, result);
        return result.output();
    }

    @Override
    public void backward(Tensor dFeatures) {
        rnn.backward(result, dFeatures, null).close();
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
        rnn.close();
    }
}

package org.lrn4j.nn;

import java.util.List;

import org.lrn4j.backend.Backend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * A stacked, optionally bidirectional recurrent layer with explicit forward and backward: the interface
 * that {@link Lrn} and the cells it is compared with share, so that a model can swap one for another.
 *
 * <p>Shapes: input {@code [T, B, inputSize]} (time-major); output {@code [T, B, directions·hiddenSize]};
 * initial and final state {@code [layers·directions, B, stateSize]}, index {@code layer·directions +
 * direction}, where stateSize is hiddenSize for cells whose state is one vector (h for LRN, GRU and ATR,
 * the cell state c for the SRU) and 2·hiddenSize for the LSTM (h, then c). Variable lengths: sequence b has {@code lengths[b]} tokens in [1, T]; past its length
 * a sequence carries its state (forward direction) and the reverse direction starts at its own last
 * token. A unidirectional layer fed a sequence in chunks, each chunk's initial state the previous
 * chunk's final state, gives the result of feeding it whole.
 *
 * <p>Results and gradients own their tensors; passing an open one back as {@code reuse} (same T and B,
 * same layer) overwrites it in place, the steady state of a training loop.
 */
public interface Recurrent extends AutoCloseable {

    /** The output and final state of a forward call, plus what the backward pass needs. */
    interface Result extends AutoCloseable {
        /** [T, B, directions·hiddenSize]. */
        Tensor output();

        /** [layers·directions, B, stateSize]: the state after each sequence's last processed token. */
        Tensor finalState();

        int steps();

        int batch();

        @Override
        void close();
    }

    /** Gradients w.r.t. the inputs of a forward call. */
    interface Gradients extends AutoCloseable {
        /** [T, B, inputSize]. */
        Tensor input();

        /** [layers·directions, B, stateSize]. */
        Tensor initialState();

        @Override
        void close();
    }

    Backend backend();

    DType dtype();

    int inputSize();

    int hiddenSize();

    int layers();

    int directions();

    /** directions·hiddenSize. */
    int outputSize();

    /** Width of one (layer, direction, sequence) state: hiddenSize, or 2·hiddenSize for the LSTM. */
    int stateSize();

    /** The trainable parameters; gradients accumulate in {@link Parameter#grad()}. */
    List<Parameter> parameters();

    void zeroGrad();

    /** Runs the layer over a batch of sequences into a new result: {@code forward(x, lengths, h0, null)}. */
    default Result forward(Tensor x, int[] lengths, Tensor h0) {
        return forward(x, lengths, h0, null);
    }

    /**
     * Runs the layer over a batch of sequences.
     *
     * @param x       input [T, B, inputSize] on this layer's backend, of its dtype
     * @param lengths tokens of each sequence, B values in [1, T], or null when all have T
     * @param h0      initial state [layers·directions, B, stateSize], or null for zeros
     * @param reuse   an open result of this layer with the same T and B to overwrite, or null
     */
    Result forward(Tensor x, int[] lengths, Tensor h0, Result reuse);

    /** Backward pass into new gradients: {@code backward(result, dOutput, dFinalState, null)}. */
    default Gradients backward(Result result, Tensor dOutput, Tensor dFinalState) {
        return backward(result, dOutput, dFinalState, null);
    }

    /**
     * Backward pass of a forward call: adds the parameter gradients into {@link Parameter#grad()} and
     * returns the gradients w.r.t. the input and the initial state.
     *
     * @param result      the forward result (still open, with its input and initial state)
     * @param dOutput     gradient w.r.t. the output, or null for zero
     * @param dFinalState gradient w.r.t. the final state, or null for zero (not both null)
     * @param reuse       open gradients of this layer with the same T and B to overwrite, or null
     */
    Gradients backward(Result result, Tensor dOutput, Tensor dFinalState, Gradients reuse);

    @Override
    void close();
}

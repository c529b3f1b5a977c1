package org.lrn4j.nn;

import org.lrn4j.backend.Activation;
import org.lrn4j.backend.Backend;
import org.lrn4j.tensor.DType;

/** The comparison cells under test, each built from the same settings. */
enum CellKind {
    LSTM,
    GRU,
    ATR,
    SRU,
    SRU_TANH;

    CellLayer build(Backend backend, DType dtype, int inputSize, int hiddenSize, int layers, boolean bidirectional,
                    double initScale, long seed) {
        CellLayer.Builder<?, ?> b = switch (this) {
            case LSTM -> Lstm.builder();
            case GRU -> Gru.builder();
            case ATR -> Atr.builder();
            case SRU -> Sru.builder();
            case SRU_TANH -> Sru.builder().activation(Activation.TANH);
        };
        return b.backend(backend).dtype(dtype).inputSize(inputSize).hiddenSize(hiddenSize).layers(layers)
                .bidirectional(bidirectional).initScale(initScale).seed(seed).build();
    }

    CellLayer build(Backend backend, int inputSize, int hiddenSize, int layers, boolean bidirectional, long seed) {
        return build(backend, DType.FLOAT32, inputSize, hiddenSize, layers, bidirectional, 0.3, seed);
    }
}

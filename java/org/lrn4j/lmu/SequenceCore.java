package org.lrn4j.lmu;

import java.util.List;

import org.lrn4j.nn.Parameter;
import org.lrn4j.tensor.Tensor;

/**
 * The sequence-reading part of a task model, whatever it is (the parallel LMU, the original LMU cell, an LSTM),
 * seen by the heads of {@link SeriesPredictor} and {@link PixelSequenceClassifier}: it reads {@code x [T, B,
 * inputSize]} (time-major) and gives features, either at every step ({@code [T, B, outputSize]}) or after the
 * last step only ({@code [B, outputSize]}), keeping what its backward pass needs until {@link #release()}.
 */
interface SequenceCore extends AutoCloseable {
    List<Parameter> parameters();

    int outputSize();

    /** Features of x: [T, B, outputSize] or [B, outputSize] (the core decides); owned by the core. */
    Tensor forward(Tensor x, int steps, int batch);

    /** Adds the parameter gradients of the last forward call, given the gradient of its features. */
    void backward(Tensor dFeatures);

    /** Frees what the last forward call kept. */
    void release();

    @Override
    void close();
}

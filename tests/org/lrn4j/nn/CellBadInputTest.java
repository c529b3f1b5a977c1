package org.lrn4j.nn;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lrn4j.TestData;
import org.lrn4j.backend.Activation;
import org.lrn4j.backend.Backend;
import org.lrn4j.backend.Cell;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Device;
import org.lrn4j.tensor.Tensor;

/**
 * Bad input to the comparison cells and to their kernels: an IllegalArgumentException or
 * IllegalStateException with a message, thrown before any native call, and the layer still works afterwards.
 */
class CellBadInputTest {
    private static void rejects(Executable call, String expectedInMessage) {
        RuntimeException e = assertThrows(RuntimeException.class, call);
        assertTrue(e instanceof IllegalArgumentException || e instanceof IllegalStateException,
                "expected IllegalArgumentException or IllegalStateException, got " + e);
        assertTrue(e.getMessage() != null && e.getMessage().contains(expectedInMessage),
                "message '" + e.getMessage() + "' should mention '" + expectedInMessage + "'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"java", "native", "cuda"})
    void layersRejectBadInput(String name) {
        Backend backend = TestData.backendOrSkip(name);
        for (CellKind kind : CellKind.values()) {
            try (CellLayer layer = kind.build(backend, 4, 3, 2, false, 1);
                 Tensor x = backend.allocate(DType.FLOAT32, 5, 2, 4);
                 Tensor wrongWidth = backend.allocate(DType.FLOAT32, 5, 2, 3);
                 Tensor rank2 = backend.allocate(DType.FLOAT32, 10, 4);
                 Tensor doubles = Tensor.host(DType.FLOAT64, 5, 2, 4);
                 Tensor h0WrongBatch = backend.allocate(DType.FLOAT32, 2, 3, layer.stateSize());
                 Tensor h0WrongWidth = backend.allocate(DType.FLOAT32, 2, 2, layer.stateSize() + 1);
                 Tensor closed = backend.allocate(DType.FLOAT32, 5, 2, 4)) {
                closed.close();
                rejects(() -> layer.forward(null, null, null), "x must not be null");
                rejects(() -> layer.forward(wrongWidth, null, null), "x must have shape");
                rejects(() -> layer.forward(rank2, null, null), "x must have shape");
                if (backend.device() == Device.HOST) {
                    rejects(() -> layer.forward(doubles, null, null), "FLOAT64");
                } else {
                    rejects(() -> layer.forward(doubles, null, null), "copy it first");
                }
                rejects(() -> layer.forward(closed, null, null), "closed");
                rejects(() -> layer.forward(x, new int[] {5, 0}, null), "lengths[1] = 0");
                rejects(() -> layer.forward(x, new int[] {6, 5}, null), "lengths[0] = 6");
                rejects(() -> layer.forward(x, new int[] {5, 5, 5}, null), "batch of 2");
                rejects(() -> layer.forward(x, null, h0WrongBatch), "h0 must have shape");
                rejects(() -> layer.forward(x, null, h0WrongWidth), "h0 must have shape");
                try (Recurrent.Result r = layer.forward(x, new int[] {5, 3}, null)) {
                    rejects(() -> layer.backward(r, null, null), "backward needs");
                    rejects(() -> layer.backward(r, x, null), "dOutput must have shape");
                    rejects(() -> layer.backward(r, null, h0WrongBatch), "dFinalState must have shape");
                    rejects(() -> layer.backward(null, r.output(), null), "result must not be null");
                    try (Recurrent.Gradients g = layer.backward(r, r.output(), null)) {
                        assertFalse(g.input().isClosed());
                    }
                }
                Recurrent.Result stale = layer.forward(x, null, null);
                stale.close();
                rejects(() -> layer.backward(stale, x, null), "closed");
            }
        }
    }

    @Test
    void buildersRejectBadSettings() {
        rejects(() -> Lstm.builder().inputSize(0).hiddenSize(3).build(), "inputSize");
        rejects(() -> Gru.builder().inputSize(2).hiddenSize(0).build(), "hiddenSize");
        rejects(() -> Atr.builder().inputSize(2).hiddenSize(3).layers(0).build(), "layers");
        rejects(() -> Sru.builder().inputSize(2).hiddenSize(3).initScale(Double.NaN).build(), "initScale");
        rejects(() -> Lstm.builder().backend(TestData.backendOrSkip("native")).dtype(DType.INT32).inputSize(2)
                .hiddenSize(3).build(), "does not compute INT32");
        assertThrows(NullPointerException.class, () -> Sru.builder().activation(null));
    }

    @ParameterizedTest
    @ValueSource(strings = {"java", "native", "cuda"})
    void kernelsRejectBadViews(String name) {
        Backend b = TestData.backendOrSkip(name);
        int batch = 2;
        int hidden = 3;
        try (Tensor g4 = b.allocate(DType.FLOAT32, batch, 4 * hidden);
             Tensor g3 = b.allocate(DType.FLOAT32, batch, 3 * hidden);
             Tensor h = b.allocate(DType.FLOAT32, batch, hidden);
             Tensor c = b.allocate(DType.FLOAT32, batch, hidden);
             Tensor bh = b.allocate(DType.FLOAT32, hidden);
             Tensor u = b.allocate(DType.FLOAT32, 5 * batch, 4 * hidden);
             Tensor vb = b.allocate(DType.FLOAT32, 2 * hidden);
             Tensor dv = b.allocate(DType.FLOAT32, batch, 2 * hidden);
             Tensor hs = b.allocate(DType.FLOAT32, 5 * batch, hidden);
             Tensor cs = b.allocate(DType.FLOAT32, 5 * batch, hidden);
             Tensor lengthsHost = Tensor.ofInts(new int[] {5, 6});
             Tensor lengths = b.copyOf(lengthsHost)) {
            rejects(() -> b.cellStepForward(null, batch, hidden, 0, null, g4, 0, 4 * hidden, g4, 0, 4 * hidden, null, 0,
                    null, 0, hidden, null, 0, hidden, h, 0, hidden, c, 0, hidden, null, 0, 0), "cell must not be null");
            rejects(() -> b.cellStepForward(Cell.LSTM, batch, hidden, 0, null, g3, 0, 3 * hidden, g4, 0, 4 * hidden,
                    null, 0, null, 0, hidden, null, 0, hidden, h, 0, hidden, c, 0, hidden, null, 0, 0), "gx row stride");
            rejects(() -> b.cellStepForward(Cell.LSTM, batch, hidden, 0, null, g4, 0, 4 * hidden, g4, 0, 4 * hidden,
                    bh, 0, null, 0, hidden, null, 0, hidden, h, 0, hidden, c, 0, hidden, null, 0, 0),
                    "bh must be null for the LSTM");
            rejects(() -> b.cellStepForward(Cell.GRU, batch, hidden, 0, null, g3, 0, 3 * hidden, g3, 0, 3 * hidden, bh,
                    0, null, 0, hidden, null, 0, hidden, h, 0, hidden, c, 0, hidden, null, 0, 0), "c must be null");
            rejects(() -> b.cellStepForward(Cell.LSTM, batch, hidden, 0, null, g4, 0, 4 * hidden, g4, 0, 4 * hidden,
                    null, 0, null, 0, hidden, null, 0, hidden, h, 0, hidden, null, 0, hidden, null, 0, 0),
                    "c must not be null");
            rejects(() -> b.cellStepForward(Cell.GRU, batch, hidden, -1, null, g3, 0, 3 * hidden, g3, 0, 3 * hidden,
                    bh, 0, null, 0, hidden, null, 0, hidden, h, 0, hidden, null, 0, hidden, null, 0, 0), "step must be");
            rejects(() -> b.cellStepForward(Cell.GRU, batch, hidden, 0, null, g3, 0, 3 * hidden, g3, 0, 3 * hidden,
                    bh, 1, null, 0, hidden, null, 0, hidden, h, 0, hidden, null, 0, hidden, null, 0, 0), "bh: a 1x3 view");
            // the output h written over the input gates
            rejects(() -> b.cellStepForward(Cell.ATR, batch, hidden, 0, null, g3, 0, 3 * hidden, g3, 0, 3 * hidden,
                    null, 0, null, 0, hidden, null, 0, hidden, g3, 0, 3 * hidden, null, 0, hidden, null, 0, 0),
                    "h overlaps gx");
            rejects(() -> b.cellStepBackward(Cell.GRU, batch, hidden, 0, null, g3, 0, 3 * hidden, g3, 0, 3 * hidden,
                    null, 0, null, 0, hidden, null, 0, hidden, null, 0, hidden, null, 0, hidden, h, 0, hidden, null, 0,
                    hidden, g3, 0, 3 * hidden, null, 0, 3 * hidden), "dgh must not be null");
            rejects(() -> b.cellStepBackward(Cell.LSTM, batch, hidden, 0, null, g4, 0, 4 * hidden, g4, 0, 4 * hidden,
                    null, 0, null, 0, hidden, null, 0, hidden, null, 0, hidden, null, 0, hidden, h, 0, hidden, c, 0,
                    hidden, u, 0, 4 * hidden, null, 0, 4 * hidden), "c must not be null");
            // the whole-sequence forms: 5 steps, gates [5·batch, 4·hidden] in u and gs
            try (Tensor gs = b.allocate(DType.FLOAT32, 5 * batch, 4 * hidden);
                 Tensor rw = b.allocate(DType.FLOAT32, hidden, 4 * hidden)) {
                rejects(() -> b.cellForward(Cell.LSTM, 0, batch, hidden, null, false, u, 0, 4 * hidden, rw, 0,
                        4 * hidden, null, 0, null, 0, hidden, null, 0, hidden, gs, 0, 4 * hidden, hs, 0, hidden, cs, 0,
                        hidden, null, 0, 0), "steps must be");
                rejects(() -> b.cellForward(Cell.LSTM, 5, batch, hidden, null, false, u, 0, 4 * hidden, g3, 0,
                        4 * hidden, null, 0, null, 0, hidden, null, 0, hidden, gs, 0, 4 * hidden, hs, 0, hidden, cs, 0,
                        hidden, null, 0, 0), "u: a 3x12 view");
                rejects(() -> b.cellForward(Cell.LSTM, 5, batch, hidden, null, false, u, 0, 4 * hidden, rw, 0,
                        4 * hidden, null, 0, null, 0, hidden, null, 0, hidden, u, 0, 4 * hidden, hs, 0, hidden, cs, 0,
                        hidden, null, 0, 0), "gh overlaps gx");
                rejects(() -> b.cellForward(Cell.LSTM, 5, batch, hidden, null, false, u, 0, 4 * hidden, rw, 0,
                        4 * hidden, null, 0, null, 0, hidden, null, 0, hidden, gs, 0, 4 * hidden, hs, 0, hidden, hs, 0,
                        hidden, null, 0, 0), "c overlaps h");
                rejects(() -> b.cellBackward(Cell.LSTM, 5, batch, hidden, null, false, u, 0, 4 * hidden, gs, 0,
                        4 * hidden, rw, 0, 4 * hidden, null, 0, null, 0, hidden, null, 0, hidden, hs, 0, hidden, cs, 0,
                        hidden, null, 0, hidden, h, 0, hidden, c, 0, hidden, u, 0, 4 * hidden, gs, 0, 4 * hidden),
                        "dgh must be null for the LSTM");
                rejects(() -> b.cellBackward(Cell.ATR, 5, batch, hidden, null, false, g3, 0, hidden, g3, 0, hidden, rw,
                        0, hidden, null, 0, null, 0, hidden, null, 0, hidden, hs, 0, hidden, null, 0, hidden, null, 0,
                        hidden, h, 0, hidden, null, 0, hidden, hs, 0, hidden, gs, 0, hidden), "gx: a 10x3 view");
            }
            rejects(() -> b.sruScanForward(5, batch, hidden, 5, u, 0, 4 * hidden, null, 0, hidden, vb, 0, vb, 0, null,
                    0, null, Activation.TANH, false, hs, 0, hidden, cs, 0, hidden, null, 0), "k must be 3 or 4");
            rejects(() -> b.sruScanForward(5, batch, hidden, 3, u, 0, 4 * hidden, null, 0, hidden, vb, 0, vb, 0, null,
                    0, null, Activation.TANH, false, hs, 0, hidden, cs, 0, hidden, null, 0), "x must not be null");
            rejects(() -> b.sruScanForward(5, batch, hidden, 4, u, 0, 4 * hidden, hs, 0, hidden, vb, 0, vb, 0, null,
                    0, null, Activation.TANH, false, hs, 0, hidden, cs, 0, hidden, null, 0), "x must be null");
            rejects(() -> b.sruScanForward(5, batch, hidden, 4, u, 0, 4 * hidden, null, 0, hidden, vb, 1, vb, 0, null,
                    0, null, Activation.TANH, false, hs, 0, hidden, cs, 0, hidden, null, 0), "v: a 1x6 view");
            rejects(() -> b.sruScanForward(5, batch, hidden, 4, u, 0, 4 * hidden, null, 0, hidden, vb, 0, vb, 0, null,
                    0, null, null, false, hs, 0, hidden, cs, 0, hidden, null, 0), "act must not be null");
            rejects(() -> b.sruScanForward(5, batch, hidden, 4, u, 0, 4 * hidden, null, 0, hidden, vb, 0, vb, 0, null,
                    0, null, Activation.TANH, false, hs, 0, hidden, hs, 0, hidden, null, 0), "c overlaps h");
            if (b.device() == Device.HOST) {
                rejects(() -> b.sruScanForward(5, batch, hidden, 4, u, 0, 4 * hidden, null, 0, hidden, vb, 0, vb, 0,
                        null, 0, lengths, Activation.TANH, false, hs, 0, hidden, cs, 0, hidden, null, 0),
                        "lengths[1] = 6");
            }
            rejects(() -> b.sruScanBackward(5, batch, hidden, 4, u, 0, 4 * hidden, null, 0, hidden, vb, 0, vb, 0, null,
                    0, null, Activation.TANH, false, cs, 0, hidden, hs, 0, hidden, null, 0, u, 0, 4 * hidden, null, 0,
                    hidden, dv, 0, null, 0), "du overlaps u");
            rejects(() -> b.colSum(batch, hidden, h, 0, hidden, true, h, 0), "out overlaps a");
            rejects(() -> b.colSum(batch, hidden, h, 0, hidden, true, bh, 1), "out: a 1x3 view");
        }
    }
}

package org.lrn4j.nn;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.lrn4j.TestData;
import org.lrn4j.backend.Activation;
import org.lrn4j.backend.Backend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Device;
import org.lrn4j.tensor.Tensor;

/**
 * Bad input at the layer and at the backend: an IllegalArgumentException or IllegalStateException with a
 * message, thrown before any native call, and the layer still works afterwards.
 */
class BadInputTest {
    private static void rejects(Executable call, String expectedInMessage) {
        RuntimeException e = assertThrows(RuntimeException.class, call);
        assertTrue(e instanceof IllegalArgumentException || e instanceof IllegalStateException,
                "expected IllegalArgumentException or IllegalStateException, got " + e);
        assertTrue(e.getMessage() != null && e.getMessage().contains(expectedInMessage),
                "message '" + e.getMessage() + "' should mention '" + expectedInMessage + "'");
    }

    @ParameterizedTest(name = "{0}, output gate {1}")
    @CsvSource({"java, false", "native, false", "cuda, false", "java, true", "native, true", "cuda, true"})
    void layerRejectsBadInput(String name, boolean outputGate) {
        Backend backend = TestData.backendOrSkip(name);
        try (Lrn lrn = Lrn.builder().backend(backend).inputSize(4).hiddenSize(3).layers(2).outputGate(outputGate).build();
             Tensor x = backend.allocate(DType.FLOAT32, 5, 2, 4);
             Tensor wrongWidth = backend.allocate(DType.FLOAT32, 5, 2, 3);
             Tensor rank2 = backend.allocate(DType.FLOAT32, 10, 4);
             Tensor doubles = Tensor.host(DType.FLOAT64, 5, 2, 4);
             Tensor h0WrongBatch = backend.allocate(DType.FLOAT32, 2, 3, 3);
             Tensor closed = backend.allocate(DType.FLOAT32, 5, 2, 4)) {
            closed.close();
            rejects(() -> lrn.forward(null, null, null), "x must not be null");
            rejects(() -> lrn.forward(wrongWidth, null, null), "x must have shape");
            rejects(() -> lrn.forward(rank2, null, null), "x must have shape");
            if (backend.device() == x.device()) {
                rejects(() -> lrn.forward(doubles, null, null), "FLOAT64");
            }
            rejects(() -> lrn.forward(closed, null, null), "closed");
            rejects(() -> lrn.forward(x, new int[] {5, 0}, null), "lengths[1] = 0");
            rejects(() -> lrn.forward(x, new int[] {6, 5}, null), "lengths[0] = 6");
            rejects(() -> lrn.forward(x, new int[] {5, 5, 5}, null), "batch of 2");
            rejects(() -> lrn.forward(x, null, h0WrongBatch), "h0 must have shape");
            try (Lrn.Result r = lrn.forward(x, new int[] {5, 3}, null)) {
                rejects(() -> lrn.backward(r, null, null), "backward needs");
                rejects(() -> lrn.backward(r, x, null), "dOutput must have shape");
                rejects(() -> lrn.backward(null, r.output(), null), "result must not be null");
                try (Lrn.Gradients g = lrn.backward(r, r.output(), null)) {
                    assertFalse(g.input().isClosed());
                }
            }
            Lrn.Result stale = lrn.forward(x, null, null);
            stale.close();
            rejects(() -> lrn.backward(stale, x, null), "closed");
        }
        rejects(() -> Lrn.builder().inputSize(0).hiddenSize(3).build(), "inputSize");
        rejects(() -> Lrn.builder().inputSize(2).hiddenSize(3).layers(0).build(), "layers");
    }

    @ParameterizedTest
    @ValueSource(strings = {"java", "native", "cuda"})
    void backendRejectsBadViews(String name) {
        Backend b = TestData.backendOrSkip(name);
        try (Tensor a = b.allocate(DType.FLOAT32, 4, 5);
             Tensor w = b.allocate(DType.FLOAT32, 5, 6);
             Tensor c = b.allocate(DType.FLOAT32, 4, 6);
             Tensor g = b.allocate(DType.FLOAT32, 3, 2, 6);
             Tensor hs = b.allocate(DType.FLOAT32, 3, 2, 2);
             Tensor lengthsHost = Tensor.ofInts(new int[] {3, 4});
             Tensor lengths = b.copyOf(lengthsHost);
             Tensor ints = b.allocate(DType.INT32, 4, 6)) {
            rejects(() -> b.gemm(false, false, 4, 6, 5, a, 0, 5, w, 0, 6, null, false, c, 1, 6), "c: a 4x6 view");
            rejects(() -> b.gemm(false, false, 4, 6, 5, a, 0, 4, w, 0, 6, null, false, c, 0, 6), "row stride 4");
            rejects(() -> b.gemm(false, false, 4, 6, 6, a, 0, 5, w, 0, 6, null, false, c, 0, 6), "a row stride 5");
            rejects(() -> b.gemm(false, false, -1, 6, 5, a, 0, 5, w, 0, 6, null, false, c, 0, 6), "m must be");
            rejects(() -> b.gemm(false, false, 4, 6, 5, a, 0, 5, w, 0, 6, null, false, ints, 0, 6), "INT32");
            rejects(() -> b.gemm(false, false, 4, 4, 4, a, 0, 5, w, 0, 6, null, false, a, 1, 5), "overlaps");
            rejects(() -> b.gemm(false, false, 4, 6, 5, null, 0, 5, w, 0, 6, null, false, c, 0, 6), "a must not be null");
            if (b.device() == Device.HOST) {
                // Device lengths are checked by the layer before upload (the kernels stay in bounds anyway).
                rejects(() -> b.lrnScanForward(3, 2, 2, g, 0, 6, null, 0, lengths, Activation.TANH, false, hs, 0, 2,
                        null, 0), "lengths[1] = 4");
            }
            rejects(() -> b.lrnScanForward(3, 2, 2, g, 0, 6, null, 0, null, null, false, hs, 0, 2, null, 0), "act");
            rejects(() -> b.lrnScanForward(3, 2, 3, g, 0, 6, null, 0, null, Activation.TANH, false, hs, 0, 2, null, 0),
                    "g row stride 6");
            rejects(() -> b.lrnScanForward(3, 2, 2, g, 1, 6, null, 0, null, Activation.TANH, false, hs, 0, 2, null, 0),
                    "g: a 6x6 view");
            rejects(() -> b.lrnScanForward(0, 2, 2, g, 0, 6, null, 0, null, Activation.TANH, false, hs, 0, 2, null, 0),
                    "steps must be");
            // The oLRN scan reads four gate planes: g ([3, 2, 6]) is too narrow for H = 2, g4 fits.
            try (Tensor g4 = b.allocate(DType.FLOAT32, 3, 2, 8);
                 Tensor cs = b.allocate(DType.FLOAT32, 3, 2, 2);
                 Tensor dg = b.allocate(DType.FLOAT32, 3, 2, 8)) {
                rejects(() -> b.olrnScanForward(3, 2, 2, g, 0, 6, null, 0, null, Activation.TANH, false, hs, 0, 2,
                        cs, 0, 2, null, 0), "g row stride 6");
                rejects(() -> b.olrnScanForward(3, 2, 2, g4, 0, 8, null, 0, null, null, false, hs, 0, 2, cs, 0, 2,
                        null, 0), "act");
                rejects(() -> b.olrnScanForward(3, 2, 2, g4, 0, 8, null, 0, null, Activation.TANH, false, hs, 0, 2,
                        hs, 0, 2, null, 0), "cs overlaps hs");
                rejects(() -> b.olrnScanForward(3, 2, 1, g, 0, 6, null, 0, null, Activation.TANH, false, hs, 0, 1,
                        g, 1, 6, null, 0), "cs overlaps g");
                rejects(() -> b.olrnScanForward(3, 2, 2, g4, 0, 8, null, 0, null, Activation.TANH, false, hs, 0, 2,
                        null, 0, 2, null, 0), "cs must not be null");
                if (b.device() == Device.HOST) {
                    rejects(() -> b.olrnScanForward(3, 2, 2, g4, 0, 8, null, 0, lengths, Activation.TANH, false, hs, 0,
                            2, cs, 0, 2, null, 0), "lengths[1] = 4");
                }
                rejects(() -> b.olrnScanBackward(3, 2, 2, g4, 0, 8, null, 0, null, Activation.TANH, false, hs, 0, 2,
                        cs, 0, 2, null, 0, 2, null, 0, g4, 0, 8, null, 0), "dg overlaps g");
                rejects(() -> b.olrnScanBackward(3, 2, 2, g4, 0, 8, null, 0, null, Activation.TANH, false, hs, 0, 2,
                        cs, 0, 2, null, 0, 2, null, 0, g, 0, 6, null, 0), "dg row stride 6");
                rejects(() -> b.olrnScanBackward(3, 2, 2, g4, 0, 8, null, 0, null, Activation.TANH, false, hs, 0, 2,
                        cs, 0, 2, null, 0, 2, null, 0, dg, 0, 8, cs, 0), "dh0 overlaps cs");
                rejects(() -> b.olrnScanBackward(3, 2, 2, g4, 0, 8, null, 0, null, Activation.TANH, false, hs, 0, 2,
                        cs, 0, 2, null, 0, 2, null, 0, dg, 0, 8, dg, 4), "dh0 overlaps dg");
            }
            c.close();
            rejects(() -> b.gemm(false, false, 4, 6, 5, a, 0, 5, w, 0, 6, null, false, c, 0, 6), "closed");
        }
    }
}

package org.lrn4j.lmu;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.lrn4j.backend.Backends;
import org.lrn4j.backend.ReferenceBackend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/** Bad sizes, shapes, types, modes and states give an exception that names the problem, before any kernel. */
class ParallelLmuBadInputTest {

    private static ParallelLmu.Builder valid() {
        return ParallelLmu.builder().backend(Backends.byName("java")).inputSize(3).memoryD(2).order(4).theta(8)
                .hiddenSize(5);
    }

    private static void rejects(String fragment, Executable call) {
        Throwable e = assertThrows(RuntimeException.class, call);
        assertTrue(e instanceof IllegalArgumentException || e instanceof NullPointerException
                || e instanceof IllegalStateException, "unexpected " + e);
        assertTrue(e.getMessage() != null && e.getMessage().contains(fragment),
                "message '" + e.getMessage() + "' should mention '" + fragment + "'");
    }

    @Test
    void builderRejectsBadSizes() {
        rejects("theta", () -> valid().theta(Double.NaN).build());
        rejects("theta", () -> valid().theta(-1).build());
        rejects("theta", () -> valid().theta(Double.POSITIVE_INFINITY).build());
        rejects("order", () -> valid().order(0).build());
        rejects("memoryD", () -> valid().memoryD(0).build());
        rejects("inputSize", () -> ParallelLmu.builder().order(4).theta(8).hiddenSize(5).build());
        rejects("hiddenSize", () -> valid().hiddenSize(-2).build());
        rejects("discretisation", () -> valid().discretisation("bilinear"));
        rejects("blockLength", () -> valid().blockLength(0));
        rejects("dtype", () -> valid().dtype(DType.INT32).build());
        rejects("mode", () -> valid().mode(null));
    }

    @Test
    void forwardRejectsBadInput() {
        try (ParallelLmu lmu = valid().build(); Tensor wide = Tensor.host(DType.FLOAT32, 4, 2, 7);
             Tensor flat = Tensor.host(DType.FLOAT32, 8, 3); Tensor doubles = Tensor.host(DType.FLOAT64, 4, 2, 3);
             Tensor empty = Tensor.host(DType.FLOAT32, 0, 2, 3)) {
            rejects("x", () -> lmu.forward(null));
            rejects("[T, B, 3]", () -> lmu.forward(wide));
            rejects("[T, B, 3]", () -> lmu.forwardFinal(flat));
            rejects("FLOAT32", () -> lmu.forward(doubles));
            rejects("at least one step", () -> lmu.forward(empty));
            rejects("steps", () -> lmu.chooseMode(0, 3));
        }
    }

    @Test
    void lastStepModeOnlyComputesTheFinalStep() {
        try (ParallelLmu lmu = valid().mode(MemoryMode.LAST_STEP).build(); Tensor x = Tensor.host(DType.FLOAT32, 4, 2, 3)) {
            rejects("forwardFinal", () -> lmu.forward(x));
            rejects("forwardFinal", () -> lmu.chooseMode(4, 2));
            try (ParallelLmu.Result r = lmu.forwardFinal(x)) {
                assertTrue(r.finalOnly() && r.mode() == MemoryMode.LAST_STEP);
            }
        }
    }

    @Test
    void backwardAndStepRejectBadArguments() {
        try (ParallelLmu lmu = valid().build(); ParallelLmu other = valid().build();
             Tensor x = Tensor.host(DType.FLOAT32, 4, 2, 3); Tensor dyWrong = Tensor.host(DType.FLOAT32, 4, 2, 4);
             Tensor dy = Tensor.host(DType.FLOAT32, 4, 2, 5); Tensor xt = Tensor.host(DType.FLOAT32, 2, 3);
             Tensor out = Tensor.host(DType.FLOAT32, 2, 5); Tensor outWrong = Tensor.host(DType.FLOAT32, 3, 5)) {
            ParallelLmu.Result r = lmu.forward(x);
            rejects("dOutput", () -> lmu.backward(r, null));
            rejects("dOutput", () -> lmu.backward(r, dyWrong));
            rejects("another layer", () -> other.backward(r, dy));
            rejects("result", () -> lmu.backward(null, dy));
            r.close();
            rejects("closed", () -> lmu.backward(r, dy));
            try (ParallelLmu.State s = lmu.newState(2); ParallelLmu.State foreign = other.newState(2)) {
                rejects("out", () -> lmu.step(xt, s, outWrong));
                rejects("x", () -> lmu.step(out, s, out));
                rejects("another layer", () -> lmu.step(xt, foreign, out));
                rejects("state", () -> lmu.step(xt, null, out));
            }
            rejects("batch", () -> lmu.newState(0));
        }
    }

    @Test
    void closedLayerRefusesCalls() {
        ParallelLmu lmu = ParallelLmu.builder().backend(ReferenceBackend.INSTANCE).dtype(DType.FLOAT64).inputSize(1)
                .order(2).theta(1).hiddenSize(1).build();
        lmu.close();
        try (Tensor x = Tensor.host(DType.FLOAT64, 2, 1, 1)) {
            rejects("closed", () -> lmu.forward(x));
        }
    }
}

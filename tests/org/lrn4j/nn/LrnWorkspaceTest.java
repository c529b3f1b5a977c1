package org.lrn4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.lrn4j.TestData;
import org.lrn4j.backend.Backend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * Reused activation and scratch storage holds stale values from the previous batch; results must not
 * depend on them, and handles of a closed result must not reach the reused memory.
 */
class LrnWorkspaceTest {
    private static final int[] LENGTHS = {6, 2, 5};

    private static float[][] step(Lrn lrn, Backend backend, Tensor xHost, Tensor dyHost) {
        try (Tensor x = backend.copyOf(xHost);
             Tensor dy = backend.copyOf(dyHost);
             Lrn.Result r = lrn.forward(x, LENGTHS, null);
             Lrn.Gradients g = lrn.backward(r, dy, r.finalState())) {
            return new float[][] {r.output().toFloatArray(), r.finalState().toFloatArray(),
                g.input().toFloatArray(), g.initialState().toFloatArray()};
        }
    }

    @ParameterizedTest(name = "{0}, output gate {1}")
    @CsvSource({"java, false", "native, false", "cuda, false", "java, true", "native, true", "cuda, true"})
    void reusedStorageNeverLeaksIntoResults(String name, boolean outputGate) {
        Backend backend = TestData.backendOrSkip(name);
        SplittableRandom rng = new SplittableRandom(31);
        try (Tensor x1 = TestData.random(rng, DType.FLOAT32, -3, 3, 6, 3, 7);
             Tensor dy1 = TestData.random(rng, DType.FLOAT32, -3, 3, 6, 3, 10);
             Tensor x2 = TestData.random(rng, DType.FLOAT32, -1, 1, 6, 3, 7);
             Tensor dy2 = TestData.random(rng, DType.FLOAT32, -1, 1, 6, 3, 10)) {
            float[][] fresh;
            try (Lrn lrn = build(backend, outputGate)) {
                fresh = step(lrn, backend, x2, dy2);
            }
            try (Lrn lrn = build(backend, outputGate)) {
                step(lrn, backend, x1, dy1);
                float[][] reused = step(lrn, backend, x2, dy2);
                for (int i = 0; i < fresh.length; i++) {
                    assertArrayEquals(fresh[i], reused[i], name + " result " + i + " after reuse");
                }
            }
        }
    }

    private static Lrn build(Backend backend, boolean outputGate) {
        return Lrn.builder().backend(backend).inputSize(7).hiddenSize(5).layers(2).bidirectional(true)
                .layerNorm(true).outputGate(outputGate).seed(2).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"java", "native"})
    void handlesOfAClosedResultAreClosed(String name) {
        Backend backend = TestData.backendOrSkip(name);
        try (Lrn lrn = build(backend, false);
             Tensor x = backend.allocate(DType.FLOAT32, 4, 3, 7)) {
            Lrn.Result r = lrn.forward(x, null, null);
            Tensor out = r.output();
            r.close();
            assertThrows(IllegalStateException.class, out::toFloatArray);
            assertThrows(IllegalStateException.class, r::output);
            try (Lrn.Result again = lrn.forward(x, null, null)) {
                assertThrows(IllegalStateException.class, () -> out.get(0));
                again.output().toFloatArray();
            }
        }
    }

    @ParameterizedTest(name = "{0}, output gate {1}")
    @CsvSource({"java, false", "native, false", "cuda, false", "java, true", "native, true", "cuda, true"})
    void reusedResultAndGradientsEqualFreshOnes(String name, boolean outputGate) {
        Backend backend = TestData.backendOrSkip(name);
        SplittableRandom rng = new SplittableRandom(37);
        try (Tensor x1 = backend.copyOf(TestData.random(rng, DType.FLOAT32, -3, 3, 6, 3, 7));
             Tensor dy1 = backend.copyOf(TestData.random(rng, DType.FLOAT32, -3, 3, 6, 3, 10));
             Tensor x2 = backend.copyOf(TestData.random(rng, DType.FLOAT32, -1, 1, 6, 3, 7));
             Tensor dy2 = backend.copyOf(TestData.random(rng, DType.FLOAT32, -1, 1, 6, 3, 10))) {
            float[][] fresh;
            try (Lrn lrn = build(backend, outputGate);
                 Lrn.Result r = lrn.forward(x2, null, null);
                 Lrn.Gradients g = lrn.backward(r, dy2, null)) {
                fresh = new float[][] {r.output().toFloatArray(), r.finalState().toFloatArray(),
                    g.input().toFloatArray(), g.initialState().toFloatArray(),
                    lrn.parameters().get(0).grad().toFloatArray()};
            }
            try (Lrn lrn = build(backend, outputGate);
                 Lrn.Result r = lrn.forward(x1, LENGTHS, null);
                 Lrn.Gradients g = lrn.backward(r, dy1, r.finalState())) {
                lrn.zeroGrad();
                // the second call drops the lengths and the final-state gradient of the first
                assertSame(r, lrn.forward(x2, null, null, r));
                assertSame(g, lrn.backward(r, dy2, null, g));
                float[][] reused = {r.output().toFloatArray(), r.finalState().toFloatArray(),
                    g.input().toFloatArray(), g.initialState().toFloatArray(),
                    lrn.parameters().get(0).grad().toFloatArray()};
                for (int i = 0; i < fresh.length; i++) {
                    assertArrayEquals(fresh[i], reused[i], name + " result " + i + " of a reused call");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"java", "native"})
    void reuseIsCheckedBeforeAnyKernelRuns(String name) {
        Backend backend = TestData.backendOrSkip(name);
        try (Lrn lrn = build(backend, false);
             Lrn other = build(backend, false);
             Tensor x = backend.allocate(DType.FLOAT32, 4, 3, 7);
             Tensor longer = backend.allocate(DType.FLOAT32, 5, 3, 7);
             Tensor dy = backend.allocate(DType.FLOAT32, 4, 3, 10);
             Lrn.Result r = lrn.forward(x, null, null);
             Lrn.Result foreign = other.forward(x, null, null);
             Lrn.Gradients g = lrn.backward(r, dy, null);
             Lrn.Gradients foreignGrads = other.backward(foreign, dy, null)) {
            assertThrows(IllegalArgumentException.class, () -> lrn.forward(longer, null, null, r));
            assertThrows(IllegalArgumentException.class, () -> lrn.forward(x, null, null, foreign));
            assertThrows(IllegalArgumentException.class, () -> lrn.backward(r, dy, null, foreignGrads));
            Lrn.Result closed = lrn.forward(x, null, null);
            closed.close();
            assertThrows(IllegalStateException.class, () -> lrn.forward(x, null, null, closed));
            Lrn.Gradients closedGrads = lrn.backward(r, dy, null);
            closedGrads.close();
            assertThrows(IllegalStateException.class, () -> lrn.backward(r, dy, null, closedGrads));
            assertThrows(IllegalStateException.class, closedGrads::input);
            g.input().toFloatArray();
        }
    }

    /**
     * A steady-state training step on reused results allocates nothing on the Java heap (calling thread).
     * Native backend only: the Java backend's kernels allocate small per-call objects (buffer views, tasks).
     */
    @ParameterizedTest(name = "{0}, output gate {1}")
    @CsvSource({"native, false", "native, true"})
    void steadyStateStepAllocatesNothing(String name, boolean outputGate) {
        Backend backend = TestData.backendOrSkip(name);
        java.lang.management.ThreadMXBean bean = java.lang.management.ManagementFactory.getThreadMXBean();
        if (!(bean instanceof com.sun.management.ThreadMXBean threads) || !threads.isThreadAllocatedMemorySupported()) {
            Assumptions.abort("this JVM cannot count the bytes a thread allocates");
            return;
        }
        SplittableRandom rng = new SplittableRandom(41);
        int[] lengths = {6, 2, 5};
        try (Lrn lrn = build(backend, outputGate);
             Tensor x = TestData.random(rng, DType.FLOAT32, -1, 1, 6, 3, 7);
             Tensor dy = TestData.random(rng, DType.FLOAT32, -1, 1, 6, 3, 10);
             Lrn.Result r = lrn.forward(x, lengths, null);
             Lrn.Gradients g = lrn.backward(r, dy, r.finalState())) {
            long id = Thread.currentThread().getId();
            for (int i = 0; i < 200; i++) {
                lrn.forward(x, lengths, null, r);
                lrn.backward(r, dy, r.finalState(), g);
            }
            // The JVM itself occasionally charges a few hundred bytes to a thread (seen once in a full suite
            // run on a loaded machine, never with the interpreter alone): a window of 100 calls must
            // allocate nothing in at least one of three tries.
            long allocated = Long.MAX_VALUE;
            for (int attempt = 0; attempt < 3 && allocated != 0; attempt++) {
                long before = threads.getThreadAllocatedBytes(id);
                for (int i = 0; i < 100; i++) {
                    lrn.forward(x, lengths, null, r);
                    lrn.backward(r, dy, r.finalState(), g);
                }
                allocated = threads.getThreadAllocatedBytes(id) - before;
            }
            assertEquals(0, allocated, "bytes allocated by 100 reused forward+backward calls");
        }
    }
}

package org.lrn4j.lmu;

import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.lrn4j.TestData;
import org.lrn4j.TestData.On;
import org.lrn4j.backend.ActivationKind;
import org.lrn4j.backend.Backend;
import org.lrn4j.backend.ReferenceBackend;
import org.lrn4j.nn.Parameter;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * The parallel LMU in FLOAT32 on the java, native and CUDA backends against the FLOAT64 reference with the same
 * (float-rounded) weights and input, on odd sizes (T = 33 in blocks of 8, a partial last block; d = 17; three
 * channels of three sequences): the output of every mode and of the RNN form, and the backward pass (input and
 * parameter gradients).
 *
 * <p>Tolerance: max |error| ≤ 2e-5 · max |reference| per tensor. A float result carries a relative rounding
 * of 6e-8 per operation; the longest sums are the blocked convolution's (k = L·d + d = 153 terms), W_m's
 * (k = memoryD·d = 51) and the weight gradients' (k = T·B = 99): the worst-case bound k·6e-8 ≈ 1e-5 of one
 * GEMM, while rounding errors of random sign grow like √k·6e-8 ≈ 1e-6 per stage. Measured: below 3e-6 on
 * java and native in every mode. The float tanh and sigmoid of those backends add 2e-7 absolute.
 */
class ParallelLmuBackendParityTest {
    private static final int T = 33;
    private static final int B = 3;
    private static final int D = 5;
    private static final int M = 3;
    private static final int ORDER = 17;
    private static final int H = 7;
    private static final double TOL = 2e-5;

    static List<Arguments> cases() {
        List<Arguments> cases = new java.util.ArrayList<>();
        for (String backend : TestData.acceleratedBackends()) {
            for (MemoryMode mode : new MemoryMode[] {MemoryMode.BLOCKED, MemoryMode.FFT, MemoryMode.LAST_STEP}) {
                cases.add(Arguments.of(backend, mode));
            }
        }
        return cases;
    }

    private static ParallelLmu layer(Backend backend, DType dtype, MemoryMode mode) {
        return ParallelLmu.builder().backend(backend).dtype(dtype).inputSize(D).memoryD(M).order(ORDER).theta(20)
                .hiddenSize(H).inputActivation(ActivationKind.TANH).outputActivation(ActivationKind.SIGMOID)
                .mode(mode).blockLength(8).seed(13).build();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void matchesTheReference(String name, MemoryMode mode) {
        Backend backend = TestData.backendOrSkip(name);
        boolean finalOnly = mode == MemoryMode.LAST_STEP;
        SplittableRandom rng = new SplittableRandom(29);
        try (ParallelLmu fast = layer(backend, DType.FLOAT32, mode);
             ParallelLmu ref = layer(ReferenceBackend.INSTANCE, DType.FLOAT64, mode);
             Tensor x32 = TestData.random(rng, DType.FLOAT32, -1, 1, T, B, D);
             Tensor dy32 = finalOnly ? TestData.random(rng, DType.FLOAT32, -1, 1, B, H)
                     : TestData.random(rng, DType.FLOAT32, -1, 1, T, B, H);
             Tensor x64 = Tensor.ofDoubles(x32.toDoubleArray(), T, B, D);
             Tensor dy64 = Tensor.ofDoubles(dy32.toDoubleArray(), dy32.shape());
             On on = new On(backend)) {
            for (int p = 0; p < fast.parameters().size(); p++) {
                Parameter pf = fast.parameters().get(p);
                double[] v = pf.value().toDoubleArray();
                if (pf.name().endsWith("bias")) {
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) (rng.nextDouble() - 0.5);
                    }
                    try (Tensor h = Tensor.host(DType.FLOAT32, pf.value().shape())) {
                        h.write(0, v, 0, v.length);
                        pf.value().copyFrom(h);
                    }
                }
                ref.parameters().get(p).value().write(0, v, 0, v.length);
            }
            Tensor x = on.put(x32);
            Tensor dy = on.put(dy32);
            try (ParallelLmu.Result rf = finalOnly ? fast.forwardFinal(x) : fast.forward(x);
                 ParallelLmu.Result rr = finalOnly ? ref.forwardFinal(x64) : ref.forward(x64)) {
                String what = name + " " + mode;
                compare(what + " output", rr.output().toDoubleArray(), on.get(rf.output()));
                if (!finalOnly) {
                    try (Tensor recurrent = fast.forwardRecurrent(x)) {
                        compare(what + " recurrent output", rr.output().toDoubleArray(), on.get(recurrent));
                    }
                }
                try (ParallelLmu.Gradients gf = fast.backward(rf, dy);
                     ParallelLmu.Gradients gr = ref.backward(rr, dy64)) {
                    compare(what + " input gradient", gr.input().toDoubleArray(), on.get(gf.input()));
                }
                for (int p = 0; p < fast.parameters().size(); p++) {
                    compare(what + " " + fast.parameters().get(p).name() + " gradient",
                            ref.parameters().get(p).grad().toDoubleArray(),
                            on.get(fast.parameters().get(p).grad()));
                }
            }
        }
    }

    private static void compare(String what, double[] want, double[] got) {
        double scale = 0;
        for (double w : want) {
            scale = Math.max(scale, Math.abs(w));
        }
        TestData.assertClose(what, want, got, TOL * scale, 0);
    }
}

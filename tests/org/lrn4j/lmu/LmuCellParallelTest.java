package org.lrn4j.lmu;

import static org.lrn4j.TestData.assertClose;

import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.lrn4j.TestData;
import org.lrn4j.backend.Backend;
import org.lrn4j.backend.Backends;
import org.lrn4j.backend.ReferenceBackend;
import org.lrn4j.nn.Parameter;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * The original cell against the parallel layer: with no recurrent connections (e_h = e_m = 0, W_h = 0) the
 * original LMU is the parallel LMU with f₁ = identity, so given the same weights (e_x = Uₓ, b_u, W_m, W_x,
 * b = b_o) the two give the same memory of every step, the same outputs, and the same gradients of the
 * shared parameters and of the input, though one walks the steps and the other convolves.
 */
class LmuCellParallelTest {

    @ParameterizedTest(name = "{0} {1}, mode {2}")
    @CsvSource({"reference, FLOAT64, BLOCKED", "reference, FLOAT64, FFT", "native, FLOAT32, BLOCKED",
        "java, FLOAT32, BLOCKED"})
    void withoutRecurrenceTheCellIsTheParallelLayer(String backendName, DType dtype, MemoryMode mode) {
        Backend backend = backendName.equals("reference") ? ReferenceBackend.INSTANCE : Backends.byName(backendName);
        int steps = 41;
        int batch = 3;
        int in = 2;
        int q = 2;
        int d = 5;
        int hidden = 7;
        double abs = dtype == DType.FLOAT64 ? 1e-10 : 2e-4;
        SplittableRandom rng = new SplittableRandom(12);
        try (ParallelLmu par = ParallelLmu.builder().backend(backend).dtype(dtype).inputSize(in).memoryD(q).order(d)
                .theta(17).hiddenSize(hidden).mode(mode).seed(4).build();
             LmuCell cell = LmuCell.builder().backend(backend).dtype(dtype).inputSize(in).memoryD(q).order(d)
                     .theta(17).hiddenSize(hidden).build();
             Tensor xHost = TestData.random(rng, dtype, -1, 1, steps, batch, in);
             Tensor dyHost = TestData.random(rng, dtype, -1, 1, steps, batch, hidden);
             TestData.On on = new TestData.On(backend)) {
            List<Parameter> pp = par.parameters();
            List<Parameter> cp = cell.parameters();
            // parallel: u_weight, u_bias, m_weight, x_weight, o_bias; cell: e_x, e_h, e_m, b_u, W_x, W_h, W_m, b
            pp.get(1).value().copyFrom(TestData.random(rng, dtype, -0.5, 0.5, q));
            pp.get(4).value().copyFrom(TestData.random(rng, dtype, -0.5, 0.5, hidden));
            int[][] same = {{0, 0}, {1, 3}, {2, 6}, {3, 4}, {4, 7}};
            for (int[] s : same) {
                cp.get(s[1]).value().copyFrom(pp.get(s[0]).value());
            }
            cp.get(1).value().zero();
            cp.get(2).value().zero();
            cp.get(5).value().zero();
            Tensor x = on.put(xHost);
            Tensor dy = on.put(dyHost);
            par.zeroGrad();
            cell.zeroGrad();
            try (ParallelLmu.Result pr = par.forward(x); LmuCell.Result cr = cell.forward(x, null, null);
                 ParallelLmu.Gradients pg = par.backward(pr, dy);
                 LmuCell.Gradients cg = cell.backward(cr, dy, null, null)) {
                assertClose("output", on.get(pr.output()), on.get(cr.output()), abs, abs);
                double[] pm = on.get(pr.memory());
                double[] cm = on.get(cr.memory());
                double[] want = new double[cm.length];
                for (int t = 0; t < steps; t++) {
                    for (int b = 0; b < batch; b++) {
                        for (int c = 0; c < q; c++) {
                            for (int i = 0; i < d; i++) {
                                // parallel: [B·q, T·d]; cell: [T, B, q·d]
                                want[((t * batch + b) * q + c) * d + i] = pm[(b * q + c) * steps * d + t * d + i];
                            }
                        }
                    }
                }
                assertClose("memory", want, cm, abs, abs);
                assertClose("d input", on.get(pg.input()), on.get(cg.input()), abs, abs);
                for (int[] s : same) {
                    assertClose("grad " + pp.get(s[0]).name() + " vs " + cp.get(s[1]).name(),
                            on.get(pp.get(s[0]).grad()), on.get(cp.get(s[1]).grad()), abs, abs);
                }
            }
        }
    }
}

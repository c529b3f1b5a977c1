package org.lrn4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.lrn4j.TestData;
import org.lrn4j.backend.Backend;
import org.lrn4j.backend.ReferenceBackend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/**
 * Linear, Embedding and LayerNorm: backward against finite differences of a random projection of their
 * output in double, and the fast backends against the reference.
 */
class ModulesGradientTest {
    private static final Backend REF = ReferenceBackend.INSTANCE;

    /** loss = Σ r ⊙ LayerNorm(Linear(Embedding(ids))), all in double on the reference backend. */
    private static double loss(Embedding e, Linear l, LayerNorm n, Tensor ids, Tensor r, int rows,
                               List<Tensor> grads, boolean backward) {
        try (Tensor emb = REF.allocate(DType.FLOAT64, rows, e.dim());
             Tensor lin = REF.allocate(DType.FLOAT64, rows, l.out());
             Tensor out = REF.allocate(DType.FLOAT64, rows, l.out())) {
            e.forward(rows, ids, emb);
            l.forward(rows, emb, lin);
            try (LayerNorm.Saved s = n.forward(rows, lin, out)) {
                double sum = 0;
                double[] o = out.toDoubleArray();
                double[] rv = r.toDoubleArray();
                for (int i = 0; i < o.length; i++) {
                    sum += o[i] * rv[i];
                }
                if (backward) {
                    try (Tensor dLin = REF.allocate(DType.FLOAT64, rows, l.out());
                         Tensor dEmb = REF.allocate(DType.FLOAT64, rows, e.dim())) {
                        n.backward(s, lin, r, dLin);
                        l.backward(rows, emb, dLin, dEmb);
                        e.backward(rows, ids, dEmb);
                    }
                }
                return sum;
            }
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        SplittableRandom rng = new SplittableRandom(4);
        int rows = 5;
        try (Embedding e = new Embedding(REF, DType.FLOAT64, 6, 4, 0.5, 1, "e");
             Linear l = new Linear(REF, DType.FLOAT64, 4, 3, true, 2, "l");
             LayerNorm n = new LayerNorm(REF, DType.FLOAT64, 3, 1e-5, "n");
             Tensor ids = Tensor.ofInts(new int[] {0, 5, 2, 5, -1});
             Tensor r = TestData.random(rng, DType.FLOAT64, -1, 1, rows, 3)) {
            // give the layer norm's own parameters values away from their start
            n.parameters().get(0).value().write(0, new double[] {0.7, 1.3, -0.4}, 0, 3);
            n.parameters().get(1).value().write(0, new double[] {0.1, -0.2, 0.3}, 0, 3);
            List<Parameter> ps = new ArrayList<>(e.parameters());
            ps.addAll(l.parameters());
            ps.addAll(n.parameters());
            loss(e, l, n, ids, r, rows, null, true);
            for (Parameter p : ps) {
                double[] g = p.grad().toDoubleArray();
                for (int i = 0; i < p.value().numel(); i++) {
                    double x = p.value().get(i);
                    double h = 1e-6;
                    p.value().set(i, x + h);
                    double up = loss(e, l, n, ids, r, rows, null, false);
                    p.value().set(i, x - h);
                    double down = loss(e, l, n, ids, r, rows, null, false);
                    p.value().set(i, x);
                    double fd = (up - down) / (2 * h);
                    assertEquals(fd, g[i], 1e-7 + 1e-6 * Math.abs(fd), p.name() + "[" + i + "]");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"java", "native", "cuda"})
    void fastBackendsMatchTheReference(String name) {
        Backend b = TestData.backendOrSkip(name);
        SplittableRandom rng = new SplittableRandom(6);
        int rows = 33;
        double[][] results = new double[2][];
        for (int k = 0; k < 2; k++) {
            Backend be = k == 0 ? REF : b;
            try (Linear l = new Linear(be, DType.FLOAT32, 9, 7, true, 3, "l");
                 LayerNorm n = new LayerNorm(be, DType.FLOAT32, 7, 1e-5, "n");
                 Tensor xh = TestData.random(new SplittableRandom(6), DType.FLOAT32, -1, 1, rows, 9);
                 Tensor dh = TestData.random(new SplittableRandom(7), DType.FLOAT32, -1, 1, rows, 7);
                 Tensor x = be.copyOf(xh);
                 Tensor d = be.copyOf(dh);
                 Tensor y = be.allocate(DType.FLOAT32, rows, 7);
                 Tensor z = be.allocate(DType.FLOAT32, rows, 7);
                 Tensor dy = be.allocate(DType.FLOAT32, rows, 7);
                 Tensor dx = be.allocate(DType.FLOAT32, rows, 9)) {
                l.forward(rows, x, y);
                try (LayerNorm.Saved s = n.forward(rows, y, z)) {
                    n.backward(s, y, d, dy);
                }
                l.backward(rows, x, dy, dx);
                be.synchronize();
                List<Double> all = new ArrayList<>();
                for (Tensor t : new Tensor[] {z, dx, l.parameters().get(0).grad(), l.parameters().get(1).grad(),
                    n.parameters().get(0).grad(), n.parameters().get(1).grad()}) {
                    for (double v : t.toDoubleArray()) {
                        all.add(v);
                    }
                }
                results[k] = all.stream().mapToDouble(Double::doubleValue).toArray();
            }
        }
        TestData.assertClose(name + " linear + layer norm", results[0], results[1], 2e-5, 1e-4);
        rng.nextInt();
    }
}

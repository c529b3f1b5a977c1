package org.lrn4j;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Assumptions;
import org.lrn4j.backend.Backend;
import org.lrn4j.backend.Backends;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Tensor;

/** Random data, poisoned outputs, backends under test and the abs + rel·|ref| comparison. */
public final class TestData {
    private TestData() {
    }

    /** A host tensor of uniform values in [lo, hi). */
    public static Tensor random(SplittableRandom rng, DType dtype, double lo, double hi, long... shape) {
        Tensor t = Tensor.host(dtype, shape);
        double[] v = new double[(int) t.numel()];
        for (int i = 0; i < v.length; i++) {
            v[i] = lo + (hi - lo) * rng.nextDouble();
        }
        t.write(0, v, 0, v.length);
        return t;
    }

    /** A host tensor full of NaN, so an element a kernel forgets to write fails every comparison. */
    public static Tensor poisoned(DType dtype, long... shape) {
        Tensor t = Tensor.host(dtype, shape);
        t.fill(Double.NaN);
        return t;
    }

    /**
     * The backends checked against {@link org.lrn4j.backend.ReferenceBackend}: java and native (must load)
     * and CUDA (skipped with its reason where it cannot).
     */
    public static List<String> acceleratedBackends() {
        return List.of("java", "native", "cuda");
    }

    /** The backend of that name, or the test is skipped (CUDA only) with the reason it cannot run. */
    public static Backend backendOrSkip(String name) {
        if (name.equals("cuda")) {
            try {
                return Backends.byName("cuda");
            } catch (IllegalStateException e) {
                Assumptions.abort("CUDA backend not available: " + e.getMessage());
            }
        }
        return Backends.byName(name);
    }

    /** Copies host tensors onto a backend and back, closing what it made. */
    public static final class On implements AutoCloseable {
        private final Backend backend;
        private final List<Tensor> owned = new ArrayList<>();

        public On(Backend backend) {
            this.backend = backend;
        }

        /** A copy of a host tensor in the backend's memory (null stays null). */
        public Tensor put(Tensor host) {
            if (host == null) {
                return null;
            }
            Tensor t = backend.copyOf(host);
            owned.add(t);
            return t;
        }

        /** The values of a backend tensor. */
        public double[] get(Tensor t) {
            backend.synchronize();
            return t.toDoubleArray();
        }

        @Override
        public void close() {
            for (Tensor t : owned) {
                t.close();
            }
        }
    }

    /**
     * Compares the rows×cols view with row stride ld, and checks that every element outside it (the
     * stride padding) still holds its initial value in both results: kernels must not write there.
     */
    public static void assertView(String what, double[] init, double[] want, double[] got, int rows, int cols,
                                   int ld, double abs, double rel) {
        double[] w = new double[rows * cols];
        double[] g = new double[rows * cols];
        for (int i = 0; i < init.length; i++) {
            int r = i / ld;
            int c = i % ld;
            if (r < rows && c < cols) {
                w[r * cols + c] = want[i];
                g[r * cols + c] = got[i];
            } else if (Double.doubleToLongBits(got[i]) != Double.doubleToLongBits(init[i])
                    || Double.doubleToLongBits(want[i]) != Double.doubleToLongBits(init[i])) {
                throw new AssertionError(what + ": element " + i + " outside the view was written");
            }
        }
        assertClose(what, w, g, abs, rel);
    }

    /** Fails unless |got - want| <= abs + rel·|want| everywhere (NaN never passes). */
    public static void assertClose(String what, double[] want, double[] got, double abs, double rel) {
        if (want.length != got.length) {
            fail(what + ": length " + got.length + ", expected " + want.length);
        }
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs(got[i] - want[i]);
            if (!(err <= abs + rel * Math.abs(want[i]))) {
                fail(what + ": element " + i + " is " + got[i] + ", expected " + want[i] + " (error " + err + ")");
            }
        }
    }
}

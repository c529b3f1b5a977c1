package org.lrn4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.lrn4j.kernels.NativeKernels;

class TensorTest {
    @Test
    void hostStorageIsAlignedForVectorLoads() {
        for (int n = 1; n < 40; n += 3) {
            try (Tensor t = Tensor.host(DType.FLOAT32, n)) {
                long address = ((HostStorage) t.storage()).address(NativeKernels::addressOf);
                assertEquals(0, address % HostStorage.ALIGNMENT, "address " + address);
            }
        }
    }

    @Test
    void valuesRoundTrip() {
        float[] v = {1.5f, -2.25f, 3e-7f, 4e7f, -0f, 6};
        try (Tensor t = Tensor.of(v, 2, 3); Tensor c = t.copyToHost()) {
            assertArrayEquals(v, c.toFloatArray());
            assertArrayEquals(new long[] {2, 3}, c.shape());
        }
        try (Tensor t = Tensor.ofDoubles(new double[] {Math.PI, -1e-300}, 2)) {
            assertEquals(Math.PI, t.get(0));
            assertEquals(-1e-300, t.get(1));
        }
    }

    @Test
    void closedTensorIsAnError() {
        Tensor t = Tensor.host(DType.FLOAT32, 4);
        t.close();
        t.close();
        assertTrue(t.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.get(0));
        assertTrue(e.getMessage().contains("closed"));
        assertThrows(IllegalStateException.class, t::toFloatArray);
    }

    @Test
    void recycledStorageOutlivesItsClosedHandle() {
        Tensor t = Tensor.of(new float[] {1, 2, 3, 4}, 4);
        Storage s = t.recycle();
        assertTrue(t.isClosed());
        assertThrows(IllegalStateException.class, () -> t.get(0));
        assertThrows(IllegalStateException.class, t::recycle);
        t.close();
        try (Tensor again = Tensor.wrap(DType.FLOAT32, new long[] {2, 2}, s)) {
            assertArrayEquals(new float[] {1, 2, 3, 4}, again.toFloatArray());
        }
        assertTrue(s.isClosed());
    }

    @Test
    void badShapesAndCopiesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Tensor.host(DType.FLOAT32, 2, -1));
        assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[5], 2, 3));
        try (Tensor a = Tensor.host(DType.FLOAT32, 3); Tensor b = Tensor.host(DType.FLOAT64, 3)) {
            assertThrows(IllegalArgumentException.class, () -> a.copyFrom(b));
            assertThrows(IllegalArgumentException.class, () -> a.copyFrom(null));
            assertThrows(IndexOutOfBoundsException.class, () -> a.get(3));
        }
    }
}

package org.lrn4j.tensor;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * A dense, row-major tensor: a shape, an element type and the storage that holds the elements.
 * Host tensors live off-heap (see {@link HostStorage}); device tensors live on an accelerator and are
 * reached only through explicit copies ({@link #copyFrom}, {@link #copyToHost}).
 * A tensor owns its storage: {@link #close()} frees it, and any later use is an
 * {@link IllegalStateException}.
 */
public final class Tensor implements AutoCloseable {
    private final DType dtype;
    private final long[] shape;
    private final long numel;
    private final Storage storage;
    /** Set by {@link #recycle()}: this handle is closed, the storage lives on with a new owner. */
    private volatile boolean recycled;

    private Tensor(DType dtype, long[] shape, Storage storage) {
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = shape.clone();
        this.numel = numel(this.shape);
        this.storage = Objects.requireNonNull(storage, "storage");
        if (storage.bytes() < numel * dtype.bytes()) {
            throw new IllegalArgumentException("storage of " + storage.bytes() + " bytes is too small for "
                    + dtype + Arrays.toString(shape));
        }
    }

    /** A zero-filled host tensor. */
    public static Tensor host(DType dtype, long... shape) {
        long n = numel(Objects.requireNonNull(shape, "shape"));
        return new Tensor(dtype, shape, new HostStorage(Math.multiplyExact(n, (long) dtype.bytes())));
    }

    /** A tensor over storage allocated by a backend (device memory, for instance). */
    public static Tensor wrap(DType dtype, long[] shape, Storage storage) {
        return new Tensor(dtype, Objects.requireNonNull(shape, "shape"), storage);
    }

    /** A FLOAT32 host tensor holding a copy of {@code values}. */
    public static Tensor of(float[] values, long... shape) {
        Tensor t = host(DType.FLOAT32, shapeFor(values.length, shape));
        t.data().asFloatBuffer().put(values);
        return t;
    }

    /** A FLOAT64 host tensor holding a copy of {@code values}. */
    public static Tensor ofDoubles(double[] values, long... shape) {
        Tensor t = host(DType.FLOAT64, shapeFor(values.length, shape));
        t.data().asDoubleBuffer().put(values);
        return t;
    }

    /** An INT32 host tensor holding a copy of {@code values}. */
    public static Tensor ofInts(int[] values, long... shape) {
        Tensor t = host(DType.INT32, shapeFor(values.length, shape));
        t.data().asIntBuffer().put(values);
        return t;
    }

    private static long[] shapeFor(int length, long[] shape) {
        long[] s = shape.length == 0 ? new long[] {length} : shape;
        if (numel(s) != length) {
            throw new IllegalArgumentException(length + " values do not fill shape " + Arrays.toString(s));
        }
        return s;
    }

    private static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public DType dtype() {
        return dtype;
    }

    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[i];
    }

    public long numel() {
        return numel;
    }

    public Device device() {
        return storage.device();
    }

    public Storage storage() {
        checkOpen();
        return storage;
    }

    public boolean isClosed() {
        return recycled || storage.isClosed();
    }

    /**
     * Argument check used at every public entry point: {@code t} must be non-null
     * ({@link IllegalArgumentException}) and open ({@link IllegalStateException}). Returns {@code t}.
     */
    public static Tensor require(Tensor t, String what) {
        if (t == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        t.checkOpen();
        return t;
    }

    /** Throws {@link IllegalStateException} if this tensor was closed. */
    public void checkOpen() {
        if (isClosed()) {
            throw new IllegalStateException("tensor " + dtype + Arrays.toString(shape) + " is closed");
        }
    }

    /** True when the shape equals {@code expected} exactly. */
    public boolean hasShape(long... expected) {
        return Arrays.equals(shape, expected);
    }

    private ByteBuffer data() {
        checkOpen();
        if (!(storage instanceof HostStorage host)) {
            throw new IllegalStateException("tensor is on " + device() + "; copy it to the host first");
        }
        return host.buffer();
    }

    private int byteIndex(long i) {
        if (i < 0 || i >= numel) {
            throw new IndexOutOfBoundsException("index " + i + " outside tensor of " + numel + " elements");
        }
        return (int) (i * dtype.bytes());
    }

    /** Element {@code i} (flat, row-major) as a double; host tensors only. */
    public double get(long i) {
        ByteBuffer b = data();
        int at = byteIndex(i);
        switch (dtype) {
            case FLOAT32:
                return b.getFloat(at);
            case FLOAT64:
                return b.getDouble(at);
            default:
                return b.getInt(at);
        }
    }

    /** Sets element {@code i} (flat, row-major), rounding to the element type; host tensors only. */
    public void set(long i, double value) {
        ByteBuffer b = data();
        int at = byteIndex(i);
        switch (dtype) {
            case FLOAT32:
                b.putFloat(at, (float) value);
                break;
            case FLOAT64:
                b.putDouble(at, value);
                break;
            default:
                b.putInt(at, (int) value);
        }
    }

    /** Reads {@code n} elements starting at flat index {@code from} into {@code dst[at..at+n)} as doubles. */
    public void read(long from, double[] dst, int at, int n) {
        checkRange(from, n);
        ByteBuffer b = data();
        int pos = (int) (from * dtype.bytes());
        switch (dtype) {
            case FLOAT32:
                for (int i = 0; i < n; i++) {
                    dst[at + i] = b.getFloat(pos + 4 * i);
                }
                break;
            case FLOAT64:
                b.slice(pos, n * 8).order(b.order()).asDoubleBuffer().get(dst, at, n);
                break;
            default:
                for (int i = 0; i < n; i++) {
                    dst[at + i] = b.getInt(pos + 4 * i);
                }
        }
    }

    /** Writes {@code src[at..at+n)} to the elements starting at flat index {@code from}, rounding to the type. */
    public void write(long from, double[] src, int at, int n) {
        checkRange(from, n);
        ByteBuffer b = data();
        int pos = (int) (from * dtype.bytes());
        switch (dtype) {
            case FLOAT32:
                for (int i = 0; i < n; i++) {
                    b.putFloat(pos + 4 * i, (float) src[at + i]);
                }
                break;
            case FLOAT64:
                b.slice(pos, n * 8).order(b.order()).asDoubleBuffer().put(src, at, n);
                break;
            default:
                for (int i = 0; i < n; i++) {
                    b.putInt(pos + 4 * i, (int) src[at + i]);
                }
        }
    }

    /**
     * Writes {@code src[at..at+n)} to the elements starting at flat index {@code from} of an INT32 host
     * tensor. Allocates nothing.
     */
    public void writeInts(long from, int[] src, int at, int n) {
        if (dtype != DType.INT32) {
            throw new IllegalArgumentException("writeInts needs an INT32 tensor, got " + describe());
        }
        Objects.checkFromIndexSize(at, n, src.length);
        checkRange(from, n);
        ByteBuffer b = data();
        int pos = (int) (from * 4);
        for (int i = 0; i < n; i++) {
            b.putInt(pos + 4 * i, src[at + i]);
        }
    }

    private void checkRange(long from, int n) {
        if (n < 0 || from < 0 || from + n > numel) {
            throw new IndexOutOfBoundsException(
                    "range [" + from + ", " + (from + n) + ") outside tensor of " + numel + " elements");
        }
    }

    /** All elements as floats (a device tensor is copied to the host first). */
    public float[] toFloatArray() {
        if (device() != Device.HOST) {
            try (Tensor h = copyToHost()) {
                return h.toFloatArray();
            }
        }
        float[] out = new float[Math.toIntExact(numel)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) get(i);
        }
        return out;
    }

    /** All elements as doubles (a device tensor is copied to the host first). */
    public double[] toDoubleArray() {
        if (device() != Device.HOST) {
            try (Tensor h = copyToHost()) {
                return h.toDoubleArray();
            }
        }
        double[] out = new double[Math.toIntExact(numel)];
        read(0, out, 0, out.length);
        return out;
    }

    /** All elements as ints, rounded toward zero (a device tensor is copied to the host first). */
    public int[] toIntArray() {
        if (device() != Device.HOST) {
            try (Tensor h = copyToHost()) {
                return h.toIntArray();
            }
        }
        int[] out = new int[Math.toIntExact(numel)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (int) get(i);
        }
        return out;
    }

    /** Sets every element to {@code value}; host tensors only. */
    /** Sets every element to zero, on the host or on the device (ordered with the device's kernels). */
    public void zero() {
        checkOpen();
        if (storage instanceof DeviceStorage d) {
            d.zero(0, numel * dtype.bytes());
            return;
        }
        ByteBuffer b = data();
        long bytes = numel * dtype.bytes();
        for (int at = 0; at < bytes; at += 8) {
            if (at + 8 <= bytes) {
                b.putLong(at, 0L);
            } else {
                b.putInt(at, 0);
            }
        }
    }

    public void fill(double value) {
        int n = Math.toIntExact(numel);
        double[] chunk = new double[Math.min(n, 4096)];
        Arrays.fill(chunk, value);
        for (int at = 0; at < n; at += chunk.length) {
            write(at, chunk, 0, Math.min(chunk.length, n - at));
        }
    }

    /**
     * Copies all elements of {@code src} (same type and element count) into this tensor, across devices
     * when needed. This is the one place where data moves between host and device.
     */
    public void copyFrom(Tensor src) {
        require(src, "src");
        checkOpen();
        if (src.dtype != dtype || src.numel != numel) {
            throw new IllegalArgumentException("cannot copy " + src.describe() + " into " + describe());
        }
        long bytes = numel * dtype.bytes();
        if (storage instanceof HostStorage dst && src.storage instanceof HostStorage from) {
            ByteBuffer d = dst.buffer().duplicate();
            ByteBuffer s = from.buffer().duplicate();
            s.limit((int) bytes);
            d.put(s);
        } else if (storage instanceof DeviceStorage dst && src.storage instanceof HostStorage from) {
            dst.copyFromHost(from, 0, 0, bytes);
        } else if (storage instanceof HostStorage dst && src.storage instanceof DeviceStorage from) {
            from.copyToHost(0, dst, 0, bytes);
        } else {
            ((DeviceStorage) storage).copyFromDevice((DeviceStorage) src.storage, 0, 0, bytes);
        }
    }

    /** A new host tensor with a copy of the elements. */
    public Tensor copyToHost() {
        Tensor out = host(dtype, shape);
        out.copyFrom(this);
        return out;
    }

    /** "FLOAT32[2, 3] on HOST". */
    public String describe() {
        return dtype + Arrays.toString(shape) + " on " + device();
    }

    @Override
    public void close() {
        if (!recycled) {
            storage.close();
        }
    }

    /**
     * Closes this tensor without freeing its storage, and hands the storage to the caller, who now owns
     * it (to reuse it through {@link #wrap}). Any later use of this tensor is an
     * {@link IllegalStateException}, as after {@link #close()}.
     */
    public synchronized Storage recycle() {
        checkOpen();
        recycled = true;
        return storage;
    }

    @Override
    public String toString() {
        return "Tensor(" + describe() + (isClosed() ? ", closed" : "") + ")";
    }
}

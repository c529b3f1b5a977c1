package org.lrn4j.tensor;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.ToLongFunction;

/**
 * Off-heap host memory, 64-byte aligned, in native byte order, so that native kernels read and write
 * it in place (no copies across JNI). It is a direct buffer: the pure-Java backend reads it too.
 * Closing frees the memory at once; an unclosed storage is freed by the garbage collector.
 * One storage holds at most {@link #MAX_BYTES} bytes (the limit of a direct buffer).
 */
public final class HostStorage extends Storage {
    /** Alignment of the first element: a cache line, enough for any vector load. */
    public static final int ALIGNMENT = 64;
    public static final long MAX_BYTES = Integer.MAX_VALUE - 2 * ALIGNMENT;

    private static final Method INVOKE_CLEANER;
    private static final Object UNSAFE;

    static {
        Method invoke = null;
        Object unsafe = null;
        try {
            Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            Field field = unsafeClass.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            unsafe = field.get(null);
            invoke = unsafeClass.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // Without it, closed storage is freed by the garbage collector instead of at once.
            invoke = null;
            unsafe = null;
        }
        INVOKE_CLEANER = invoke;
        UNSAFE = unsafe;
    }

    /** Bytes of host storage allocated and not yet closed, and the most there were at once. */
    private static final java.util.concurrent.atomic.AtomicLong LIVE = new java.util.concurrent.atomic.AtomicLong();
    private static final java.util.concurrent.atomic.AtomicLong PEAK = new java.util.concurrent.atomic.AtomicLong();

    private final long reserved;
    private ByteBuffer base;
    private ByteBuffer data;
    private volatile long address;

    /** Allocates {@code bytes} zero-filled bytes. */
    public HostStorage(long bytes) {
        super(bytes);
        if (bytes > MAX_BYTES) {
            throw new IllegalArgumentException(
                    "host storage is limited to " + MAX_BYTES + " bytes, asked for " + bytes);
        }
        // alignedSlice rounds both ends to the alignment: one spare unit plus rounding up keeps bytes inside.
        long rounded = (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
        this.base = ByteBuffer.allocateDirect((int) rounded + ALIGNMENT);
        this.reserved = rounded + ALIGNMENT;
        PEAK.accumulateAndGet(LIVE.addAndGet(reserved), Math::max);
        this.data = base.alignedSlice(ALIGNMENT).limit((int) bytes).slice().order(ByteOrder.nativeOrder());
    }

    @Override
    public Device device() {
        return Device.HOST;
    }

    /** The aligned buffer, native byte order, position 0, capacity {@link #bytes()}. */
    public ByteBuffer buffer() {
        checkOpen("host storage");
        return data;
    }

    /**
     * The native address of the first byte, resolved once by the native backend (the tensor layer does
     * not touch JNI itself) and cached.
     */
    public long address(ToLongFunction<ByteBuffer> resolver) {
        checkOpen("host storage");
        long a = address;
        if (a == 0) {
            a = resolver.applyAsLong(data);
            address = a;
        }
        return a;
    }

    /**
     * Off-heap bytes held by open host storages now (with their alignment padding). A storage left to the
     * garbage collector instead of closed counts until the process ends.
     */
    public static long liveBytes() {
        return LIVE.get();
    }

    /** The most off-heap bytes held by open host storages at once since the start or {@link #resetPeak()}. */
    public static long peakBytes() {
        return PEAK.get();
    }

    /** Starts a new peak from the bytes held now. */
    public static void resetPeak() {
        PEAK.set(LIVE.get());
    }

    @Override
    protected void release() {
        LIVE.addAndGet(-reserved);
        ByteBuffer b = base;
        base = null;
        data = null;
        address = 0;
        if (INVOKE_CLEANER != null && b != null) {
            try {
                INVOKE_CLEANER.invoke(UNSAFE, b);
            } catch (ReflectiveOperationException e) {
                // The buffer is unreachable now; the garbage collector frees it.
            }
        }
    }
}

package org.lrn4j.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.lrn4j.tensor.HostStorage;

/**
 * The memory copy bandwidth of this machine, the denominator of every memory-bound floor: libc
 * {@code memcpy} (through JavaCPP) between two off-heap buffers much larger than the caches, split over
 * as many threads as the kernels use, counting bytes read plus bytes written. memcpy is what the
 * hardware does best for streaming (non-temporal stores at this size, no read-for-ownership), so a
 * kernel that moves the same bytes cannot beat it.
 */
final class CopyBandwidth {
    private CopyBandwidth() {
    }

    /** Median milliseconds of one copy of {@code bytes} bytes over {@code threads} threads, after one untimed copy. */
    static double copyMs(long bytes, int threads, Timing timing) {
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "lrn4j-copy-bandwidth");
            t.setDaemon(true);
            return t;
        });
        // Buffers are zero-filled when allocated, so every page is mapped before the first timed copy.
        try (HostStorage src = new HostStorage(bytes); HostStorage dst = new HostStorage(bytes)) {
            BytePointer from = new BytePointer(src.buffer());
            BytePointer to = new BytePointer(dst.buffer());
            long slice = (bytes / threads + 63) / 64 * 64;
            return timing.median(() -> {
                List<Future<?>> parts = new ArrayList<>();
                for (long at = 0; at < bytes; at += slice) {
                    long offset = at;
                    long length = Math.min(slice, bytes - at);
                    parts.add(pool.submit(() -> Pointer.memcpy(new BytePointer(to).position(offset),
                            new BytePointer(from).position(offset), length)));
                }
                for (Future<?> part : parts) {
                    join(part);
                }
            });
        } finally {
            pool.shutdownNow();
        }
    }

    private static void join(Future<?> part) {
        try {
            part.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while copying", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("copy failed: " + e.getCause(), e.getCause());
        }
    }
}

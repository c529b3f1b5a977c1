package org.lrn4j.lightrnn;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;

import org.lrn4j.tensor.HostStorage;

/**
 * Peak memory of a stretch of work: the JVM heap (the sum of the heap pools' peak usage, an upper bound of
 * the heap in use at any one moment) and the off-heap bytes of host tensor storage ({@link HostStorage}).
 */
public final class MemoryPeaks {
    private MemoryPeaks() {
    }

    /** Starts new peaks from now. */
    public static void reset() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.isValid()) {
                pool.resetPeakUsage();
            }
        }
        HostStorage.resetPeak();
    }

    /** Sum over the heap pools of their peak usage since {@link #reset()}. */
    public static long peakHeap() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.isValid()) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }

    /** Peak off-heap bytes of host tensor storage since {@link #reset()}. */
    public static long peakOffHeap() {
        return HostStorage.peakBytes();
    }
}

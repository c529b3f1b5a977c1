package org.lrn4j.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Median milliseconds per call. Calls are timed in blocks long enough to sit well above the clock's
 * resolution; the median is over blocks. A case stops after {@code maxSeconds} of timing (a pair after
 * twice that), keeping at least one block.
 */
final class Timing {
    private static final long BLOCK_NANOS = 50_000_000L;
    private static final long WARMUP_NANOS = 500_000_000L;

    private final int repetitions;
    private final double maxSeconds;
    private final long pauseMillis;

    Timing(int repetitions, double maxSeconds, long pauseMillis) {
        if (repetitions < 1 || !(maxSeconds > 0) || pauseMillis < 0) {
            throw new IllegalArgumentException("repetitions >= 1, a positive time limit and a pause >= 0 are required");
        }
        this.repetitions = repetitions;
        this.maxSeconds = maxSeconds;
        this.pauseMillis = pauseMillis;
    }

    /** Median milliseconds of one call of {@code run}. */
    double median(Runnable run) {
        int calls = callsPerBlock(run);
        List<Double> times = new ArrayList<>();
        long deadline = System.nanoTime() + (long) (maxSeconds * 1e9);
        do {
            times.add(block(run, calls));
        } while (times.size() < repetitions && System.nanoTime() < deadline);
        return median(times);
    }

    /**
     * Medians of {@code a} and {@code b}, timed in alternating blocks with the side that goes first
     * swapped every round, so that drift of the machine (clock, other load) falls on both alike. Before
     * every block the thread sleeps for the pause: a library's worker threads keep spinning for a while
     * after a call returns, and on a machine with few cores they would steal the other side's time.
     */
    double[] paired(Runnable a, Runnable b) {
        int callsA = callsPerBlock(a);
        int callsB = callsPerBlock(b);
        List<Double> timesA = new ArrayList<>();
        List<Double> timesB = new ArrayList<>();
        long deadline = System.nanoTime() + (long) (2 * maxSeconds * 1e9);
        do {
            boolean aFirst = timesA.size() % 2 == 0;
            pause();
            if (aFirst) {
                timesA.add(block(a, callsA));
            } else {
                timesB.add(block(b, callsB));
            }
            pause();
            if (aFirst) {
                timesB.add(block(b, callsB));
            } else {
                timesA.add(block(a, callsA));
            }
        } while (timesA.size() < repetitions && System.nanoTime() < deadline);
        return new double[] {median(timesA), median(timesB)};
    }

    /**
     * Warms the case up (JIT, caches, pages) for a while first: on a machine with two cores the JIT's
     * compiler threads would otherwise take one from the kernels during the first timed blocks. Then
     * counts the calls that fill one block.
     */
    private static int callsPerBlock(Runnable run) {
        long start = System.nanoTime();
        int calls = 0;
        do {
            run.run();
            calls++;
        } while (calls < 2 || System.nanoTime() - start < WARMUP_NANOS);
        calls = 0;
        start = System.nanoTime();
        do {
            run.run();
            calls++;
        } while (System.nanoTime() - start < BLOCK_NANOS);
        return calls;
    }

    /**
     * One timed block: an untimed call first, so that the block measures the steady state rather than the
     * first call after a pause (threads of a pool asleep, caches holding the other side's data), then
     * {@code calls} timed calls.
     */
    private static double block(Runnable run, int calls) {
        run.run();
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            run.run();
        }
        return (System.nanoTime() - start) / 1e6 / calls;
    }

    private void pause() {
        if (pauseMillis == 0) {
            return;
        }
        try {
            Thread.sleep(pauseMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while timing", e);
        }
    }

    private static double median(List<Double> times) {
        times.sort(null);
        int n = times.size();
        return n % 2 == 1 ? times.get(n / 2) : (times.get(n / 2 - 1) + times.get(n / 2)) / 2;
    }
}

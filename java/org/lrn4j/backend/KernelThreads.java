package org.lrn4j.backend;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * The threads of the pure-Java kernels: a small pool of daemon threads plus the calling thread, which
 * works too. A kernel splits its work into a fixed list of tasks that depends only on the problem size,
 * never on the thread count, and every output element belongs to exactly one task, computed in a fixed
 * order; which thread runs a task therefore cannot change any result.
 */
final class KernelThreads {
    private int threads;
    private ExecutorService pool;

    KernelThreads(int threads) {
        setThreads(threads);
    }

    /**
     * The thread count from {@code -Dlrn4j.threads} (as the native backend reads it), else the number of
     * processors.
     */
    static int configured() {
        String value = System.getProperty("lrn4j.threads");
        if (value == null) {
            return Runtime.getRuntime().availableProcessors();
        }
        int n;
        try {
            n = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalStateException("-Dlrn4j.threads must be a positive integer, got '" + value + "'");
        }
        if (n < 1) {
            throw new IllegalStateException("-Dlrn4j.threads must be >= 1, got " + n);
        }
        return n;
    }

    synchronized int threads() {
        return threads;
    }

    /** Replaces the pool; tasks already running on the old one finish there. */
    synchronized void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + n);
        }
        if (pool != null) {
            pool.shutdown();
        }
        threads = n;
        AtomicInteger id = new AtomicInteger();
        pool = n == 1 ? null : Executors.newFixedThreadPool(n - 1, r -> {
            Thread t = new Thread(r, "lrn4j-java-kernel-" + id.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Runs {@code task.accept(0 .. tasks-1)}, each once, and returns when all have finished. */
    void run(int tasks, IntConsumer task) {
        int helpers;
        ExecutorService p;
        synchronized (this) {
            helpers = Math.min(threads, tasks) - 1;
            p = pool;
        }
        if (helpers <= 0) {
            for (int t = 0; t < tasks; t++) {
                task.accept(t);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(helpers);
        Runnable worker = () -> {
            try {
                for (int t = next.getAndIncrement(); t < tasks; t = next.getAndIncrement()) {
                    task.accept(t);
                }
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
                // Claiming every remaining task stops the other workers early.
                next.set(tasks);
            }
        };
        for (int h = 0; h < helpers; h++) {
            try {
                p.execute(() -> {
                    try {
                        worker.run();
                    } finally {
                        done.countDown();
                    }
                });
            } catch (RejectedExecutionException e) {
                // setThreads retired this pool meanwhile: the calling thread does the helper's share.
                done.countDown();
            }
        }
        worker.run();
        awaitUninterruptibly(done);
        Throwable e = failure.get();
        if (e instanceof RuntimeException re) {
            throw re;
        }
        if (e instanceof Error err) {
            throw err;
        }
        if (e != null) {
            throw new IllegalStateException(e);
        }
    }

    /** Helpers still write into the caller's outputs until they count down, so returning early is not an option. */
    private static void awaitUninterruptibly(CountDownLatch done) {
        boolean interrupted = false;
        while (true) {
            try {
                done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}

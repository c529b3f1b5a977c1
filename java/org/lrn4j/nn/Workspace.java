package org.lrn4j.nn;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

import org.lrn4j.backend.Backend;
import org.lrn4j.tensor.DType;
import org.lrn4j.tensor.Storage;
import org.lrn4j.tensor.Tensor;

/**
 * Storage that a layer reuses between calls: the activations of a closed forward result and the
 * scratch of a backward pass go back here instead of being freed, so a training or serving loop of
 * same-shaped batches stops allocating (and zero-filling) memory after its first step. Tensors taken
 * from it are NOT zero-filled: every user overwrites them completely. Thread-safe.
 */
public final class Workspace implements AutoCloseable {
    /** Idle bytes kept at most; storage returned beyond that is freed. */
    private static final long MAX_IDLE_BYTES = 1L << 30;

    private final Backend backend;
    private final Map<Long, ArrayDeque<Storage>> idle = new HashMap<>();
    private long idleBytes;
    private boolean closed;

    public Workspace(Backend backend) {
        this.backend = backend;
    }

    /** A tensor of this shape whose contents are unspecified: reused storage of the same size, or new. */
    public synchronized Tensor take(DType dtype, long... shape) {
        long n = dtype.bytes();
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        ArrayDeque<Storage> free = idle.get(n);
        Storage s = free == null ? null : free.pollFirst();
        if (s == null) {
            return backend.allocate(dtype, shape);
        }
        idleBytes -= n;
        return Tensor.wrap(dtype, shape, s);
    }

    /** Takes back a tensor this workspace handed out; the tensor is closed for its holder. Null is ignored. */
    public synchronized void give(Tensor t) {
        if (t == null || t.isClosed()) {
            return;
        }
        Storage s = t.recycle();
        if (closed || idleBytes + s.bytes() > MAX_IDLE_BYTES) {
            s.close();
            return;
        }
        idle.computeIfAbsent(s.bytes(), k -> new ArrayDeque<>()).addFirst(s);
        idleBytes += s.bytes();
    }

    /** Frees all idle storage; tensors given back later are freed at once. */
    @Override
    public synchronized void close() {
        closed = true;
        for (ArrayDeque<Storage> q : idle.values()) {
            for (Storage s : q) {
                s.close();
            }
        }
        idle.clear();
        idleBytes = 0;
    }
}

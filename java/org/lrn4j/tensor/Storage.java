package org.lrn4j.tensor;

/**
 * A block of memory that holds a tensor's elements. Closing it releases the memory at once; using a
 * closed storage is an {@link IllegalStateException}, never a native crash.
 */
public abstract class Storage implements AutoCloseable {
    private final long bytes;
    private volatile boolean closed;

    protected Storage(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("storage size must be >= 0, got " + bytes);
        }
        this.bytes = bytes;
    }

    public abstract Device device();

    /** Size in bytes. */
    public final long bytes() {
        return bytes;
    }

    public final boolean isClosed() {
        return closed;
    }

    /** Throws {@link IllegalStateException} if this storage was closed. */
    public final void checkOpen(String what) {
        if (closed) {
            throw new IllegalStateException(what + " is closed");
        }
    }

    @Override
    public final synchronized void close() {
        if (!closed) {
            closed = true;
            release();
        }
    }

    /** Frees the memory; called once, by {@link #close()}. */
    protected abstract void release();
}

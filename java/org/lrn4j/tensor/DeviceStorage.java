package org.lrn4j.tensor;

/**
 * Storage on an accelerator. The backend that allocated it implements the copies; a tensor never
 * moves between host and device except through these explicit calls.
 */
public abstract class DeviceStorage extends Storage {
    protected DeviceStorage(long bytes) {
        super(bytes);
    }

    /** The device address of the first byte. */
    public abstract long address();

    /** Copies {@code bytes} bytes from host storage (at srcOffset) into this storage (at dstOffset). */
    public abstract void copyFromHost(HostStorage src, long srcOffset, long dstOffset, long bytes);

    /** Copies {@code bytes} bytes from this storage (at srcOffset) into host storage (at dstOffset). */
    public abstract void copyToHost(long srcOffset, HostStorage dst, long dstOffset, long bytes);

    /** Copies {@code bytes} bytes from another storage of the same device. */
    public abstract void copyFromDevice(DeviceStorage src, long srcOffset, long dstOffset, long bytes);

    /** Sets {@code bytes} bytes from {@code offset} to zero, in order with the device's kernels. */
    public abstract void zero(long offset, long bytes);
}

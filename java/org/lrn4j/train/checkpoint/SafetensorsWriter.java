package org.lrn4j.train.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import org.lrn4j.train.checkpoint.Safetensors.Dtype;
import org.lrn4j.train.checkpoint.Safetensors.TensorInfo;

/**
 * Collects tensors and writes them as one safetensors file (format in {@link Safetensors}).
 *
 * <p>Tensors come from Java arrays, from a little-endian {@link ByteBuffer} (a view of off-heap memory, for
 * example), or from a {@link TensorData} that streams its bytes; the writer keeps references, not copies,
 * and converts arrays in chunks of {@value #CHUNK} bytes as it writes, so a large model is never held twice.
 * Data must not change between {@code add} and the end of {@code write}. The file's SHA-256 is computed
 * while it is written.
 */
public final class SafetensorsWriter {
    /** Bytes converted and written at a time. */
    public static final int CHUNK = 1 << 20;

    /** Streams the bytes of one tensor: exactly its byte size, elements row-major and little-endian. */
    @FunctionalInterface
    public interface TensorData {
        void writeTo(WritableByteChannel out) throws IOException;
    }

    /**
     * What {@link #write} produced.
     *
     * @param bytes  size of the file
     * @param sha256 lower-case hex SHA-256 of the file
     */
    public record Written(long bytes, String sha256) {
    }

    private record Entry(Dtype dtype, long[] shape, long bytes, TensorData data) {
    }

    private final Map<String, Entry> tensors = new HashMap<>();
    private final Map<String, String> metadata = new TreeMap<>();

    /** Adds a {@code __metadata__} entry (free-form text: format name, model type, …). */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return this;
    }

    /** Adds an F32 tensor; {@code data.length} must equal the product of {@code shape}. */
    public SafetensorsWriter add(String name, float[] data, long... shape) {
        Objects.requireNonNull(data, "data");
        long n = check(name, Dtype.F32, shape, data.length);
        return put(name, Dtype.F32, shape, n, out -> writeChunks(out, data.length, 4,
                (buf, from, count) -> buf.asFloatBuffer().put(data, from, count)));
    }

    /** Adds an F64 tensor. */
    public SafetensorsWriter add(String name, double[] data, long... shape) {
        Objects.requireNonNull(data, "data");
        long n = check(name, Dtype.F64, shape, data.length);
        return put(name, Dtype.F64, shape, n, out -> writeChunks(out, data.length, 8,
                (buf, from, count) -> buf.asDoubleBuffer().put(data, from, count)));
    }

    /** Adds an I32 tensor. */
    public SafetensorsWriter add(String name, int[] data, long... shape) {
        Objects.requireNonNull(data, "data");
        long n = check(name, Dtype.I32, shape, data.length);
        return put(name, Dtype.I32, shape, n, out -> writeChunks(out, data.length, 4,
                (buf, from, count) -> buf.asIntBuffer().put(data, from, count)));
    }

    /** Adds an I64 tensor. */
    public SafetensorsWriter add(String name, long[] data, long... shape) {
        Objects.requireNonNull(data, "data");
        long n = check(name, Dtype.I64, shape, data.length);
        return put(name, Dtype.I64, shape, n, out -> writeChunks(out, data.length, 8,
                (buf, from, count) -> buf.asLongBuffer().put(data, from, count)));
    }

    /**
     * Adds a tensor of any dtype from the remaining bytes of a buffer, which must be little-endian data of
     * exactly the shape's size. The buffer's position is left unchanged.
     */
    public SafetensorsWriter add(String name, Dtype dtype, long[] shape, ByteBuffer data) {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(dtype, "dtype");
        long elements = checkShape(name, shape);
        long bytes = Math.multiplyExact(elements, dtype.bytes());
        if (data.remaining() != bytes) {
            throw new IllegalArgumentException("tensor \"" + name + "\": " + dtype + " " + Arrays.toString(shape) + " needs "
                    + bytes + " bytes, the buffer has " + data.remaining());
        }
        ByteBuffer view = data.duplicate();
        return put(name, dtype, shape, bytes, out -> {
            ByteBuffer b = view.duplicate();
            while (b.hasRemaining()) {
                out.write(b);
            }
        });
    }

    /** Adds a tensor whose bytes a {@link TensorData} streams at write time. */
    public SafetensorsWriter add(String name, Dtype dtype, long[] shape, TensorData data) {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(dtype, "dtype");
        long elements = checkShape(name, shape);
        return put(name, dtype, shape, Math.multiplyExact(elements, dtype.bytes()), data);
    }

    /** Names added so far. */
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    /** The tensors in the order and at the offsets they will have in the file. */
    public List<TensorInfo> layout() {
        List<TensorInfo> order = new ArrayList<>();
        for (Map.Entry<String, Entry> e : tensors.entrySet()) {
            order.add(new TensorInfo(e.getKey(), e.getValue().dtype(), e.getValue().shape(), 0, e.getValue().bytes()));
        }
        order.sort(Safetensors.WRITE_ORDER);
        List<TensorInfo> out = new ArrayList<>(order.size());
        long at = 0;
        for (TensorInfo t : order) {
            out.add(new TensorInfo(t.name(), t.dtype(), t.shape(), at, at + t.bytes()));
            at += t.bytes();
        }
        return out;
    }

    /** Writes the file to a channel; returns its size and SHA-256. */
    public Written write(WritableByteChannel channel) throws IOException {
        List<TensorInfo> layout = layout();
        byte[] header = Safetensors.encodeHeader(metadata, layout);
        HashingChannel out = new HashingChannel(channel);
        ByteBuffer n = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
        out.writeFully(n);
        out.writeFully(ByteBuffer.wrap(header));
        long dataStart = out.count;
        for (TensorInfo t : layout) {
            long before = out.count;
            tensors.get(t.name()).data().writeTo(out);
            long written = out.count - before;
            if (written != t.bytes()) {
                throw new IOException("tensor \"" + t.name() + "\" wrote " + written + " bytes, expected " + t.bytes());
            }
        }
        if (out.count - dataStart != (layout.isEmpty() ? 0 : layout.get(layout.size() - 1).end())) {
            throw new IllegalStateException("data size does not match the layout");
        }
        return new Written(out.count, HexFormat.of().formatHex(out.digest.digest()));
    }

    /**
     * Writes the file (created or truncated) and forces it to the storage device before returning. This is
     * not atomic on its own; {@link Checkpoint} adds that.
     */
    public Written write(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            Written w = write(ch);
            ch.force(true);
            return w;
        }
    }

    /** The whole file in memory (for small sets of tensors). */
    public byte[] toBytes() throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        write(java.nio.channels.Channels.newChannel(bytes));
        return bytes.toByteArray();
    }

    private SafetensorsWriter put(String name, Dtype dtype, long[] shape, long bytes, TensorData data) {
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("tensor \"" + name + "\" was added twice");
        }
        tensors.put(name, new Entry(dtype, shape.clone(), bytes, data));
        return this;
    }

    private static long check(String name, Dtype dtype, long[] shape, int length) {
        long elements = checkShape(name, shape);
        if (elements != length) {
            throw new IllegalArgumentException("tensor \"" + name + "\": shape " + Arrays.toString(shape) + " holds "
                    + elements + " elements, the " + dtype + " array has " + length);
        }
        return Math.multiplyExact(elements, dtype.bytes());
    }

    private static long checkShape(String name, long[] shape) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(shape, "shape");
        if (name.equals(Safetensors.METADATA_KEY)) {
            throw new IllegalArgumentException("\"" + Safetensors.METADATA_KEY + "\" is reserved and cannot name a tensor");
        }
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor \"" + name + "\": negative dimension in " + Arrays.toString(shape));
            }
        }
        try {
            return Safetensors.elements(shape);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor \"" + name + "\": shape " + Arrays.toString(shape) + " overflows");
        }
    }

    /** Copies elements [from, from + count) of an array into a little-endian buffer. */
    @FunctionalInterface
    private interface ChunkFill {
        void fill(ByteBuffer buf, int from, int count);
    }

    private static void writeChunks(WritableByteChannel out, int length, int elementBytes, ChunkFill fill) throws IOException {
        int perChunk = CHUNK / elementBytes;
        ByteBuffer buf = ByteBuffer.allocate(Math.min(length, perChunk) * elementBytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int from = 0; from < length; from += perChunk) {
            int count = Math.min(perChunk, length - from);
            buf.clear();
            fill.fill(buf, from, count);
            buf.limit(count * elementBytes);
            while (buf.hasRemaining()) {
                out.write(buf);
            }
        }
    }

    /** Counts and hashes what passes through to the file. */
    private static final class HashingChannel implements WritableByteChannel {
        final WritableByteChannel target;
        final MessageDigest digest;
        long count;

        HashingChannel(WritableByteChannel target) {
            this.target = target;
            try {
                this.digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every Java platform has SHA-256", e);
            }
        }

        void writeFully(ByteBuffer b) throws IOException {
            while (b.hasRemaining()) {
                write(b);
            }
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            ByteBuffer seen = src.duplicate();
            int n = target.write(src);
            seen.limit(seen.position() + n);
            digest.update(seen);
            count += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return target.isOpen();
        }

        @Override
        public void close() {
        }
    }
}

package org.lrn4j.train.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.lrn4j.train.checkpoint.Safetensors.Dtype;
import org.lrn4j.train.checkpoint.Safetensors.Header;
import org.lrn4j.train.checkpoint.Safetensors.TensorInfo;

/**
 * A safetensors file opened for reading (format in {@link Safetensors}).
 *
 * <p>Opening reads and checks the header only; a tensor's bytes are read when asked for: from a file, each
 * tensor is memory-mapped on its own (so files larger than 2 GiB work, and nothing is read twice), from a
 * buffer they are slices of it. {@link #buffer} gives the raw little-endian bytes (to copy straight into
 * off-heap memory); {@link #floats}, {@link #doubles}, {@link #ints}, {@link #longs} copy into a new array
 * and check the dtype. A file that breaks the format is a {@link FileFormatException} on {@link #open}.
 */
public final class SafetensorsFile implements AutoCloseable {
    private final String source;
    private final FileChannel channel;
    private final ByteBuffer whole;
    private final long dataStart;
    private final Header header;
    private final Map<String, TensorInfo> byName = new LinkedHashMap<>();

    private SafetensorsFile(String source, FileChannel channel, ByteBuffer whole, long dataStart, Header header) {
        this.source = source;
        this.channel = channel;
        this.whole = whole;
        this.dataStart = dataStart;
        this.header = header;
        for (TensorInfo t : header.tensors()) {
            byName.put(t.name(), t);
        }
    }

    /** Opens and checks a file. */
    public static SafetensorsFile open(Path file) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "no such safetensors file");
        }
        try {
            long size = ch.size();
            String name = file.toString();
            long n = headerLength(name, size, readFully(ch, 0, 8, name));
            ByteBuffer headerBytes = readFully(ch, 8, (int) n, name);
            Header h = Safetensors.parseHeader(bytes(headerBytes), size - 8 - n, name);
            return new SafetensorsFile(name, ch, null, 8 + n, h);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Reads a whole file held in a buffer (from its position to its limit; the buffer is not copied). */
    public static SafetensorsFile read(ByteBuffer file, String name) throws FileFormatException {
        ByteBuffer b = file.slice().order(ByteOrder.LITTLE_ENDIAN);
        long size = b.remaining();
        if (size < 8) {
            throw new FileFormatException(name + ": " + size + " bytes, too short for a safetensors file (8-byte header length)");
        }
        long n = headerLength(name, size, b.slice(0, 8));
        byte[] h = new byte[(int) n];
        b.get(8, h);
        return new SafetensorsFile(name, null, b, 8 + n, Safetensors.parseHeader(h, size - 8 - n, name));
    }

    private static long headerLength(String name, long fileSize, ByteBuffer first8) throws FileFormatException {
        long n = first8.order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        if (n < 0 || n > Safetensors.MAX_HEADER_BYTES) {
            throw new FileFormatException(name + ": safetensors header length " + Long.toUnsignedString(n) + " is above the "
                    + Safetensors.MAX_HEADER_BYTES + "-byte limit (not a safetensors file?)");
        }
        if (n > fileSize - 8) {
            throw new FileFormatException(name + ": safetensors header length " + n + " runs past the end of the "
                    + fileSize + "-byte file (truncated?)");
        }
        return n;
    }

    private static ByteBuffer readFully(FileChannel ch, long position, int length, String name) throws IOException {
        if (ch.size() < position + length) {
            throw new FileFormatException(name + ": " + ch.size() + " bytes, too short for a safetensors file (8-byte header length)");
        }
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, position + b.position()) < 0) {
                throw new FileFormatException(name + ": unexpected end of file");
            }
        }
        return b.flip();
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    /** The {@code __metadata__} entries (empty when the file has none). */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** The tensors in data order. */
    public List<TensorInfo> tensors() {
        return header.tensors();
    }

    /** Tensor names in data order. */
    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    /** A tensor's description; an {@link IllegalArgumentException} naming the file when it is absent. */
    public TensorInfo info(String name) {
        TensorInfo t = byName.get(Objects.requireNonNull(name, "name"));
        if (t == null) {
            throw new IllegalArgumentException(source + " has no tensor \"" + name + "\"");
        }
        return t;
    }

    /** A tensor's raw bytes, little-endian, read-only (a mapping of the file or a slice of the buffer). */
    public ByteBuffer buffer(String name) throws IOException {
        TensorInfo t = info(name);
        if (t.bytes() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(source + ": tensor \"" + name + "\" has " + t.bytes()
                    + " bytes, more than one Java buffer holds");
        }
        ByteBuffer b;
        if (channel != null) {
            b = t.bytes() == 0 ? ByteBuffer.allocate(0)
                    : channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), t.bytes());
        } else {
            b = whole.slice((int) (dataStart + t.begin()), (int) t.bytes());
        }
        return b.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** An F32 tensor's elements. */
    public float[] floats(String name) throws IOException {
        ByteBuffer b = typed(name, Dtype.F32);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    /** An F64 tensor's elements. */
    public double[] doubles(String name) throws IOException {
        ByteBuffer b = typed(name, Dtype.F64);
        double[] out = new double[b.remaining() / 8];
        b.asDoubleBuffer().get(out);
        return out;
    }

    /** An I32 tensor's elements. */
    public int[] ints(String name) throws IOException {
        ByteBuffer b = typed(name, Dtype.I32);
        int[] out = new int[b.remaining() / 4];
        b.asIntBuffer().get(out);
        return out;
    }

    /** An I64 tensor's elements. */
    public long[] longs(String name) throws IOException {
        ByteBuffer b = typed(name, Dtype.I64);
        long[] out = new long[b.remaining() / 8];
        b.asLongBuffer().get(out);
        return out;
    }

    private ByteBuffer typed(String name, Dtype dtype) throws IOException {
        TensorInfo t = info(name);
        if (t.dtype() != dtype) {
            throw new IllegalArgumentException(source + ": tensor \"" + name + "\" is " + t.dtype() + ", not " + dtype);
        }
        return buffer(name);
    }

    /** The file name or buffer name this was read from. */
    public String source() {
        return source;
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
        }
    }
}

package org.lrn4j.data;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The IDX file format of the MNIST and Fashion-MNIST distributions: a 4-byte magic number
 * {@code 0x00 0x00 type rank}, then {@code rank} big-endian 32-bit dimension sizes, then the elements in
 * row-major order, each big-endian. The type byte is one of {@link Type}. Files may be gzip-compressed
 * (detected by the gzip magic {@code 1f 8b}, not by the name).
 *
 * <p>A file that does not match its header is rejected with an {@link IOException} naming the file and the
 * problem: wrong magic, unknown type, zero rank, a negative or overflowing size, fewer element bytes than the
 * dimensions promise (a truncated file), or bytes left after them.
 */
public final class Idx {
    /** Element types of the IDX format, with their type byte and width in bytes. */
    public enum Type {
        UBYTE(0x08, 1), BYTE(0x09, 1), SHORT(0x0B, 2), INT(0x0C, 4), FLOAT(0x0D, 4), DOUBLE(0x0E, 8);

        private final int code;
        private final int width;

        Type(int code, int width) {
            this.code = code;
            this.width = width;
        }

        /** The type byte of the magic number. */
        public int code() {
            return code;
        }

        /** Bytes per element. */
        public int width() {
            return width;
        }

        static Type of(int code) {
            for (Type t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            return null;
        }
    }

    /**
     * The contents of one IDX file: its element type, dimensions, and the element bytes as stored
     * (big-endian), which the accessors decode.
     */
    public static final class Array {
        private final Type type;
        private final int[] dims;
        private final byte[] data;
        private final ByteBuffer view;

        /**
         * @param data the elements, row-major, big-endian: exactly product(dims)·type.width() bytes
         */
        public Array(Type type, int[] dims, byte[] data) {
            if (type == null || dims == null || data == null) {
                throw new IllegalArgumentException("type, dims and data are required");
            }
            long n = elements(dims);
            if (n * type.width() != data.length) {
                throw new IllegalArgumentException("dimensions " + Arrays.toString(dims) + " of " + type + " need "
                        + n * type.width() + " bytes, got " + data.length);
            }
            this.type = type;
            this.dims = dims.clone();
            this.data = data;
            this.view = ByteBuffer.wrap(data).order(ByteOrder.BIG_ENDIAN);
        }

        public Type type() {
            return type;
        }

        public int[] dims() {
            return dims.clone();
        }

        /** The number of elements, the product of the dimensions. */
        public int size() {
            return data.length / type.width();
        }

        /** Element i (row-major) as a double, whatever the type; UBYTE reads 0..255. */
        public double get(int i) {
            if (i < 0 || i >= size()) {
                throw new IndexOutOfBoundsException("element " + i + " of " + size());
            }
            return switch (type) {
                case UBYTE -> data[i] & 0xFF;
                case BYTE -> data[i];
                case SHORT -> view.getShort(2 * i);
                case INT -> view.getInt(4 * i);
                case FLOAT -> view.getFloat(4 * i);
                case DOUBLE -> view.getDouble(8 * i);
            };
        }

        /** The raw bytes of a UBYTE array (not copied: the caller must not change them). */
        public byte[] ubytes() {
            if (type != Type.UBYTE) {
                throw new IllegalStateException("the array holds " + type + ", not UBYTE");
            }
            return data;
        }

        /** The stored bytes, big-endian (a copy). */
        public byte[] bytes() {
            return data.clone();
        }
    }

    private Idx() {
    }

    /** Reads an IDX file, gzipped or not. */
    public static Array read(Path file) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            boolean gzip = b0 == 0x1F && b1 == 0x8B;
            try (InputStream in = gzip ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw) {
                return read(in, file.toString());
            } catch (EOFException e) {
                throw new IOException(file + ": truncated (" + e.getMessage() + ")", e);
            }
        }
    }

    /** Reads one IDX array from a stream (not gzipped) that must end right after it; name is for messages. */
    public static Array read(InputStream in, String name) throws IOException {
        byte[] magic = readFully(in, 4, name, "the magic number");
        if (magic[0] != 0 || magic[1] != 0) {
            throw new IOException(name + ": not an IDX file (magic " + hex(magic) + " does not start with 00 00)");
        }
        Type type = Type.of(magic[2] & 0xFF);
        if (type == null) {
            throw new IOException(name + ": unknown IDX element type 0x" + Integer.toHexString(magic[2] & 0xFF));
        }
        int rank = magic[3] & 0xFF;
        if (rank == 0) {
            throw new IOException(name + ": an IDX file with no dimensions");
        }
        ByteBuffer header = ByteBuffer.wrap(readFully(in, 4 * rank, name, rank + " dimension sizes"));
        int[] dims = new int[rank];
        long bytes = type.width();
        for (int i = 0; i < rank; i++) {
            dims[i] = header.getInt();
            if (dims[i] < 0) {
                throw new IOException(name + ": dimension " + i + " has negative size " + dims[i]);
            }
            bytes *= dims[i];
            if (bytes > Integer.MAX_VALUE - 8) {
                throw new IOException(name + ": dimensions " + Arrays.toString(Arrays.copyOf(dims, i + 1))
                        + "... hold more than 2 GiB of " + type);
            }
        }
        byte[] data = readFully(in, (int) bytes, name, "the elements of " + Arrays.toString(dims) + " " + type);
        if (in.read() >= 0) {
            throw new IOException(name + ": bytes after the " + Arrays.toString(dims) + " " + type
                    + " elements (dimensions and data do not match)");
        }
        return new Array(type, dims, data);
    }

    /** Writes an array as an IDX file, gzipped when asked. */
    public static void write(Path file, Array array, boolean gzip) throws IOException {
        try (OutputStream raw = Files.newOutputStream(file);
             OutputStream out = gzip ? new GZIPOutputStream(raw, 1 << 16) : raw) {
            out.write(encode(array));
        }
    }

    /** The bytes of an IDX file holding the array (not gzipped). */
    public static byte[] encode(Array array) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        int[] dims = array.dims();
        out.write(new byte[] {0, 0, (byte) array.type().code(), (byte) dims.length});
        for (int d : dims) {
            out.writeInt(d);
        }
        out.write(array.data);
        out.flush();
        return bytes.toByteArray();
    }

    private static byte[] readFully(InputStream in, int n, String name, String what) throws IOException {
        byte[] b = new byte[n];
        int at = 0;
        while (at < n) {
            int r = in.read(b, at, n - at);
            if (r < 0) {
                throw new IOException(name + ": truncated: " + what + " need " + n + " bytes, the file has " + at);
            }
            at += r;
        }
        return b;
    }

    private static long elements(int[] dims) {
        long n = 1;
        for (int d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(dims));
            }
            n *= d;
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("dimensions " + Arrays.toString(dims) + " are too large");
            }
        }
        return n;
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(String.format("%02x", x & 0xFF));
        }
        return s.toString();
    }
}

package org.lrn4j.lightrnn;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.zip.CRC32C;

import org.lrn4j.train.checkpoint.FileFormatException;
import org.lrn4j.train.checkpoint.Safetensors;
import org.lrn4j.train.checkpoint.SafetensorsFile;
import org.lrn4j.train.checkpoint.SafetensorsWriter;

/**
 * Saves and loads an {@link AllocationCost} as a safetensors file, so that the costs a model produced can be
 * given to the solvers again (benchmarks, tests).
 *
 * <p>Format: a safetensors file with two F32 tensors, {@value #ROW_COST} of shape [words, rows] and
 * {@value #COL_COST} of shape [words, cols] (the record's arrays, row-major), and the metadata
 * {@code format = "}{@value #FORMAT}{@code "}, {@code version = "1"}, {@code words}, {@code rows},
 * {@code cols} (decimal) and {@code crc32c} (8 lower-case hex digits: CRC-32C of the two tensors' data,
 * row costs first, as little-endian bytes). Reading checks the format name, the sizes against the shapes,
 * the checksum and that every cost is finite, so a truncated or damaged file is a
 * {@link FileFormatException}, never a wrong cost.
 *
 * <p>Writing is atomic: the file is written beside the target under a temporary name, forced to the storage
 * device, renamed over the target and the directory forced; a crash leaves the old file or the new one.
 */
public final class AllocationCostIO {
    /** The value of the {@code format} metadata entry. */
    public static final String FORMAT = "lrn4j.allocation-cost";
    /** Name of the row-cost tensor. */
    public static final String ROW_COST = "row_cost";
    /** Name of the column-cost tensor. */
    public static final String COL_COST = "col_cost";

    private AllocationCostIO() {
    }

    /** Writes {@code cost} to {@code file} atomically (replacing it if it exists). */
    public static void write(Path file, AllocationCost cost) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(cost, "cost");
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        SafetensorsWriter writer = new SafetensorsWriter()
                .metadata("format", FORMAT)
                .metadata("version", "1")
                .metadata("words", Integer.toString(cost.words()))
                .metadata("rows", Integer.toString(cost.rows()))
                .metadata("cols", Integer.toString(cost.cols()))
                .metadata("crc32c", checksum(cost.rowCost(), cost.colCost()))
                .add(ROW_COST, cost.rowCost(), cost.words(), cost.rows())
                .add(COL_COST, cost.colCost(), cost.words(), cost.cols());
        Path tmp = dir.resolve("." + target.getFileName() + ".tmp-" + UUID.randomUUID());
        try {
            writer.write(tmp);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename " + tmp + " to " + target + " atomically: " + e.getMessage(), e);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        forceDirectory(dir);
    }

    /** Reads a cost written by {@link #write}, checking it throughout (see the class comment). */
    public static AllocationCost read(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            String name = f.source();
            Map<String, String> meta = f.metadata();
            if (!FORMAT.equals(meta.get("format"))) {
                throw new FileFormatException(name + ": not an allocation cost file (format is " + meta.get("format")
                        + ", expected " + FORMAT + ")");
            }
            if (!"1".equals(meta.get("version"))) {
                throw new FileFormatException(name + ": allocation cost file version " + meta.get("version")
                        + " is not supported (this reads version 1)");
            }
            int words = positive(meta, "words", name);
            int rows = positive(meta, "rows", name);
            int cols = positive(meta, "cols", name);
            expectShape(f, ROW_COST, words, rows);
            expectShape(f, COL_COST, words, cols);
            float[] rowCost = f.floats(ROW_COST);
            float[] colCost = f.floats(COL_COST);
            String crc = checksum(rowCost, colCost);
            if (!crc.equals(meta.get("crc32c"))) {
                throw new FileFormatException(name + ": checksum " + crc + " of the costs does not match the recorded "
                        + meta.get("crc32c") + " (the file is damaged)");
            }
            try {
                return new AllocationCost(words, rows, cols, rowCost, colCost);
            } catch (IllegalArgumentException e) {
                throw new FileFormatException(name + ": " + e.getMessage(), e);
            }
        }
    }

    private static int positive(Map<String, String> meta, String key, String name) throws FileFormatException {
        String s = meta.get(key);
        int v = s != null && s.matches("[0-9]{1,9}") ? Integer.parseInt(s) : 0;
        if (v < 1) {
            throw new FileFormatException(name + ": metadata '" + key + "' is " + s + ", expected a positive integer");
        }
        return v;
    }

    private static void expectShape(SafetensorsFile f, String tensor, int words, int width) throws FileFormatException {
        if (!f.contains(tensor)) {
            throw new FileFormatException(f.source() + ": no tensor '" + tensor + "' (it holds " + f.names() + ")");
        }
        Safetensors.TensorInfo info = f.info(tensor);
        long[] want = {words, width};
        if (info.dtype() != Safetensors.Dtype.F32 || !Arrays.equals(info.shape(), want)) {
            throw new FileFormatException(f.source() + ": tensor '" + tensor + "' is " + info.dtype() + " "
                    + Arrays.toString(info.shape()) + ", expected F32 " + Arrays.toString(want));
        }
    }

    /** CRC-32C of the arrays' little-endian bytes, as 8 hex digits. */
    static String checksum(float[] a, float[] b) {
        CRC32C crc = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] x : new float[][] {a, b}) {
            int k = 0;
            while (k < x.length) {
                buf.clear();
                int end = Math.min(x.length, k + buf.capacity() / 4);
                buf.asFloatBuffer().put(x, k, end - k);
                buf.limit((end - k) * 4);
                crc.update(buf);
                k = end;
            }
        }
        return String.format("%08x", crc.getValue());
    }

    private static void forceDirectory(Path dir) throws IOException {
        if (System.getProperty("os.name", "").startsWith("Windows")) {
            return;
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}

package org.lrn4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
    private static byte[] header(int type, int... dims) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length);
        b.put((byte) 0).put((byte) 0).put((byte) type).put((byte) dims.length);
        for (int d : dims) {
            b.putInt(d);
        }
        return b.array();
    }

    private static Path write(Path file, byte[] bytes, boolean gzip) throws IOException {
        try (OutputStream raw = Files.newOutputStream(file);
             OutputStream out = gzip ? new GZIPOutputStream(raw) : raw) {
            out.write(bytes);
        }
        return file;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void readsUbyteImagesPlainAndGzipped(@TempDir Path dir) throws IOException {
        byte[] data = new byte[3 * 5 * 7];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 37 + 11);
        }
        byte[] file = concat(header(0x08, 3, 5, 7), data);
        for (boolean gzip : new boolean[] {false, true}) {
            Idx.Array a = Idx.read(write(dir.resolve("x" + gzip), file, gzip));
            assertEquals(Idx.Type.UBYTE, a.type());
            assertArrayEquals(new int[] {3, 5, 7}, a.dims());
            assertEquals(105, a.size());
            for (int i = 0; i < data.length; i++) {
                assertEquals(data[i] & 0xFF, a.get(i), "element " + i + " unsigned");
            }
        }
    }

    @Test
    void decodesEveryTypeBigEndian(@TempDir Path dir) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(3 * 8);
        b.putInt(-7).putInt(123456789).putInt(0x7FFFFFFF);
        Idx.Array ints = Idx.read(write(dir.resolve("i"), concat(header(0x0C, 3), Arrays.copyOf(b.array(), 12)), false));
        assertEquals(-7, ints.get(0));
        assertEquals(123456789, ints.get(1));
        assertEquals(Integer.MAX_VALUE, ints.get(2));
        ByteBuffer f = ByteBuffer.allocate(8).putFloat(-1.5f).putFloat(3.25f);
        Idx.Array floats = Idx.read(write(dir.resolve("f"), concat(header(0x0D, 2, 1), f.array()), true));
        assertEquals(-1.5, floats.get(0));
        assertEquals(3.25, floats.get(1));
        ByteBuffer d = ByteBuffer.allocate(8).putDouble(Math.PI);
        assertEquals(Math.PI, Idx.read(write(dir.resolve("d"), concat(header(0x0E, 1), d.array()), false)).get(0));
        ByteBuffer s = ByteBuffer.allocate(4).putShort((short) -300).putShort((short) 300);
        Idx.Array shorts = Idx.read(write(dir.resolve("s"), concat(header(0x0B, 2), s.array()), false));
        assertEquals(-300, shorts.get(0));
        assertEquals(300, shorts.get(1));
        Idx.Array signed = Idx.read(write(dir.resolve("b"), concat(header(0x09, 1), new byte[] {(byte) 0xFE}), false));
        assertEquals(-2, signed.get(0));
    }

    @Test
    void writeThenReadRoundTrips(@TempDir Path dir) throws IOException {
        byte[] data = new byte[2 * 3 * 4];
        ByteBuffer.wrap(data).asIntBuffer().put(new int[] {1, -2, 3, -4, 5, 6});
        Idx.Array a = new Idx.Array(Idx.Type.INT, new int[] {2, 3}, data);
        Path p = dir.resolve("a.gz");
        Idx.write(p, a, true);
        Idx.Array back = Idx.read(p);
        assertArrayEquals(new int[] {2, 3}, back.dims());
        assertEquals(-4, back.get(3));
        assertArrayEquals(data, back.bytes());
    }

    @Test
    void rejectsMalformedFiles(@TempDir Path dir) throws IOException {
        byte[] good = concat(header(0x08, 2, 3), new byte[6]);
        byte[] badMagic = good.clone();
        badMagic[0] = 0x12;
        assertMessage(dir, "m", badMagic, "not an IDX file");
        byte[] badType = good.clone();
        badType[2] = 0x07;
        assertMessage(dir, "t", badType, "unknown IDX element type");
        assertMessage(dir, "tr", Arrays.copyOf(good, good.length - 1), "truncated");
        assertMessage(dir, "h", Arrays.copyOf(good, 7), "truncated");
        assertMessage(dir, "x", concat(good, new byte[] {1}), "bytes after");
        assertMessage(dir, "n", concat(header(0x08, -1), new byte[0]), "negative");
        assertMessage(dir, "r", new byte[] {0, 0, 8, 0}, "no dimensions");
        assertMessage(dir, "big", header(0x0E, 65536, 65536), "more than 2 GiB");
        // truncated in the compressed stream too
        Path gz = write(dir.resolve("g.gz"), concat(header(0x08, 100, 100), new byte[10000]), true);
        byte[] all = Files.readAllBytes(gz);
        Files.write(gz, Arrays.copyOf(all, all.length / 2));
        IOException e = assertThrows(IOException.class, () -> Idx.read(gz));
        assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("g.gz"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Idx.Array(Idx.Type.INT, new int[] {2}, new byte[4]));
    }

    private static void assertMessage(Path dir, String name, byte[] bytes, String expected) throws IOException {
        Path p = write(dir.resolve(name), bytes, false);
        IOException e = assertThrows(IOException.class, () -> Idx.read(p));
        assertTrue(e.getMessage().contains(expected) && e.getMessage().contains(p.toString()),
                "message names the file and says '" + expected + "': " + e.getMessage());
    }
}

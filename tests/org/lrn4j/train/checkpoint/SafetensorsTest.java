package org.lrn4j.train.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lrn4j.train.checkpoint.Safetensors.Dtype;
import org.lrn4j.train.checkpoint.Safetensors.TensorInfo;

class SafetensorsTest {
    /** A file built byte by byte from the format: N (u64 LE), the header text, spaces to a multiple of 8, data. */
    private static byte[] specFile(String header, byte[] data) {
        int padded = (header.length() + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + padded + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded);
        b.put(header.getBytes(StandardCharsets.US_ASCII));
        for (int i = header.length(); i < padded; i++) {
            b.put((byte) ' ');
        }
        b.put(data);
        return b.array();
    }

    private static byte[] floatsLe(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    @Test
    void writesTheBytesTheFormatPrescribes() throws IOException {
        assertArrayEquals(specFile("{}", new byte[0]), new SafetensorsWriter().toBytes());
        assertEquals(16, new SafetensorsWriter().toBytes().length);

        assertArrayEquals(specFile("{\"__metadata__\":{\"framework\":\"pt\"}}", new byte[0]),
                new SafetensorsWriter().metadata("framework", "pt").toBytes());

        float[] v = {0, 1, 2, 3, 4, 5};
        byte[] expected = specFile("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}", floatsLe(v));
        assertEquals(8 + 64 + 24, expected.length, "a 64-byte header needs no padding");
        assertArrayEquals(expected, new SafetensorsWriter().add("attn.0", v, 1, 2, 3).toBytes());

        expected = specFile("{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}", floatsLe(v));
        assertEquals(8 + 72 + 24, expected.length, "65 header bytes padded to 72");
        assertArrayEquals(expected, new SafetensorsWriter().add("attn0", v, 1, 1, 2, 3).toBytes());
    }

    @Test
    void ordersTensorsByDtypeAlignmentThenName() throws IOException {
        SafetensorsWriter w = new SafetensorsWriter()
                .add("z", new float[] {1}, 1)
                .add("c", new int[] {2, 3}, 2)
                .add("b", new long[] {4}, 1)
                .add("a", new double[] {5}, 1)
                .add("y", new float[] {6, 7, 8}, 3);
        List<String> order = w.layout().stream().map(TensorInfo::name).toList();
        assertEquals(List.of("b", "a", "y", "z", "c"), order);
        String header = "{\"b\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                + "\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]},"
                + "\"y\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[16,28]},"
                + "\"z\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[28,32]},"
                + "\"c\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[32,40]}}";
        ByteBuffer data = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
        data.putLong(4).putDouble(5).putFloat(6).putFloat(7).putFloat(8).putFloat(1).putInt(2).putInt(3);
        assertArrayEquals(specFile(header, data.array()), w.toBytes());
    }

    @Test
    void everyDtypeRoundTripsFromFileAndBuffer(@TempDir Path dir) throws Exception {
        SplittableRandom rng = new SplittableRandom(11);
        float[] f = new float[37];
        double[] d = new double[13];
        int[] i = new int[9];
        long[] l = new long[31];
        for (int k = 0; k < f.length; k++) {
            f[k] = (float) rng.nextGaussian();
        }
        for (int k = 0; k < d.length; k++) {
            d[k] = rng.nextGaussian() * 1e300;
        }
        d[0] = -0.0;
        d[1] = Double.MIN_VALUE;
        d[2] = Double.longBitsToDouble(0x7ff8_0000_dead_beefL);
        for (int k = 0; k < i.length; k++) {
            i[k] = rng.nextInt();
        }
        for (int k = 0; k < l.length; k++) {
            l[k] = rng.nextLong();
        }
        ByteBuffer half = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x3c00)
                .putShort((short) 0xc000).putShort((short) 0x7bff).flip();
        SafetensorsWriter w = new SafetensorsWriter()
                .metadata("format", "lrn4j").metadata("note", "ünïcode \"quoted\"")
                .add("layer0.weight", f, 37)
                .add("adam.v", d, 13)
                .add("counts", i, 3, 3)
                .add("rng", l, 31)
                .add("half", Dtype.F16, new long[] {3}, half)
                .add("scalar", new float[] {42f})
                .add("empty", new float[0], 0, 5)
                .add("streamed", Dtype.U8, new long[] {5}, out -> out.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5})));
        Path file = dir.resolve("t.safetensors");
        SafetensorsWriter.Written written = w.write(file);
        assertEquals(Files.size(file), written.bytes());
        assertEquals(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file))),
                written.sha256());
        byte[] bytes = w.toBytes();
        assertArrayEquals(Files.readAllBytes(file), bytes, "writing is deterministic");

        try (SafetensorsFile fromFile = SafetensorsFile.open(file);
             SafetensorsFile fromBuffer = SafetensorsFile.read(ByteBuffer.wrap(bytes), "memory")) {
            for (SafetensorsFile r : List.of(fromFile, fromBuffer)) {
                assertEquals(Map.of("format", "lrn4j", "note", "ünïcode \"quoted\""), r.metadata());
                assertArrayEquals(f, r.floats("layer0.weight"));
                assertArrayEquals(bits(d), bits(r.doubles("adam.v")), "doubles round-trip bit for bit");
                assertArrayEquals(i, r.ints("counts"));
                assertArrayEquals(new long[] {3, 3}, r.info("counts").shape());
                assertArrayEquals(l, r.longs("rng"));
                ByteBuffer h = r.buffer("half");
                assertEquals((short) 0xc000, h.getShort(2));
                assertEquals(Dtype.F16, r.info("half").dtype());
                assertArrayEquals(new float[] {42f}, r.floats("scalar"));
                assertEquals(0, r.info("scalar").shape().length);
                assertEquals(0, r.floats("empty").length);
                assertEquals(5, r.buffer("streamed").get(4));
                long dataStart = bytes.length - r.tensors().get(r.tensors().size() - 1).end();
                assertEquals(0, dataStart % 8, "data starts 8-aligned");
                for (TensorInfo t : r.tensors()) {
                    assertEquals(0, (dataStart + t.begin()) % t.dtype().bytes(), t + " is aligned to its element size");
                }
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.floats("adam.v"));
                assertTrue(e.getMessage().contains("F64, not F32"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> r.floats("nope"));
                assertTrue(e.getMessage().contains("no tensor \"nope\""), e.getMessage());
            }
        }
    }

    private static long[] bits(double[] d) {
        return Arrays.stream(d).mapToLong(Double::doubleToRawLongBits).toArray();
    }

    @Test
    void largeTensorsAreWrittenInChunks(@TempDir Path dir) throws IOException {
        float[] big = new float[SafetensorsWriter.CHUNK / 4 * 2 + 3];
        for (int k = 0; k < big.length; k++) {
            big[k] = k * 0.5f;
        }
        Path file = dir.resolve("big.safetensors");
        new SafetensorsWriter().add("big", big, big.length).write(file);
        try (SafetensorsFile r = SafetensorsFile.open(file)) {
            assertArrayEquals(big, r.floats("big"));
        }
    }

    @Test
    void writerRejectsBadTensors() {
        SafetensorsWriter w = new SafetensorsWriter().add("a", new float[6], 2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.add("b", new float[5], 2, 3));
        assertTrue(e.getMessage().contains("holds 6 elements"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> w.add("a", new float[1], 1));
        assertThrows(IllegalArgumentException.class, () -> w.add("__metadata__", new float[1], 1));
        assertThrows(IllegalArgumentException.class, () -> w.add("n", new float[0], -1, 0));
        assertThrows(IllegalArgumentException.class, () -> w.add("o", new float[0], Long.MAX_VALUE, 4));
        assertThrows(IllegalArgumentException.class, () -> w.add("c", Dtype.F32, new long[] {2}, ByteBuffer.allocate(7)));
        SafetensorsWriter lying = new SafetensorsWriter().add("s", Dtype.F32, new long[] {2}, out -> out.write(ByteBuffer.allocate(4)));
        IOException io = assertThrows(IOException.class, lying::toBytes);
        assertTrue(io.getMessage().contains("wrote 4 bytes, expected 8"), io.getMessage());
    }

    /** Parses bytes and returns the error message, failing if they parse. */
    private static String rejection(byte[] file) {
        FileFormatException e = assertThrows(FileFormatException.class, () -> SafetensorsFile.read(ByteBuffer.wrap(file), "x.safetensors"));
        assertTrue(e.getMessage().startsWith("x.safetensors: "), e.getMessage());
        return e.getMessage();
    }

    private static String tensor(String name, String dtype, String shape, String offsets) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    }

    @Test
    void malformedFilesAreRejectedWithClearMessages() throws IOException {
        byte[] good = new SafetensorsWriter().add("w", new float[] {1, 2, 3, 4}, 2, 2).toBytes();
        SafetensorsFile.read(ByteBuffer.wrap(good), "x.safetensors").close();

        assertTrue(rejection(new byte[5]).contains("too short"));
        byte[] longHeader = good.clone();
        ByteBuffer.wrap(longHeader).order(ByteOrder.LITTLE_ENDIAN).putLong(0, good.length);
        assertTrue(rejection(longHeader).contains("runs past the end"));
        ByteBuffer.wrap(longHeader).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        assertTrue(rejection(longHeader).contains("above the"));
        ByteBuffer.wrap(longHeader).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
        assertTrue(rejection(longHeader).contains("18446744073709551615"));
        assertTrue(rejection(Arrays.copyOf(good, good.length - 1)).contains("truncated"));
        byte[] trailing = Arrays.copyOf(good, good.length + 4);
        assertTrue(rejection(trailing).contains("trailing bytes"));

        assertTrue(rejection(specFile("[1, 2]", new byte[0])).contains("does not start with '{'"));
        assertTrue(rejection(specFile("{\"w\":{\"dtype\":\"F32\",", new byte[0])).contains("not valid JSON"));
        assertTrue(rejection(specFile("{\"w\": NaN}", new byte[0])).contains("not valid JSON"));
        byte[] badUtf8 = specFile("{\"w\":1}", new byte[0]);
        badUtf8[10] = (byte) 0xff;
        assertTrue(rejection(badUtf8).contains("not valid UTF-8"));

        byte[] data16 = new byte[16];
        assertTrue(rejection(specFile("{" + tensor("a", "F32", "[2]", "[0,8]") + "," + tensor("b", "F32", "[2]", "[4,12]") + "}",
                new byte[12])).contains("overlap"));
        assertTrue(rejection(specFile("{" + tensor("a", "F32", "[2]", "[0,8]") + "," + tensor("b", "F32", "[1]", "[12,16]") + "}",
                data16)).contains("leave a gap after byte 8"));
        assertTrue(rejection(specFile("{" + tensor("a", "F32", "[2]", "[8,16]") + "}", data16)).contains("gap"));
        assertTrue(rejection(specFile("{" + tensor("a", "F32", "[4]", "[0,16]") + "}", new byte[8])).contains("ends at byte 16"));
        assertTrue(rejection(specFile("{" + tensor("a", "F32", "[3]", "[0,16]") + "}", data16)).contains("needs 12"));
        assertTrue(rejection(specFile("{" + tensor("a", "F24", "[3]", "[0,9]") + "}", new byte[9])).contains("unknown dtype"));
        assertTrue(rejection(specFile("{" + tensor("a", "F32", "[4]", "[16,0]") + "}", data16)).contains("end before"));
        assertTrue(rejection(specFile("{" + tensor("a", "F32", "[4]", "[-4,12]") + "}", data16)).contains("outside [0, 2^63)"));
        assertTrue(rejection(specFile("{" + tensor("a", "F32", "[4]", "[0.5,16]") + "}", data16)).contains("not an integer"));
        assertTrue(rejection(specFile("{" + tensor("a", "F32", "[4611686018427387904,4]", "[0,16]") + "}", data16))
                .contains("overflows"));
        assertTrue(rejection(specFile("{" + tensor("a", "F32", "[4]", "[0]") + "}", data16)).contains("2 integers"));
        assertTrue(rejection(specFile("{\"__metadata__\":{\"k\":1}," + tensor("a", "F32", "[4]", "[0,16]") + "}", data16))
                .contains("not a string"));
        assertTrue(rejection(specFile("{\"a\":[1]}", data16)).contains("not a JSON object"));
    }

    @Test
    void openingAMalformedFileNamesIt(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("model.safetensors");
        byte[] good = new SafetensorsWriter().add("w", new float[] {1, 2}, 2).toBytes();
        Files.write(f, Arrays.copyOf(good, good.length - 3));
        FileFormatException e = assertThrows(FileFormatException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("truncated"), e.getMessage());
        Files.write(f, new byte[3]);
        assertThrows(FileFormatException.class, () -> SafetensorsFile.open(f));
        assertThrows(java.nio.file.NoSuchFileException.class, () -> SafetensorsFile.open(dir.resolve("absent")));
    }

    /** Python's reference reader, where it is installed; the byte-level tests above stand in for it elsewhere. */
    @Test
    void pythonSafetensorsReadsOurFiles(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(python("import safetensors.numpy", dir) == 0,
                "Python's safetensors package is not installed here; skipping (the byte-level spec tests cover the format)");
        Path file = dir.resolve("m.safetensors");
        new SafetensorsWriter().metadata("k", "v")
                .add("f", new float[] {1.5f, -2}, 2).add("d", new double[] {3.25}, 1, 1)
                .add("i", new int[] {7, 8, 9}, 3).add("l", new long[] {Long.MAX_VALUE}, 1).write(file);
        String script = "from safetensors.numpy import load_file\n"
                + "from safetensors import safe_open\n"
                + "t = load_file('" + file + "')\n"
                + "assert t['f'].dtype.name == 'float32' and t['f'].tolist() == [1.5, -2.0]\n"
                + "assert t['d'].shape == (1, 1) and t['d'][0, 0] == 3.25\n"
                + "assert t['i'].tolist() == [7, 8, 9] and t['l'][0] == 2**63 - 1\n"
                + "with safe_open('" + file + "', framework='numpy') as f:\n"
                + "    assert f.metadata() == {'k': 'v'}\n";
        assertEquals(0, python(script, dir));
    }

    private static int python(String script, Path dir) throws IOException, InterruptedException {
        Path s = dir.resolve("check.py");
        Files.writeString(s, script);
        Process p;
        try {
            p = new ProcessBuilder("python3", s.toString()).redirectErrorStream(true).start();
        } catch (IOException noPython) {
            return -1;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        int rc = p.waitFor();
        if (rc != 0 && script.contains("load_file")) {
            System.err.println(out);
        }
        return rc;
    }
}

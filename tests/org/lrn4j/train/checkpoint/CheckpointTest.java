package org.lrn4j.train.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lrn4j.train.checkpoint.Safetensors.Dtype;

class CheckpointTest {
    /** A checkpoint of "step" {@code step}: weights, Adam moments, a carried state and the training state. */
    private static Checkpoint.Contents contents(int step) {
        float[] w = new float[64];
        double[] m = new double[64];
        for (int i = 0; i < w.length; i++) {
            w[i] = step + i * 0.25f;
            m[i] = step * 1e-3 + i;
        }
        JsonObject model = new JsonObject();
        model.addProperty("cell", "lrn");
        model.addProperty("hidden", 8);
        JsonObject training = new JsonObject();
        training.addProperty("step", step);
        training.addProperty("epoch", step / 10);
        training.addProperty("best_valid_ppl", 123.456789012345);
        training.addProperty("rng_state", Long.MIN_VALUE + step);
        return new Checkpoint.Contents().model(model).training(training)
                .tensors(Checkpoint.MODEL, new SafetensorsWriter().add("layer0.weight", w, 8, 8))
                .tensors(Checkpoint.OPTIMIZER, new SafetensorsWriter().add("layer0.weight.adam_m", m, 8, 8)
                        .add("adam.step", new long[] {step}, 1))
                .tensors(Checkpoint.STATE, new SafetensorsWriter().add("h", new float[] {step, -step}, 1, 2));
    }

    private static int step(Checkpoint c) {
        return c.training().get("step").getAsInt();
    }

    /** Tensor data that fails part-way, as a crash or a full disk would. */
    private static Checkpoint.Contents failing() {
        return new Checkpoint.Contents().tensors(Checkpoint.MODEL, new SafetensorsWriter()
                .add("w", Dtype.F32, new long[] {1 << 20}, out -> {
                    out.write(ByteBuffer.allocate(1 << 19));
                    throw new IOException("simulated crash while writing");
                }));
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesAndReadsEveryPart(@TempDir Path dir) throws IOException {
        Path ck = dir.resolve("ck");
        Checkpoint.write(ck, contents(7));
        assertEquals(List.of("checkpoint.json", "model.safetensors", "optimizer.safetensors", "state.safetensors"), names(ck));
        assertEquals(List.of("ck"), names(dir), "no temporary directory left");
        try (Checkpoint c = Checkpoint.open(ck)) {
            assertEquals(List.of("model", "optimizer", "state"), c.parts());
            assertEquals("lrn", c.model().get("cell").getAsString());
            assertEquals(7, step(c));
            assertEquals(123.456789012345, c.training().get("best_valid_ppl").getAsDouble());
            assertEquals(Long.MIN_VALUE + 7, c.training().get("rng_state").getAsLong());
            assertEquals(7.25f, c.tensors("model").floats("layer0.weight")[1]);
            assertEquals(7e-3 + 63, c.tensors("optimizer").doubles("layer0.weight.adam_m")[63]);
            assertArrayEquals(new long[] {7}, c.tensors("optimizer").longs("adam.step"));
            Checkpoint.FileRecord r = c.records().get("model");
            assertEquals(Files.size(ck.resolve("model.safetensors")), r.bytes());
            assertEquals(Checkpoint.sha256(ck.resolve("model.safetensors")), r.sha256());
            assertThrows(IllegalArgumentException.class, () -> c.tensors("missing"));
        }
        JsonObject json = JsonParser.parseString(Files.readString(ck.resolve("checkpoint.json"))).getAsJsonObject();
        assertEquals("lrn4j-checkpoint", json.get("format").getAsString());
        assertEquals("state.safetensors", json.getAsJsonObject("tensors").getAsJsonObject("state").get("file").getAsString());
    }

    @Test
    void aCheckpointIsNeverWrittenOverAnother(@TempDir Path dir) throws IOException {
        Path ck = dir.resolve("ck");
        Checkpoint.write(ck, contents(1));
        assertThrows(FileAlreadyExistsException.class, () -> Checkpoint.write(ck, contents(2)));
        try (Checkpoint c = Checkpoint.open(ck)) {
            assertEquals(1, step(c));
        }
        assertThrows(IllegalArgumentException.class, () -> Checkpoint.write(dir.resolve("x"), new Checkpoint.Contents()),
                "the model part is required");
        assertThrows(IllegalArgumentException.class, () -> new Checkpoint.Contents().tensors("../evil", new SafetensorsWriter()));
    }

    @Test
    void aFailureDuringTheWriteLeavesNothing(@TempDir Path dir) throws IOException {
        IOException e = assertThrows(IOException.class, () -> Checkpoint.write(dir.resolve("ck"), failing()));
        assertEquals("simulated crash while writing", e.getMessage());
        assertEquals(List.of(), names(dir), "neither the checkpoint nor its temporary directory");

        JsonObject nan = new JsonObject();
        nan.addProperty("loss", Double.NaN);
        assertThrows(IllegalArgumentException.class, () -> Checkpoint.write(dir.resolve("ck"), contents(1).training(nan)));
        assertEquals(List.of(), names(dir));
    }

    @Test
    void aCrashDuringASaveKeepsThePreviousCheckpoint(@TempDir Path dir) throws IOException {
        CheckpointStore store = new CheckpointStore(dir.resolve("run"));
        assertTrue(store.latest().isEmpty());
        Path first = store.save(contents(10), true);
        assertEquals("ckpt-000001", first.getFileName().toString());

        assertThrows(IOException.class, () -> store.save(failing(), false));
        assertEquals(first, store.latest().orElseThrow());
        try (Checkpoint c = CheckpointStore.open(store.root())) {
            assertEquals(10, step(c), "the previous checkpoint still loads");
        }

        // a crash that kills the process leaves its temporary directory; readers ignore it, the next save removes it
        Path leftover = Files.createDirectory(store.root().resolve(".ckpt-000002.tmp-123"));
        Files.write(leftover.resolve("model.safetensors"), new byte[100]);
        Files.createDirectory(store.root().resolve(".trash-ckpt-000000"));
        assertEquals(first, store.latest().orElseThrow());
        Path second = store.save(contents(20), false);
        assertEquals("ckpt-000002", second.getFileName().toString());
        assertEquals(List.of("best", "ckpt-000001", "ckpt-000002"), names(store.root()));
    }

    @Test
    void theStoreKeepsTheNewestAndTheBest(@TempDir Path dir) throws IOException {
        CheckpointStore store = new CheckpointStore(dir, 2);
        store.save(contents(1), false);
        store.save(contents(2), true);
        store.save(contents(3), false);
        store.save(contents(4), false);
        store.save(contents(5), false);
        assertEquals(List.of("best", "ckpt-000002", "ckpt-000004", "ckpt-000005"), names(dir));
        try (Checkpoint best = Checkpoint.open(store.best().orElseThrow());
             Checkpoint latest = CheckpointStore.open(dir);
             Checkpoint direct = CheckpointStore.open(dir.resolve("ckpt-000004"))) {
            assertEquals(2, step(best));
            assertEquals(5, step(latest));
            assertEquals(4, step(direct));
        }
        store.save(contents(6), true);
        assertEquals(List.of("best", "ckpt-000005", "ckpt-000006"), names(dir), "the old best goes once it is not best");
        assertThrows(NoSuchFileException.class, () -> CheckpointStore.open(dir.resolve("nothing")));
        assertThrows(IllegalArgumentException.class, () -> new CheckpointStore(dir, 0));
    }

    /** Changes a file in place. */
    private static void patch(Path file, long position, byte value) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {value}), position);
        }
    }

    private static String rejection(Path ck) {
        IOException e = assertThrows(IOException.class, () -> Checkpoint.open(ck).close());
        return e.getMessage();
    }

    @Test
    void corruptedCheckpointsAreRejected(@TempDir Path dir) throws IOException {
        Path ck = dir.resolve("ck");
        Checkpoint.write(ck, contents(3));
        Path model = ck.resolve("model.safetensors");
        Path json = ck.resolve("checkpoint.json");
        byte[] modelBytes = Files.readAllBytes(model);
        String jsonText = Files.readString(json);

        patch(model, modelBytes.length - 1, (byte) (modelBytes[modelBytes.length - 1] ^ 1));
        String m = rejection(ck);
        assertTrue(m.contains("model.safetensors") && m.contains("SHA-256") && m.contains("corrupted"), m);

        Files.write(model, java.util.Arrays.copyOf(modelBytes, modelBytes.length - 8));
        m = rejection(ck);
        assertTrue(m.contains("truncated"), m);

        Files.delete(model);
        assertTrue(rejection(ck).contains("missing"));
        Files.write(model, modelBytes);
        Checkpoint.open(ck).close();

        Files.writeString(json, jsonText.substring(0, jsonText.length() / 2));
        m = rejection(ck);
        assertTrue(m.contains("checkpoint.json") && m.contains("not valid JSON"), m);
        Files.writeString(json, jsonText.replace("lrn4j-checkpoint", "other"));
        assertTrue(rejection(ck).contains("format is \"other\""));
        Files.writeString(json, jsonText.replace("\"version\": 1", "\"version\": 2"));
        assertTrue(rejection(ck).contains("version 2"));
        Files.writeString(json, jsonText.replace("\"model.safetensors\"", "\"../model.safetensors\""));
        assertTrue(rejection(ck).contains("expected \"model.safetensors\""));
        Files.writeString(json, jsonText.replaceFirst("\"sha256\": \"[0-9a-f]{64}\"", "\"sha256\": \"abc\""));
        assertTrue(rejection(ck).contains("64 lower-case hex"));
        Files.writeString(json, jsonText.replaceFirst("\"bytes\": \\d+", "\"bytes\": -5"));
        assertTrue(rejection(ck).contains("non-negative integer"));

        // a model file whose recorded size and checksum match but whose header is broken
        String modelSha = Checkpoint.sha256(model);
        byte[] broken = modelBytes.clone();
        broken[8] = '[';
        Files.write(model, broken);
        Files.writeString(json, jsonText.replace(modelSha, Checkpoint.sha256(model)));
        m = rejection(ck);
        assertTrue(m.contains("model.safetensors") && m.contains("does not start with '{'"), m);
        assertThrows(NoSuchFileException.class, () -> Checkpoint.open(dir));
    }
}

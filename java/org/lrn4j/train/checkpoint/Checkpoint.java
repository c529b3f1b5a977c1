package org.lrn4j.train.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;

/**
 * One checkpoint: a directory holding {@code model.safetensors}, any other tensor files (by convention
 * {@code optimizer.safetensors} with the optimizer's state, such as Adam's moments and step counts, and
 * {@code state.safetensors} with a recurrent state carried between batches), and {@code checkpoint.json}:
 * <pre>
 * {
 *   "format": "lrn4j-checkpoint", "version": 1,
 *   "model":    { … model configuration, written and read by the training code … },
 *   "training": { … step, epoch, optimizer hyper-parameters, RNG state, best validation score … },
 *   "tensors":  { "model":     {"file": "model.safetensors",     "bytes": 1234, "sha256": "…"},
 *                 "optimizer": {"file": "optimizer.safetensors", "bytes": 2468, "sha256": "…"} }
 * }
 * </pre>
 * Everything a resumed run needs to continue exactly as if uninterrupted goes in one of the two JSON objects
 * or in a tensor file: this class treats them as opaque.
 *
 * <p><b>Atomic.</b> {@link #write} builds the checkpoint in a hidden temporary directory beside the target,
 * forces every file and the directory to the storage device, then renames the directory to its name in one
 * atomic step and forces the parent. A crash at any moment leaves either no new checkpoint (and the
 * temporary directory, which {@link CheckpointStore} removes later) or a complete one: a checkpoint directory
 * never holds a partial file. {@link CheckpointStore} keeps the previous checkpoints next to it.
 *
 * <p><b>Checked.</b> {@link #open} reads {@code checkpoint.json} strictly, checks each tensor file's size and
 * SHA-256 against it and parses its header; anything wrong is a {@link FileFormatException} naming the file.
 */
public final class Checkpoint implements AutoCloseable {
    /** Name of the JSON file. */
    public static final String JSON_FILE = "checkpoint.json";
    /** Part holding the model's parameters: {@code model.safetensors}. */
    public static final String MODEL = "model";
    /** Part holding the optimizer's state: {@code optimizer.safetensors}. */
    public static final String OPTIMIZER = "optimizer";
    /** Part holding a carried recurrent state: {@code state.safetensors}. */
    public static final String STATE = "state";

    static final String FORMAT = "lrn4j-checkpoint";
    static final int VERSION = 1;
    private static final String EXTENSION = ".safetensors";
    private static final Pattern PART = Pattern.compile("[a-z][a-z0-9_-]{0,63}");
    private static final long MAX_JSON_BYTES = 1L << 28;

    /** What a checkpoint holds, to be written. */
    public static final class Contents {
        private JsonObject model = new JsonObject();
        private JsonObject training = new JsonObject();
        private final Map<String, SafetensorsWriter> parts = new LinkedHashMap<>();

        /** The model configuration (copied when written). */
        public Contents model(JsonObject config) {
            this.model = Objects.requireNonNull(config, "config");
            return this;
        }

        /**
         * The training state (copied when written). JSON has no NaN or infinity: a non-finite number fails the
         * write; store such a value as null or a string.
         */
        public Contents training(JsonObject state) {
            this.training = Objects.requireNonNull(state, "state");
            return this;
        }

        /** A tensor file: {@code part} names it ({@code part.safetensors}); lower-case letters, digits, '-', '_'. */
        public Contents tensors(String part, SafetensorsWriter writer) {
            if (!PART.matcher(Objects.requireNonNull(part, "part")).matches()) {
                throw new IllegalArgumentException("tensor part \"" + part + "\" must match " + PART.pattern());
            }
            Objects.requireNonNull(writer, "writer");
            if (parts.putIfAbsent(part, writer) != null) {
                throw new IllegalArgumentException("tensor part \"" + part + "\" was given twice");
            }
            return this;
        }
    }

    /**
     * A tensor file as recorded in {@code checkpoint.json}.
     *
     * @param file   its name in the checkpoint directory
     * @param bytes  its size
     * @param sha256 lower-case hex SHA-256 of its bytes
     */
    public record FileRecord(String file, long bytes, String sha256) {
    }

    private final Path directory;
    private final JsonObject model;
    private final JsonObject training;
    private final Map<String, FileRecord> records;
    private final Map<String, SafetensorsFile> files;

    private Checkpoint(Path directory, JsonObject model, JsonObject training, Map<String, FileRecord> records,
                       Map<String, SafetensorsFile> files) {
        this.directory = directory;
        this.model = model;
        this.training = training;
        this.records = records;
        this.files = files;
    }

    /**
     * Writes a checkpoint to a new directory {@code dir} atomically (see the class comment). {@code dir} must
     * not exist; its parent is created if needed. On any error nothing appears at {@code dir} and the
     * temporary directory is removed.
     */
    public static void write(Path dir, Contents contents) throws IOException {
        Objects.requireNonNull(contents, "contents");
        if (!contents.parts.containsKey(MODEL)) {
            throw new IllegalArgumentException("a checkpoint needs the \"" + MODEL + "\" tensors");
        }
        requireFinite(contents.model, "model");
        requireFinite(contents.training, "training");
        Path target = dir.toAbsolutePath().normalize();
        Path parent = target.getParent();
        Files.createDirectories(parent);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(target.toString(), null, "a checkpoint is never written over an existing one");
        }
        Path tmp = parent.resolve(temporaryName(target.getFileName().toString()));
        Files.createDirectory(tmp);
        try {
            JsonObject tensors = new JsonObject();
            for (Map.Entry<String, SafetensorsWriter> e : contents.parts.entrySet()) {
                String file = e.getKey() + EXTENSION;
                SafetensorsWriter.Written w = e.getValue().write(tmp.resolve(file));
                JsonObject r = new JsonObject();
                r.addProperty("file", file);
                r.addProperty("bytes", w.bytes());
                r.addProperty("sha256", w.sha256());
                tensors.add(e.getKey(), r);
            }
            JsonObject json = new JsonObject();
            json.addProperty("format", FORMAT);
            json.addProperty("version", VERSION);
            json.add("model", contents.model.deepCopy());
            json.add("training", contents.training.deepCopy());
            json.add("tensors", tensors);
            writeForced(tmp.resolve(JSON_FILE), toJson(json));
            fsyncDirectory(tmp);
            moveAtomically(tmp, target);
            fsyncDirectory(parent);
        } catch (IOException | RuntimeException | Error e) {
            deleteTree(tmp);
            throw e;
        }
    }

    /** Opens and checks a checkpoint directory (see the class comment). */
    public static Checkpoint open(Path dir) throws IOException {
        Path jsonFile = dir.resolve(JSON_FILE);
        if (!Files.isRegularFile(jsonFile)) {
            throw new NoSuchFileException(jsonFile.toString(), null, "not a checkpoint directory (no " + JSON_FILE + ")");
        }
        JsonObject json = readJson(jsonFile);
        String where = jsonFile.toString();
        String format = string(json, "format", where);
        if (!FORMAT.equals(format)) {
            throw new FileFormatException(where + ": format is \"" + format + "\", not \"" + FORMAT + "\"");
        }
        long version = number(json, "version", where);
        if (version != VERSION) {
            throw new FileFormatException(where + ": checkpoint version " + version + " is not supported (this reads " + VERSION + ")");
        }
        JsonObject model = object(json, "model", where);
        JsonObject training = object(json, "training", where);
        JsonObject tensors = object(json, "tensors", where);
        Map<String, FileRecord> records = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : tensors.entrySet()) {
            String part = e.getKey();
            String w = where + ": tensors \"" + part + "\"";
            if (!PART.matcher(part).matches() || !e.getValue().isJsonObject()) {
                throw new FileFormatException(w + " is not a valid part");
            }
            JsonObject r = e.getValue().getAsJsonObject();
            String file = string(r, "file", w);
            if (!file.equals(part + EXTENSION)) {
                throw new FileFormatException(w + " names file \"" + file + "\", expected \"" + part + EXTENSION + "\"");
            }
            String sha = string(r, "sha256", w);
            if (!sha.matches("[0-9a-f]{64}")) {
                throw new FileFormatException(w + " sha256 \"" + sha + "\" is not 64 lower-case hex digits");
            }
            records.put(part, new FileRecord(file, number(r, "bytes", w), sha));
        }
        if (!records.containsKey(MODEL)) {
            throw new FileFormatException(where + ": no \"" + MODEL + "\" tensors recorded");
        }
        Map<String, SafetensorsFile> files = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, FileRecord> e : records.entrySet()) {
                FileRecord r = e.getValue();
                Path f = dir.resolve(r.file());
                verify(f, r);
                files.put(e.getKey(), SafetensorsFile.open(f));
            }
        } catch (IOException | RuntimeException e) {
            for (SafetensorsFile f : files.values()) {
                f.close();
            }
            throw e;
        }
        return new Checkpoint(dir, model, training, Collections.unmodifiableMap(records), files);
    }

    /** The directory this was read from. */
    public Path directory() {
        return directory;
    }

    /** The model configuration (a copy). */
    public JsonObject model() {
        return model.deepCopy();
    }

    /** The training state (a copy). */
    public JsonObject training() {
        return training.deepCopy();
    }

    /** Names of the tensor parts ("model", "optimizer", …). */
    public List<String> parts() {
        return List.copyOf(files.keySet());
    }

    public boolean hasPart(String part) {
        return files.containsKey(part);
    }

    /** A tensor part, open; closed with this checkpoint. */
    public SafetensorsFile tensors(String part) {
        SafetensorsFile f = files.get(part);
        if (f == null) {
            throw new IllegalArgumentException(directory + " has no \"" + part + "\" tensors (it has " + parts() + ")");
        }
        return f;
    }

    /** What {@code checkpoint.json} records about each tensor file. */
    public Map<String, FileRecord> records() {
        return records;
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (SafetensorsFile f : files.values()) {
            try {
                f.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private static void verify(Path file, FileRecord r) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new FileFormatException(file + ": missing (" + JSON_FILE + " records it)");
        }
        long size = Files.size(file);
        if (size != r.bytes()) {
            throw new FileFormatException(file + ": " + size + " bytes, " + JSON_FILE + " records " + r.bytes()
                    + (size < r.bytes() ? " (truncated)" : ""));
        }
        String sha = sha256(file);
        if (!sha.equals(r.sha256())) {
            throw new FileFormatException(file + ": SHA-256 " + sha + " does not match " + r.sha256() + " recorded in "
                    + JSON_FILE + " (the file is corrupted or was replaced)");
        }
    }

    /** Lower-case hex SHA-256 of a file, read in 1 MiB blocks. */
    static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static JsonObject readJson(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_JSON_BYTES) {
            throw new FileFormatException(file + ": " + size + " bytes, too large for a checkpoint description");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new FileFormatException(file + ": not valid UTF-8", e);
        }
        try (JsonReader r = new JsonReader(new StringReader(text))) {
            r.setStrictness(Strictness.STRICT);
            JsonElement e = JsonParser.parseReader(r);
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw new FileFormatException(file + ": text after the JSON object");
            }
            if (!e.isJsonObject()) {
                throw new FileFormatException(file + ": not a JSON object");
            }
            return e.getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new FileFormatException(file + ": not valid JSON (truncated or corrupted?): " + e.getMessage(), e);
        }
    }

    private static String string(JsonObject o, String key, String where) throws FileFormatException {
        JsonElement e = o.get(key);
        if (!(e instanceof JsonPrimitive p) || !p.isString()) {
            throw new FileFormatException(where + ": no string \"" + key + "\"");
        }
        return p.getAsString();
    }

    private static long number(JsonObject o, String key, String where) throws FileFormatException {
        JsonElement e = o.get(key);
        if (!(e instanceof JsonPrimitive p) || !p.isNumber()) {
            throw new FileFormatException(where + ": no number \"" + key + "\"");
        }
        try {
            long v = new java.math.BigDecimal(p.getAsString()).longValueExact();
            if (v < 0) {
                throw new ArithmeticException("negative");
            }
            return v;
        } catch (ArithmeticException | NumberFormatException ex) {
            throw new FileFormatException(where + ": \"" + key + "\" is " + p.getAsString() + ", not a non-negative integer");
        }
    }

    private static JsonObject object(JsonObject o, String key, String where) throws FileFormatException {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonObject()) {
            throw new FileFormatException(where + ": no object \"" + key + "\"");
        }
        return e.getAsJsonObject();
    }

    /** JSON has no NaN or infinity (a strict reader refuses them): such a value is refused before anything is written. */
    private static void requireFinite(JsonElement e, String path) {
        if (e.isJsonObject()) {
            for (Map.Entry<String, JsonElement> c : e.getAsJsonObject().entrySet()) {
                requireFinite(c.getValue(), path + "." + c.getKey());
            }
        } else if (e.isJsonArray()) {
            for (int i = 0; i < e.getAsJsonArray().size(); i++) {
                requireFinite(e.getAsJsonArray().get(i), path + "[" + i + "]");
            }
        } else if (e instanceof JsonPrimitive p && p.isNumber()) {
            double v = p.getAsDouble();
            if (Double.isNaN(v) || Double.isInfinite(v)) {
                throw new IllegalArgumentException(path + " is " + v + ", which JSON cannot hold: store it as null or a string");
            }
        }
    }

    static String toJson(JsonObject json) {
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping()
                .create().toJson(json) + "\n";
    }

    /** "." + name + ".tmp-" + random: hidden, and recognisable by {@link CheckpointStore} as a leftover. */
    static String temporaryName(String name) {
        return "." + name + ".tmp-" + UUID.randomUUID();
    }

    /** Writes a small file and forces it to the storage device. */
    static void writeForced(Path file, String text) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
    }

    /** rename(2): atomic, and never silently falls back to copying. */
    static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot rename " + from + " to " + to + " atomically: " + e.getMessage(), e);
        }
    }

    /**
     * Forces a directory's entries (a new or renamed name) to the storage device. POSIX systems allow it;
     * where a directory cannot be opened for it (Windows) there is nothing to force and this does nothing.
     */
    static void fsyncDirectory(Path dir) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(dir, StandardOpenOption.READ);
        } catch (IOException e) {
            if (System.getProperty("os.name", "").startsWith("Windows")) {
                return;
            }
            throw e;
        }
        try (ch) {
            ch.force(true);
        }
    }

    /** Deletes a directory and what it holds, best effort (used on leftovers and on failure paths). */
    static void deleteTree(Path dir) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.deleteIfExists(dir);
            } catch (IOException ignored) {
                // best effort: a leftover is removed again by the next save
            }
            return;
        }
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            s.forEach(children::add);
        } catch (IOException ignored) {
            // best effort, as above
        }
        for (Path c : children) {
            deleteTree(c);
        }
        try {
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // best effort, as above
        }
    }
}

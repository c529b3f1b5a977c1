package org.lrn4j.data;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;

/**
 * A word ↔ id table with an unknown-word symbol.
 *
 * <p>Id order is deterministic: the reserved symbols first, in the order given (the unknown-word symbol is
 * always reserved, at id 0 unless the caller lists it elsewhere), then every other word whose count reaches
 * the minimum count, by descending count, ties broken by {@link String#compareTo} (UTF-16 code-unit order).
 * A word below the minimum count maps to the unknown-word symbol, whose recorded count is the sum of the
 * counts of the words it stands for plus its own. Every reserved symbol is kept whatever its count.
 *
 * <p>Immutable and safe to share between threads.
 */
public final class Vocabulary {
    /** The unknown-word symbol used by the corpora of this package. */
    public static final String UNKNOWN = "<unk>";
    /** The end-of-sentence symbol used where a corpus has sentences. */
    public static final String END_OF_SENTENCE = "<eos>";

    private static final String FORMAT = "lrn4j-vocabulary";
    private static final int VERSION = 1;

    private final String[] words;
    private final long[] counts;
    private final int reserved;
    private final int unknownId;
    private final int minCount;
    private final Map<String, Integer> ids;

    private Vocabulary(String[] words, long[] counts, int reserved, int unknownId, int minCount) {
        this.words = words;
        this.counts = counts;
        this.reserved = reserved;
        this.unknownId = unknownId;
        this.minCount = minCount;
        this.ids = new HashMap<>(words.length * 2);
        for (int i = 0; i < words.length; i++) {
            if (ids.put(words[i], i) != null) {
                throw new IllegalArgumentException("vocabulary lists \"" + words[i] + "\" twice");
            }
        }
    }

    /**
     * Builds a vocabulary from token counts.
     *
     * @param counts   occurrences of each token (in the training part of a corpus)
     * @param minCount a word needs at least this many occurrences to get its own id (≥ 1); the Brown
     *                 set-up of Bengio et al. maps words seen ≤ 3 times to the unknown symbol: minCount 4
     * @param unknown  the unknown-word symbol
     * @param reserved symbols that get the first ids in this order, whatever their counts; the unknown-word
     *                 symbol is put first if it is not among them
     */
    public static Vocabulary build(Map<String, Long> counts, int minCount, String unknown, List<String> reserved) {
        Objects.requireNonNull(counts, "counts");
        Objects.requireNonNull(unknown, "unknown");
        Objects.requireNonNull(reserved, "reserved");
        if (minCount < 1) {
            throw new IllegalArgumentException("minimum count must be at least 1, got " + minCount);
        }
        LinkedHashSet<String> head = new LinkedHashSet<>();
        if (!reserved.contains(unknown)) {
            head.add(unknown);
        }
        for (String r : reserved) {
            if (r == null || r.isEmpty()) {
                throw new IllegalArgumentException("a reserved symbol is null or empty");
            }
            if (!head.add(r)) {
                throw new IllegalArgumentException("reserved symbol \"" + r + "\" is listed twice");
            }
        }
        List<Map.Entry<String, Long>> kept = new ArrayList<>();
        long unknownCount = counts.getOrDefault(unknown, 0L);
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            String w = Objects.requireNonNull(e.getKey(), "null token");
            long c = Objects.requireNonNull(e.getValue(), "null count");
            if (c < 0) {
                throw new IllegalArgumentException("negative count " + c + " for \"" + w + "\"");
            }
            if (head.contains(w)) {
                continue;
            }
            if (c >= minCount) {
                kept.add(e);
            } else {
                unknownCount += c;
            }
        }
        kept.sort((a, b) -> {
            int byCount = Long.compare(b.getValue(), a.getValue());
            return byCount != 0 ? byCount : a.getKey().compareTo(b.getKey());
        });
        int n = head.size() + kept.size();
        String[] words = new String[n];
        long[] wordCounts = new long[n];
        int i = 0;
        int unknownId = -1;
        for (String r : head) {
            if (r.equals(unknown)) {
                unknownId = i;
                wordCounts[i] = unknownCount;
            } else {
                wordCounts[i] = counts.getOrDefault(r, 0L);
            }
            words[i++] = r;
        }
        for (Map.Entry<String, Long> e : kept) {
            words[i] = e.getKey();
            wordCounts[i++] = e.getValue();
        }
        return new Vocabulary(words, wordCounts, head.size(), unknownId, minCount);
    }

    /** Counts the tokens of a sequence (a helper for {@link #build}). */
    public static Map<String, Long> count(Iterable<String> tokens) {
        Map<String, Long> counts = new HashMap<>();
        for (String t : tokens) {
            counts.merge(t, 1L, Long::sum);
        }
        return counts;
    }

    /** Number of ids. */
    public int size() {
        return words.length;
    }

    /** The id of a word, or the unknown-word id for a word not in the table. */
    public int id(String word) {
        Integer id = ids.get(word);
        return id == null ? unknownId : id;
    }

    /** Whether the word has an id of its own. */
    public boolean contains(String word) {
        return ids.containsKey(word);
    }

    /** The word of an id. */
    public String word(int id) {
        if (id < 0 || id >= words.length) {
            throw new IndexOutOfBoundsException("id " + id + " is outside the vocabulary [0, " + words.length + ")");
        }
        return words[id];
    }

    /** Occurrences counted for an id when the vocabulary was built (for the unknown symbol: all the words it replaced). */
    public long count(int id) {
        word(id);
        return counts[id];
    }

    public int unknownId() {
        return unknownId;
    }

    public String unknown() {
        return words[unknownId];
    }

    /** The reserved symbols, in id order (ids 0 … n−1). */
    public List<String> reserved() {
        return List.of(words).subList(0, reserved);
    }

    /** The minimum count this vocabulary was built with. */
    public int minCount() {
        return minCount;
    }

    /** All words in id order. */
    public List<String> words() {
        return Collections.unmodifiableList(List.of(words));
    }

    /** Ids of a token sequence; unknown words map to {@link #unknownId()}. */
    public int[] encode(List<String> tokens) {
        int[] out = new int[tokens.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = id(tokens.get(i));
        }
        return out;
    }

    /** Words of an id sequence. */
    public List<String> decode(int[] ids) {
        List<String> out = new ArrayList<>(ids.length);
        for (int id : ids) {
            out.add(word(id));
        }
        return out;
    }

    /**
     * The JSON form: {@code {"format": "lrn4j-vocabulary", "version": 1, "unknown": "<unk>", "reserved": 2,
     * "min_count": 4, "words": [...], "counts": [...]}}, words in id order. Training code can put this object
     * in a checkpoint's model configuration.
     */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("format", FORMAT);
        o.addProperty("version", VERSION);
        o.addProperty("unknown", unknown());
        o.addProperty("reserved", reserved);
        o.addProperty("min_count", minCount);
        JsonArray w = new JsonArray(words.length);
        JsonArray c = new JsonArray(words.length);
        for (int i = 0; i < words.length; i++) {
            w.add(words[i]);
            c.add(counts[i]);
        }
        o.add("words", w);
        o.add("counts", c);
        return o;
    }

    /** Reads the JSON form written by {@link #toJson()}; a malformed object is an {@link IllegalArgumentException}. */
    public static Vocabulary fromJson(JsonObject o) {
        try {
            String format = string(o, "format");
            if (!FORMAT.equals(format)) {
                throw new IllegalArgumentException("not a vocabulary: format is \"" + format + "\", expected \"" + FORMAT + "\"");
            }
            int version = o.get("version").getAsInt();
            if (version != VERSION) {
                throw new IllegalArgumentException("vocabulary format version " + version + " is not supported (expected " + VERSION + ")");
            }
            String unknown = string(o, "unknown");
            int reserved = o.get("reserved").getAsInt();
            int minCount = o.get("min_count").getAsInt();
            JsonArray w = o.getAsJsonArray("words");
            JsonArray c = o.getAsJsonArray("counts");
            if (w == null || c == null || w.size() != c.size()) {
                throw new IllegalArgumentException("vocabulary \"words\" and \"counts\" are missing or differ in length");
            }
            if (reserved < 1 || reserved > w.size()) {
                throw new IllegalArgumentException("vocabulary has " + reserved + " reserved symbols but " + w.size() + " words");
            }
            String[] words = new String[w.size()];
            long[] counts = new long[w.size()];
            int unknownId = -1;
            for (int i = 0; i < words.length; i++) {
                words[i] = w.get(i).getAsString();
                counts[i] = c.get(i).getAsLong();
                if (words[i].equals(unknown)) {
                    unknownId = i;
                }
            }
            if (unknownId < 0 || unknownId >= reserved) {
                throw new IllegalArgumentException("vocabulary does not reserve its unknown symbol \"" + unknown + "\"");
            }
            return new Vocabulary(words, counts, reserved, unknownId, minCount);
        } catch (NullPointerException | ClassCastException | IllegalStateException | UnsupportedOperationException
                 | NumberFormatException e) {
            throw new IllegalArgumentException("malformed vocabulary JSON: " + e, e);
        }
    }

    private static String string(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (!(e instanceof JsonPrimitive p) || !p.isString()) {
            throw new IllegalArgumentException("vocabulary JSON has no string \"" + key + "\"");
        }
        return p.getAsString();
    }

    /** Writes the JSON form to a file (UTF-8). */
    public void save(Path file) throws IOException {
        Gson gson = new GsonBuilder().disableHtmlEscaping().create();
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            gson.toJson(toJson(), out);
            out.write('\n');
        }
    }

    /** Reads a file written by {@link #save}. */
    public static Vocabulary load(Path file) throws IOException {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            JsonElement e = JsonParser.parseReader(in);
            if (!e.isJsonObject()) {
                throw new IOException(file + ": not a vocabulary (the JSON is not an object)");
            }
            return fromJson(e.getAsJsonObject());
        } catch (JsonParseException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Vocabulary v && v.reserved == reserved && v.unknownId == unknownId && v.minCount == minCount
                && java.util.Arrays.equals(v.words, words) && java.util.Arrays.equals(v.counts, counts);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(words);
    }

    @Override
    public String toString() {
        return "Vocabulary(" + words.length + " words, unknown " + unknown() + ", min count " + minCount + ")";
    }
}

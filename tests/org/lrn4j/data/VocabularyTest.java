package org.lrn4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VocabularyTest {
    private static Map<String, Long> counts() {
        Map<String, Long> c = new HashMap<>();
        c.put("the", 10L);
        c.put("cat", 4L);
        c.put("bat", 4L);
        c.put("Ant", 4L);
        c.put("rare", 3L);
        c.put("once", 1L);
        c.put("<eos>", 5L);
        return c;
    }

    @Test
    void reservedFirstThenByDescendingCountThenByString() {
        Vocabulary v = Vocabulary.build(counts(), 4, "<unk>", List.of("<unk>", "<eos>"));
        assertEquals(List.of("<unk>", "<eos>", "the", "Ant", "bat", "cat"), v.words());
        assertEquals(List.of("<unk>", "<eos>"), v.reserved());
        assertEquals(0, v.unknownId());
        assertEquals(3 + 1, v.count(0), "the unknown symbol counts the words it replaces");
        assertEquals(5, v.count(1));
        assertEquals(v.unknownId(), v.id("rare"));
        assertEquals(v.unknownId(), v.id("never-seen"));
        assertTrue(v.contains("cat"));
        assertFalse(v.contains("once"));
        assertEquals("cat", v.word(v.id("cat")));
        assertEquals(4, v.minCount());
    }

    @Test
    void unknownIsReservedFirstWhenNotListed() {
        Vocabulary v = Vocabulary.build(counts(), 1, "<unk>", List.of("<eos>"));
        assertEquals("<unk>", v.word(0));
        assertEquals("<eos>", v.word(1));
        assertEquals(2 + 6, v.size());
        assertEquals(0, v.count(0));
    }

    @Test
    void encodeAndDecode() {
        Vocabulary v = Vocabulary.build(counts(), 4, "<unk>", List.of("<unk>"));
        int[] ids = v.encode(List.of("the", "rare", "cat"));
        assertEquals(List.of("the", "<unk>", "cat"), v.decode(ids));
        assertThrows(IndexOutOfBoundsException.class, () -> v.word(v.size()));
        assertThrows(IndexOutOfBoundsException.class, () -> v.word(-1));
    }

    @Test
    void sameCountsGiveSameIdsWhateverTheMapOrder() {
        Map<String, Long> a = new java.util.TreeMap<>(counts());
        Map<String, Long> b = new java.util.LinkedHashMap<>();
        List<String> keys = new java.util.ArrayList<>(counts().keySet());
        java.util.Collections.reverse(keys);
        keys.forEach(k -> b.put(k, counts().get(k)));
        assertEquals(Vocabulary.build(a, 2, "<unk>", List.of()), Vocabulary.build(b, 2, "<unk>", List.of()));
    }

    @Test
    void jsonRoundTrip(@TempDir Path dir) throws IOException {
        Vocabulary v = Vocabulary.build(counts(), 2, "<unk>", List.of("<unk>", "<eos>"));
        Path f = dir.resolve("vocab.json");
        v.save(f);
        Vocabulary back = Vocabulary.load(f);
        assertEquals(v, back);
        assertEquals(v.words(), back.words());
        assertEquals(v.count(0), back.count(0));
        assertEquals(v, Vocabulary.fromJson(v.toJson()));
        assertTrue(Files.readString(f).contains("\"<unk>\""), "no HTML escaping of < and >");
    }

    @Test
    void malformedJsonIsAClearError(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, "{\"format\": \"lrn4j-vocabulary\", \"version\": 1, \"words\": [");
        IOException e = assertThrows(IOException.class, () -> Vocabulary.load(f));
        assertTrue(e.getMessage().contains("bad.json"), e.getMessage());

        Files.writeString(f, "{\"format\": \"something-else\"}");
        e = assertThrows(IOException.class, () -> Vocabulary.load(f));
        assertTrue(e.getMessage().contains("not a vocabulary"), e.getMessage());

        var o = Vocabulary.build(counts(), 1, "<unk>", List.of()).toJson();
        o.getAsJsonArray("counts").remove(0);
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.fromJson(o));
    }

    @Test
    void badArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.build(counts(), 0, "<unk>", List.of()));
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.build(counts(), 1, "<unk>", List.of("<eos>", "<eos>")));
        Map<String, Long> negative = new HashMap<>(Map.of("a", -1L));
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.build(negative, 1, "<unk>", List.of()));
    }
}

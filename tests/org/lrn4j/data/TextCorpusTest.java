package org.lrn4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextCorpusTest {
    @Test
    void tokensAreWhitespaceRunsAndLinesAreSentences(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("a.txt");
        Files.writeString(f, "\uFEFFThe cat, sat.\r\n\n   \n\tOn\u2003the  mat \nlast", StandardCharsets.UTF_8);
        assertEquals(List.of("The", "cat,", "sat.", "<eos>", "On", "the", "mat", "<eos>", "last", "<eos>"),
                TextCorpus.tokens(f, true));
        assertEquals(List.of("The", "cat,", "sat.", "On", "the", "mat", "last"), TextCorpus.tokens(f, false));
    }

    @Test
    void malformedUtf8NamesFileOffsetAndLine(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.txt");
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes("ok line\nsecond é line\n".getBytes(StandardCharsets.UTF_8));
        int offset = b.size();
        b.writeBytes(new byte[] {'x', (byte) 0xC3, '(', 'y'});
        Files.write(f, b.toByteArray());
        IOException e = assertThrows(IOException.class, () -> TextCorpus.tokens(f, true));
        assertTrue(e.getMessage().contains("bad.txt"), e.getMessage());
        assertTrue(e.getMessage().contains("byte " + (offset + 1)), e.getMessage());
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());
        assertTrue(e.getMessage().contains("c3"), e.getMessage());

        Files.write(f, new byte[] {'a', ' ', (byte) 0xE2, (byte) 0x82});
        e = assertThrows(IOException.class, () -> TextCorpus.tokens(f, true));
        assertTrue(e.getMessage().contains("byte 2"), e.getMessage());
    }

    @Test
    void multiByteCharactersAcrossReadChunksDecode(@TempDir Path dir) throws IOException {
        StringBuilder s = new StringBuilder();
        List<String> expected = new ArrayList<>();
        for (int i = 0; s.length() < 300_000; i++) {
            String w = "wörd" + i + "€𝄞";
            s.append(w).append(i % 7 == 0 ? '\n' : ' ');
            expected.add(w);
        }
        Path f = dir.resolve("long.txt");
        Files.writeString(f, s, StandardCharsets.UTF_8);
        assertEquals(expected, TextCorpus.tokens(f, false));
    }

    @Test
    void directoryOfThreeFiles(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("ptb.train.txt"), "a b a\nb a c\n");
        Files.writeString(dir.resolve("ptb.valid.txt"), "a d\n");
        Files.writeString(dir.resolve("ptb.test.txt"), "c c\n");
        LanguageModelCorpus c = TextCorpus.load(dir, 2, true);
        Vocabulary v = c.vocabulary();
        assertEquals(List.of("<unk>", "<eos>", "a", "b"), v.words());
        assertArrayEquals(new int[] {2, 3, 2, 1, 3, 2, 0, 1}, c.train());
        assertArrayEquals(new int[] {2, 0, 1}, c.valid());
        assertArrayEquals(new int[] {0, 0, 1}, c.test());
        assertEquals(2.0 / 3, LanguageModelCorpus.unknownRate(c.test(), v), 1e-12);

        Files.writeString(dir.resolve("other.train.txt"), "x\n");
        IOException e = assertThrows(IOException.class, () -> TextCorpus.load(dir, 1, true));
        assertTrue(e.getMessage().contains("train"), e.getMessage());
    }

    @Test
    void singleFileIsCutIntoContiguousParts(@TempDir Path dir) throws IOException {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            s.append("w").append(i % 10).append(' ');
        }
        Path f = dir.resolve("corpus.txt");
        Files.writeString(f, s);
        LanguageModelCorpus c = TextCorpus.load(f, 1, false);
        assertEquals(80, c.train().length);
        assertEquals(10, c.valid().length);
        assertEquals(10, c.test().length);
        assertEquals("w0", c.vocabulary().word(c.valid()[0]));
        assertEquals("w0", c.vocabulary().word(c.test()[0]));

        Files.writeString(f, "a b");
        assertThrows(IOException.class, () -> TextCorpus.load(f, 1, false));
        assertThrows(IOException.class, () -> TextCorpus.load(dir.resolve("missing.txt"), 1, false));
    }
}

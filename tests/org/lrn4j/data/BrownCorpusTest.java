package org.lrn4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BrownCorpusTest {
    /** Two paragraphs (three sentences) in the NLTK layout: blank lines between paragraphs, tab-indented. */
    private static final String TEXT = "\n\n\tThe/at Fulton/np-tl jury/nn said/vbd ./.\n"
            + "\tI'd/ppss+md pay/vb 1/2/cd of/in it/ppo ./.\n\n\n"
            + "\t``/`` Only/rb and/or/cc //in ''/'' ./.\n\n";

    @Test
    void readsWordsParagraphsAndSentences(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("ca01");
        Files.writeString(f, TEXT);
        List<String> marks = new ArrayList<>();
        BrownCorpus.readText(f, BrownCorpus.Boundaries.PARAGRAPHS_AND_TEXTS, marks);
        assertEquals(List.of("The", "Fulton", "jury", "said", ".", "I'd", "pay", "1/2", "of", "it", ".", "</p>",
                "``", "Only", "and/or", "/", "''", ".", "</p>", "</text>"), marks);

        List<String> sentences = new ArrayList<>();
        BrownCorpus.readText(f, BrownCorpus.Boundaries.SENTENCES, sentences);
        assertEquals(3, sentences.stream().filter("<eos>"::equals).count());
        assertEquals(17 + 3, sentences.size());

        List<String> none = new ArrayList<>();
        BrownCorpus.readText(f, BrownCorpus.Boundaries.NONE, none);
        assertEquals(17, none.size());
    }

    @Test
    void aParagraphAtTheEndOfAFileWithoutBlankLineIsClosed(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("cb02");
        Files.writeString(f, "A/at b/nn");
        List<String> out = new ArrayList<>();
        BrownCorpus.readText(f, BrownCorpus.Boundaries.PARAGRAPHS_AND_TEXTS, out);
        assertEquals(List.of("A", "b", "</p>", "</text>"), out);
    }

    @Test
    void aTokenWithoutTagIsAnError(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("ca01");
        Files.writeString(f, "\tThe/at jury ./.\n");
        IOException e = assertThrows(IOException.class,
                () -> BrownCorpus.readText(f, BrownCorpus.Boundaries.NONE, new ArrayList<>()));
        assertTrue(e.getMessage().contains("line 1") && e.getMessage().contains("\"jury\""), e.getMessage());
    }

    @Test
    void splitCutsTheStreamAndCountsTrainingOnly() {
        List<String> tokens = List.of("a", "a", "b", "a", "b", "c", "</p>", "c", "c", "c", "d", "d");
        LanguageModelCorpus c = BrownCorpus.split("t", tokens, List.of("</p>"), 6, 3, 2);
        assertEquals(List.of("<unk>", "</p>", "a", "b"), c.vocabulary().words());
        assertEquals(6, c.train().length);
        assertEquals(3, c.valid().length);
        assertEquals(3, c.test().length);
        assertEquals(1, c.vocabulary().count(c.vocabulary().id("c")), "c is rare in training: its id is <unk>");
    }

    @Test
    void aMissingOrIncompleteCorpusSaysHowToFetchIt(@TempDir Path dir) throws IOException {
        IOException e = assertThrows(IOException.class, () -> BrownCorpus.files(dir.resolve("nowhere")));
        assertTrue(e.getMessage().contains("fetch-corpora.sh"), e.getMessage());
        Files.writeString(dir.resolve("ca01"), TEXT);
        Files.writeString(dir.resolve("README"), "not a text");
        e = assertThrows(IOException.class, () -> BrownCorpus.files(dir));
        assertTrue(e.getMessage().contains("holds 1 "), e.getMessage());
    }

    /** The real corpus, when {@code scripts/fetch-corpora.sh} has fetched it. */
    @Test
    void theRealCorpusHasThePaperSplit() throws IOException {
        Path dir = BrownCorpus.defaultLocation();
        Assumptions.assumeTrue(Files.isDirectory(dir),
                "the Brown corpus is not in " + dir.toAbsolutePath() + " (run scripts/fetch-corpora.sh); skipping");

        List<String> words = BrownCorpus.tokens(dir, BrownCorpus.Boundaries.NONE);
        assertEquals(1_161_192, words.size(), "NLTK brown.words()");
        List<String> sentences = BrownCorpus.tokens(dir, BrownCorpus.Boundaries.SENTENCES);
        assertEquals(1_161_192 + 57_340, sentences.size(), "one <eos> per NLTK sentence");

        LanguageModelCorpus c = BrownCorpus.load(dir, BrownCorpus.Boundaries.PARAGRAPHS_AND_TEXTS);
        assertEquals(800_000, c.train().length);
        assertEquals(200_000, c.valid().length);
        assertEquals(1_177_359 - 1_000_000, c.test().length, "15,667 paragraph and 500 text marks");
        assertEquals(14_039, c.vocabulary().size());
        assertEquals(List.of("<unk>", "</p>", "</text>"), c.vocabulary().reserved());
        assertEquals("the", c.vocabulary().word(3));
        assertEquals("The", c.vocabulary().word(c.train()[0]), "case is kept");
        assertEquals(0.0907, LanguageModelCorpus.unknownRate(c.valid(), c.vocabulary()), 5e-4);
    }
}

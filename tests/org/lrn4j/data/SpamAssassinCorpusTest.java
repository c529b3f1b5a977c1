package org.lrn4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpamAssassinCorpusTest {
    /** Writes n small messages per group in the package's layout. */
    private static void makeCorpus(Path dir, int[] perGroup) throws IOException {
        for (int g = 0; g < perGroup.length; g++) {
            String group = SpamAssassinCorpus.GROUPS.get(g);
            Path d = Files.createDirectories(dir.resolve(group));
            for (int i = 0; i < perGroup[g]; i++) {
                String id = String.format("%05d.%032x", i + 1, (long) g * 1000 + i);
                boolean spam = group.startsWith("spam");
                Files.writeString(d.resolve(id + ".txt"), "Received: by host\nSubject: " + (spam ? "win money" : "meeting notes")
                        + " " + i + "\n\n" + (spam ? "click here to claim your prize" : "the agenda is attached") + "\n");
                Files.writeString(d.resolve(id + ".json"), "{}");
            }
        }
    }

    @Test
    void splitIsStratifiedSeededAndDisjoint(@TempDir Path dir) throws IOException {
        makeCorpus(dir, new int[] {50, 30, 10, 20, 41});
        List<SpamAssassinCorpus.Message> all = SpamAssassinCorpus.messages(dir);
        assertEquals(151, all.size(), "only the .txt files");
        SpamAssassinCorpus.Split s = SpamAssassinCorpus.split(all, SpamAssassinCorpus.SPLIT_SEED);
        assertEquals(40 + 24 + 8 + 16 + 32, s.train().size());
        assertEquals(5 + 3 + 1 + 2 + 4, s.valid().size());
        assertEquals(151 - 120 - 15, s.test().size());
        for (String group : SpamAssassinCorpus.GROUPS) {
            long inTest = s.test().stream().filter(m -> m.group().equals(group)).count();
            assertTrue(inTest >= 1, group + " is in the test part");
        }
        Set<Path> seen = new HashSet<>();
        for (List<SpamAssassinCorpus.Message> part : List.of(s.train(), s.valid(), s.test())) {
            for (SpamAssassinCorpus.Message m : part) {
                assertTrue(seen.add(m.file()), "each message in one part only: " + m.source());
                assertEquals(m.group().startsWith("spam") ? 1 : 0, m.label());
            }
        }
        assertEquals(s, SpamAssassinCorpus.split(SpamAssassinCorpus.messages(dir), SpamAssassinCorpus.SPLIT_SEED));
        assertTrue(!s.train().equals(SpamAssassinCorpus.split(all, 7).train()), "another seed, another split");
    }

    @Test
    void loadsAClassificationSet(@TempDir Path dir) throws IOException {
        makeCorpus(dir, new int[] {20, 10, 10, 10, 10});
        ClassificationSet set = SpamAssassinCorpus.load(dir, new SpamAssassinCorpus.Options(2, 5));
        assertEquals(List.of("ham", "spam"), set.labels());
        assertEquals(60, set.train().size() + set.valid().size() + set.test().size());
        for (ClassificationSet.Example e : set.train()) {
            assertTrue(e.length() <= 5);
            List<String> words = set.vocabulary().decode(e.tokens());
            assertEquals(e.label() == 1 ? "win" : "meeting", words.get(0), "subject first, headers dropped: " + words);
            assertEquals("<body>", words.get(3));
        }
        assertArrayEquals(new int[] {32, 16}, ClassificationSet.labelCounts(set.train(), 2));
    }

    @Test
    void missingCorpusSaysHowToFetchIt(@TempDir Path dir) {
        IOException e = assertThrows(IOException.class, () -> SpamAssassinCorpus.messages(dir));
        assertTrue(e.getMessage().contains("fetch-corpora.sh"), e.getMessage());
    }

    /** The real corpus, when {@code scripts/fetch-corpora.sh} has fetched it. */
    @Test
    void theRealCorpusSplit() throws IOException {
        Path dir = SpamAssassinCorpus.defaultLocation();
        Assumptions.assumeTrue(Files.isDirectory(dir),
                "the SpamAssassin corpus is not in " + dir.toAbsolutePath() + " (run scripts/fetch-corpora.sh); skipping");
        List<SpamAssassinCorpus.Message> all = SpamAssassinCorpus.messages(dir);
        assertEquals(6046, all.size());
        SpamAssassinCorpus.Split s = SpamAssassinCorpus.split(all, SpamAssassinCorpus.SPLIT_SEED);
        assertEquals(4836, s.train().size());
        assertEquals(605, s.valid().size());
        assertEquals(605, s.test().size());
        assertEquals(3320, s.train().stream().filter(m -> m.label() == 0).count());
        assertEquals(415, s.valid().stream().filter(m -> m.label() == 0).count());
        assertEquals(415, s.test().stream().filter(m -> m.label() == 0).count());
        assertEquals(List.of(FIRST_TEST), s.test().subList(0, FIRST_TEST.length).stream()
                .map(SpamAssassinCorpus.Message::source).toList(), "the fixed split has not moved");

        ClassificationSet set = SpamAssassinCorpus.load(dir, SpamAssassinCorpus.Options.defaults());
        assertEquals(21_573, set.vocabulary().size());
        assertTrue(set.train().stream().allMatch(e -> e.length() <= 400));
    }

    /** The first messages of the test part of the fixed split. */
    private static final String[] FIRST_TEST = {"easy-ham-2/00815.b6974616e6d50c4c37c2d6e9b289f60d.txt",
        "easy-ham-1/02027.60b6c65b051a3172d1277cae222638c7.txt", "hard-ham-1/00162.cef6a9e09dce1854e04dfb65cd040f6d.txt"};
}

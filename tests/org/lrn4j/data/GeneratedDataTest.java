package org.lrn4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

class GeneratedDataTest {
    private static final GeneratedLanguage.Sizes SMALL = new GeneratedLanguage.Sizes(60_000, 6_000, 6_000);

    @Test
    void theCorpusIsDeterministicForASeed() {
        LanguageModelCorpus a = GeneratedLanguage.corpus(7, SMALL);
        LanguageModelCorpus b = GeneratedLanguage.corpus(7, SMALL);
        assertArrayEquals(a.train(), b.train());
        assertArrayEquals(a.test(), b.test());
        assertEquals(a.vocabulary(), b.vocabulary());
        assertFalse(java.util.Arrays.equals(a.train(), GeneratedLanguage.corpus(8, SMALL).train()));
        LanguageModelCorpus bigger = GeneratedLanguage.corpus(7, new GeneratedLanguage.Sizes(90_000, 6_000, 6_000));
        assertEquals(a.vocabulary().decode(a.test()), bigger.vocabulary().decode(bigger.test()),
                "a part does not depend on the others' sizes");
        assertTrue(a.train().length >= 60_000 && a.train().length < 60_200);
        assertEquals(Vocabulary.END_OF_SENTENCE, a.vocabulary().word(a.train()[a.train().length - 1]));
        assertEquals(139, a.vocabulary().size(), "137 words and marks, <unk> and <eos>");
    }

    @Test
    void sentencesKeepAgreementAndNesting() {
        Random rng = new Random(3);
        Set<String> pluralDeterminers = Set.of("these", "some", "many", "two");
        Set<String> singularDeterminers = Set.of("a", "this", "every", "one");
        Set<String> adjectives = Set.of("old", "young", "big", "small", "happy", "tired", "clever", "quiet", "brave",
                "lazy", "red", "green");
        int quotes = 0;
        int parentheses = 0;
        for (int s = 0; s < 3000; s++) {
            List<String> t = GeneratedLanguage.sentence(rng);
            assertEquals(".", t.get(t.size() - 1));
            Deque<String> open = new ArrayDeque<>();
            for (int i = 0; i < t.size(); i++) {
                String w = t.get(i);
                if (w.equals("(")) {
                    open.push(w);
                    parentheses++;
                } else if (w.equals(")")) {
                    assertEquals("(", open.pop(), t.toString());
                } else if (w.equals("\"")) {
                    if ("\"".equals(open.peek())) {
                        open.pop();
                    } else {
                        open.push(w);
                        quotes++;
                    }
                }
                if (pluralDeterminers.contains(w) || singularDeterminers.contains(w)) {
                    int j = i + 1;
                    while (adjectives.contains(t.get(j))) {
                        j++;
                    }
                    String noun = t.get(j);
                    boolean plural = noun.endsWith("s") || Set.of("children", "men", "women", "mice").contains(noun);
                    assertEquals(pluralDeterminers.contains(w), plural, w + " " + noun + " in " + t);
                }
            }
            assertTrue(open.isEmpty(), "brackets and quotes close: " + t);
        }
        assertTrue(quotes > 100 && parentheses > 50, quotes + " quotes, " + parentheses + " parentheses");
    }

    @Test
    void aBigramModelBeatsTheUnigramModelClearly() {
        LanguageModelCorpus c = GeneratedLanguage.corpus(1, SMALL);
        int v = c.vocabulary().size();
        long[] uni = new long[v];
        long[][] bi = new long[v][v];
        int[] train = c.train();
        for (int i = 0; i < train.length; i++) {
            uni[train[i]]++;
            if (i > 0) {
                bi[train[i - 1]][train[i]]++;
            }
        }
        int[] test = c.test();
        double uniLoss = 0;
        double biLoss = 0;
        for (int i = 1; i < test.length; i++) {
            uniLoss -= Math.log((uni[test[i]] + 1.0) / (train.length + v));
            biLoss -= Math.log((bi[test[i - 1]][test[i]] + 0.1) / (uni[test[i - 1]] + 0.1 * v));
        }
        double uniPpl = Math.exp(uniLoss / (test.length - 1));
        double biPpl = Math.exp(biLoss / (test.length - 1));
        assertTrue(uniPpl > 50 && biPpl < uniPpl / 4, "unigram " + uniPpl + ", bigram " + biPpl);
    }

    @Test
    void theClassificationLabelIsTheFirstWitness() {
        GeneratedClassification.Sizes sizes = new GeneratedClassification.Sizes(3, 600, 50, 50, 2, 6);
        ClassificationSet set = GeneratedClassification.set(5, sizes);
        assertEquals(List.of("Alice", "Bruno", "Chloe"), set.labels());
        Map<String, int[]> byPair = new HashMap<>();
        for (ClassificationSet.Example e : set.train()) {
            List<String> words = set.vocabulary().decode(e.tokens());
            List<String> witnesses = words.stream().filter(GeneratedClassification.WITNESSES::contains).toList();
            assertEquals(2, witnesses.size(), words.toString());
            assertEquals(set.labels().get(e.label()), witnesses.get(0));
            String pair = witnesses.stream().sorted().toList().toString();
            byPair.computeIfAbsent(pair, k -> new int[3])[e.label()]++;
        }
        for (int[] labels : byPair.values()) {
            assertTrue(java.util.Arrays.stream(labels).filter(n -> n > 0).count() == 2,
                    "the same two witnesses appear under both labels: words alone do not decide");
        }
        ClassificationSet again = GeneratedClassification.set(5, sizes);
        assertArrayEquals(set.test().get(7).tokens(), again.test().get(7).tokens());
        int[] counts = ClassificationSet.labelCounts(set.train(), 3);
        for (int n : counts) {
            assertTrue(n > 150, java.util.Arrays.toString(counts));
        }
    }
}

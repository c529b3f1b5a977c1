package org.lrn4j.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * A small synthetic English-like language, generated from a seed, so the main job runs with nothing
 * downloaded.
 *
 * <p>A probabilistic grammar over 131 words and 6 punctuation marks, with dependencies that a unigram or short n-gram
 * model cannot capture and a recurrent one can:
 * <ul>
 *   <li><b>number agreement</b>: determiners agree with their noun ({@code this dog}, {@code these dogs}) and
 *       the verb agrees with its subject across relative clauses and prepositional phrases
 *       ({@code the dogs that the child sees near the farmer sleep});</li>
 *   <li><b>nesting</b>: embedded clauses ({@code the teacher thinks that …}) and parentheses that must be
 *       closed in order;</li>
 *   <li><b>matching quotes</b>: {@code Anna says : " … " .} opens and closes a quotation around a clause;</li>
 *   <li><b>word frequencies</b> within each category follow Zipf's law (weight 1/rank), as in real text.</li>
 * </ul>
 * The grammar (n, m: singular or plural; depth-limited to {@value #MAX_DEPTH}):
 * <pre>
 * S        → Clause "." | Clause "," Conj Clause "." | Name Say ":" '"' Clause '"' "."
 * Clause   → NP[n] VP[n]
 * NP[n]    → Name (n singular) | Det[n] Adj* Noun[n] Modifier?
 * Modifier → "that" VP[n] | "that" NP[m] TransVerb[m] | Prep NP[m] | "(" Clause ")"
 * VP[n]    → IntransVerb[n] Adv? | TransVerb[n] NP[m] Adv? | SayVerb[n] "that" Clause
 * </pre>
 * Each sentence is followed by {@code <eos>} in the stream. The three parts come from three generators whose
 * seeds are drawn from {@code java.util.Random(seed)} (an algorithm fixed by the Java specification), so a
 * part does not depend on the sizes of the others and a seed gives the same corpus on every JVM.
 */
public final class GeneratedLanguage {
    /** Deepest nesting of clauses and phrases. */
    public static final int MAX_DEPTH = 4;

    private static final String[][] NOUNS = {
            {"dog", "dogs"}, {"cat", "cats"}, {"child", "children"}, {"teacher", "teachers"}, {"farmer", "farmers"},
            {"bird", "birds"}, {"king", "kings"}, {"student", "students"}, {"doctor", "doctors"}, {"horse", "horses"},
            {"man", "men"}, {"woman", "women"}, {"mouse", "mice"}, {"fox", "foxes"}, {"robot", "robots"},
            {"pilot", "pilots"}, {"baker", "bakers"}, {"sailor", "sailors"}};
    private static final String[][] INTRANSITIVE = {
            {"sleeps", "sleep"}, {"runs", "run"}, {"laughs", "laugh"}, {"sings", "sing"}, {"waits", "wait"},
            {"falls", "fall"}, {"smiles", "smile"}, {"works", "work"}, {"swims", "swim"}, {"dances", "dance"}};
    private static final String[][] TRANSITIVE = {
            {"sees", "see"}, {"chases", "chase"}, {"likes", "like"}, {"helps", "help"}, {"follows", "follow"},
            {"calls", "call"}, {"watches", "watch"}, {"finds", "find"}, {"meets", "meet"}, {"feeds", "feed"}};
    private static final String[][] SAYING = {
            {"says", "say"}, {"thinks", "think"}, {"knows", "know"}, {"hopes", "hope"}, {"believes", "believe"}};
    private static final String[][] DETERMINERS = {
            {"the", "the"}, {"a", "some"}, {"this", "these"}, {"every", "many"}, {"one", "two"}};
    private static final String[] ADJECTIVES = {
            "old", "young", "big", "small", "happy", "tired", "clever", "quiet", "brave", "lazy", "red", "green"};
    private static final String[] ADVERBS = {"today", "quickly", "again", "often", "slowly", "loudly"};
    private static final String[] PREPOSITIONS = {"near", "behind", "with", "under", "beside"};
    private static final String[] CONJUNCTIONS = {"and", "but", "because", "while"};
    /** Names of people in sentences; singular. */
    static final String[] NAMES = {"Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo"};

    /**
     * Token counts of the three parts; each part is whole sentences, cut at the first sentence end at or past
     * its count.
     */
    public record Sizes(int trainTokens, int validTokens, int testTokens) {
        public Sizes {
            if (trainTokens < 1 || validTokens < 1 || testTokens < 1) {
                throw new IllegalArgumentException("every part needs at least one token: " + trainTokens + ", "
                        + validTokens + ", " + testTokens);
            }
        }

        /** 400,000 / 40,000 / 40,000 tokens. */
        public static Sizes defaults() {
            return new Sizes(400_000, 40_000, 40_000);
        }
    }

    private final Random rng;

    private GeneratedLanguage(Random rng) {
        this.rng = Objects.requireNonNull(rng);
    }

    /** The corpus of a seed: the parts generated, the vocabulary from the training part (every word kept). */
    public static LanguageModelCorpus corpus(long seed, Sizes sizes) {
        Random seeds = new Random(seed);
        List<String> train = stream(new Random(seeds.nextLong()), sizes.trainTokens());
        List<String> valid = stream(new Random(seeds.nextLong()), sizes.validTokens());
        List<String> test = stream(new Random(seeds.nextLong()), sizes.testTokens());
        Vocabulary vocab = Vocabulary.build(Vocabulary.count(train), 1, Vocabulary.UNKNOWN,
                List.of(Vocabulary.UNKNOWN, Vocabulary.END_OF_SENTENCE));
        return new LanguageModelCorpus("generated(seed=" + seed + ")", vocab, vocab.encode(train), vocab.encode(valid),
                vocab.encode(test));
    }

    /** Sentences, each followed by {@code <eos>}, until at least {@code tokens} tokens. */
    static List<String> stream(Random rng, int tokens) {
        GeneratedLanguage g = new GeneratedLanguage(rng);
        List<String> out = new ArrayList<>(tokens + 64);
        while (out.size() < tokens) {
            g.sentence(out);
            out.add(Vocabulary.END_OF_SENTENCE);
        }
        return out;
    }

    /** One sentence drawn by {@code rng}, ending with "." (no {@code <eos>}). */
    public static List<String> sentence(Random rng) {
        List<String> out = new ArrayList<>();
        new GeneratedLanguage(rng).sentence(out);
        return out;
    }

    /** A sentence whose subject is {@code name} (singular): {@code name VP .}. */
    static void sentenceAbout(Random rng, String name, List<String> out) {
        GeneratedLanguage g = new GeneratedLanguage(rng);
        out.add(name);
        g.verbPhrase(1, 0, out);
        out.add(".");
    }

    private void sentence(List<String> out) {
        double p = rng.nextDouble();
        if (p < 0.75) {
            clause(1, out);
        } else if (p < 0.9) {
            clause(1, out);
            out.add(",");
            out.add(pick(CONJUNCTIONS));
            clause(1, out);
        } else {
            out.add(pick(NAMES));
            out.add(pick(SAYING)[0]);
            out.add(":");
            out.add("\"");
            clause(1, out);
            out.add("\"");
        }
        out.add(".");
    }

    private void clause(int depth, List<String> out) {
        int number = number();
        nounPhrase(depth, number, out);
        verbPhrase(depth, number, out);
    }

    /** number: 0 singular, 1 plural. */
    private void nounPhrase(int depth, int number, List<String> out) {
        if (number == 0 && rng.nextDouble() < 0.12) {
            out.add(pick(NAMES));
            return;
        }
        out.add(pick(DETERMINERS)[number]);
        double a = rng.nextDouble();
        int adjectives = a < 0.6 ? 0 : a < 0.9 ? 1 : 2;
        for (int i = 0; i < adjectives; i++) {
            out.add(pick(ADJECTIVES));
        }
        out.add(pick(NOUNS)[number]);
        if (depth >= MAX_DEPTH) {
            return;
        }
        double m = rng.nextDouble();
        if (m < 0.12) {
            out.add("that");
            verbPhrase(depth + 1, number, out);
        } else if (m < 0.22) {
            out.add("that");
            int inner = number();
            nounPhrase(depth + 1, inner, out);
            out.add(pick(TRANSITIVE)[inner]);
        } else if (m < 0.32) {
            out.add(pick(PREPOSITIONS));
            nounPhrase(depth + 1, number(), out);
        } else if (m < 0.36) {
            out.add("(");
            clause(depth + 1, out);
            out.add(")");
        }
    }

    private void verbPhrase(int depth, int number, List<String> out) {
        double v = rng.nextDouble();
        if (v < 0.45 || (v >= 0.85 && depth >= MAX_DEPTH)) {
            out.add(pick(INTRANSITIVE)[number]);
            if (rng.nextDouble() < 0.3) {
                out.add(pick(ADVERBS));
            }
        } else if (v < 0.85) {
            out.add(pick(TRANSITIVE)[number]);
            nounPhrase(depth + 1, number(), out);
            if (rng.nextDouble() < 0.2) {
                out.add(pick(ADVERBS));
            }
        } else {
            out.add(pick(SAYING)[number]);
            out.add("that");
            clause(depth + 1, out);
        }
    }

    private int number() {
        return rng.nextDouble() < 0.55 ? 0 : 1;
    }

    /** An element with probability proportional to 1 / (rank + 1). */
    private <T> T pick(T[] items) {
        double total = 0;
        for (int i = 0; i < items.length; i++) {
            total += 1.0 / (i + 1);
        }
        double u = rng.nextDouble() * total;
        for (int i = 0; i < items.length; i++) {
            u -= 1.0 / (i + 1);
            if (u < 0) {
                return items[i];
            }
        }
        return items[items.length - 1];
    }
}

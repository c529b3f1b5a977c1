package org.lrn4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lrn4j.TestData;
import org.lrn4j.backend.Backend;
import org.lrn4j.data.GeneratedLanguage;
import org.lrn4j.data.LanguageModelCorpus;
import org.lrn4j.train.checkpoint.Checkpoint;
import org.lrn4j.train.checkpoint.CheckpointStore;

/**
 * Training on a small generated corpus: perplexity falls well below the unigram level, and a run
 * interrupted mid-epoch and resumed from its checkpoint ends with exactly the weights of an uninterrupted
 * run (LRN and oLRN: every parameter goes through a checkpoint and back).
 */
class LanguageModelTrainerTest {
    private static final LanguageModelCorpus CORPUS = GeneratedLanguage.corpus(5, new GeneratedLanguage.Sizes(6000, 800, 800));

    private static ModelSpec spec(String cell) {
        return new ModelSpec("lm", cell, CORPUS.vocabulary().size(), 16, 24, 1, false, false, "tanh", 0, 3, 0.2);
    }

    private static TrainConfig config(int epochs) {
        return new TrainConfig("adam", 0.01, 0, 0, 1.0, 4, 20, epochs, 5, 0.5, 1, 1e-4, 10, 7);
    }

    /** Stops the run by throwing after a given number of updates (a crash). */
    private static final class Crash extends RuntimeException {
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"lrn", "olrn"})
    void learnsAndResumesExactly(String cell, @TempDir Path dir) throws IOException {
        Backend backend = TestData.backendOrSkip("native");
        Path straight = dir.resolve("straight");
        LanguageModelTrainer.Summary a = new LanguageModelTrainer(backend, CORPUS, spec(cell), config(2),
                new CheckpointStore(straight)).run(new LanguageModelTrainer.Listener() { });
        assertEquals(2, a.epochs());
        assertTrue(a.curve().get(1).validPerplexity() < 0.6 * CORPUS.vocabulary().size(),
                "validation perplexity " + a.curve().get(1).validPerplexity());
        assertTrue(Double.isFinite(a.testPerplexity()));

        Path resumed = dir.resolve("resumed");
        LanguageModelTrainer.Listener crashing = new LanguageModelTrainer.Listener() {
            private int updates;

            @Override
            public void batchDone(int epoch, int index, double meanLoss, long tokens, double lr) {
                if (++updates == 100) {
                    throw new Crash();
                }
            }
        };
        assertThrows(Crash.class, () -> new LanguageModelTrainer(backend, CORPUS, spec(cell), config(2),
                new CheckpointStore(resumed)).run(crashing));
        int[] resumedAt = new int[2];
        LanguageModelTrainer.Summary b = new LanguageModelTrainer(backend, CORPUS, spec(cell), config(2),
                new CheckpointStore(resumed)).run(new LanguageModelTrainer.Listener() {
                    @Override
                    public void resumed(Path checkpoint, int epoch, int batch) {
                        resumedAt[0] = epoch;
                        resumedAt[1] = batch;
                    }
                });
        assertTrue(resumedAt[0] == 1 || resumedAt[1] > 0, "the second run resumed from a checkpoint");
        assertEquals(a.updates(), b.updates());
        assertEquals(a.bestValidPerplexity(), b.bestValidPerplexity());
        assertEquals(a.testPerplexity(), b.testPerplexity());
        try (Checkpoint ca = CheckpointStore.open(new CheckpointStore(straight).latest().orElseThrow());
             Checkpoint cb = CheckpointStore.open(new CheckpointStore(resumed).latest().orElseThrow())) {
            for (String name : ca.tensors(Checkpoint.MODEL).names()) {
                assertArrayEquals(ca.tensors(Checkpoint.MODEL).floats(name), cb.tensors(Checkpoint.MODEL).floats(name),
                        name + " after an interrupted and resumed run");
            }
        }
    }

    /** Every cell trains through the same path (the recipe the Brown campaign uses), a little. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"olrn", "lstm", "gru", "atr", "sru"})
    void everyCellTrains(String cell, @TempDir Path dir) throws IOException {
        Backend backend = TestData.backendOrSkip("native");
        ModelSpec spec = new ModelSpec("lm", cell, CORPUS.vocabulary().size(), 16, 16, 1, false, false, "tanh", 0, 3);
        TrainConfig once = new TrainConfig("adam", 0.01, 0, 0, 1.0, 4, 20, 1, 5, 0.5, 1, 1e-4, 10, 0);
        LanguageModelTrainer.Summary s = new LanguageModelTrainer(backend, CORPUS, spec, once, new CheckpointStore(dir))
                .run(new LanguageModelTrainer.Listener() { });
        assertTrue(s.bestValidPerplexity() < 0.6 * CORPUS.vocabulary().size(), cell + ": " + s.bestValidPerplexity());
    }

    @Test
    void aDifferentModelInTheSameDirectoryIsRefused(@TempDir Path dir) throws IOException {
        Backend backend = TestData.backendOrSkip("java");
        TrainConfig one = new TrainConfig("sgd", 0.5, 0.9, 0, 1.0, 4, 20, 1, 0, 0.5, 1, 0, 10, 0);
        new LanguageModelTrainer(backend, CORPUS, spec("lrn"), one, new CheckpointStore(dir)).run(new LanguageModelTrainer.Listener() { });
        ModelSpec other = new ModelSpec("lm", "lrn", CORPUS.vocabulary().size(), 16, 32, 1, false, false, "tanh", 0, 3);
        assertThrows(IllegalArgumentException.class,
                () -> new LanguageModelTrainer(backend, CORPUS, other, one, new CheckpointStore(dir)).run(new LanguageModelTrainer.Listener() { }));
    }
}

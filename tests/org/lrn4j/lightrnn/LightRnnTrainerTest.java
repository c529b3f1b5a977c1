package org.lrn4j.lightrnn;

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
import org.lrn4j.train.ModelSpec;
import org.lrn4j.train.TrainConfig;
import org.lrn4j.train.checkpoint.Checkpoint;
import org.lrn4j.train.checkpoint.CheckpointStore;

/**
 * Training in rounds on a small generated corpus: it learns, a re-allocation with the exact solver lowers
 * the allocation cost and is recorded, the table travels in the checkpoints, and a run interrupted
 * mid-epoch after a re-allocation, or stopped during the re-allocation itself, resumes to exactly the weights
 * and table of an uninterrupted run.
 */
class LightRnnTrainerTest {
    private static final LanguageModelCorpus CORPUS = GeneratedLanguage.corpus(5, new GeneratedLanguage.Sizes(4000, 600, 600));

    private static ModelSpec spec() {
        return new ModelSpec("lm", "lrn", CORPUS.vocabulary().size(), 12, 16, 1, false, false, "tanh", 0, 3, 0.1);
    }

    private static LightRnnOptions options() {
        return LightRnnOptions.square(CORPUS.vocabulary().size(), "frequency", 2, 1, "exact");
    }

    private static TrainConfig config() {
        return new TrainConfig("adam", 0.01, 0, 0, 1.0, 4, 20, 2, 5, 0.5, 1, 1e-4, 10, 7);
    }

    private static LightRnnTrainer trainer(Backend backend, Path dir) {
        return new LightRnnTrainer(backend, CORPUS, spec(), options(), config(), new CheckpointStore(dir),
                new ExactAllocationSolver());
    }

    private static final class Crash extends RuntimeException {
    }

    @Test
    void trainsInRoundsAndResumesExactly(@TempDir Path dir) throws IOException {
        Backend backend = TestData.backendOrSkip("native");
        Path straight = dir.resolve("straight");
        LightRnnTrainer.Summary a = trainer(backend, straight).run(new LightRnnTrainer.Listener() { });
        assertEquals(2, a.epochs());
        assertEquals(1, a.reallocations().size());
        LightRnnTrainer.Reallocation r = a.reallocations().get(0);
        assertEquals(1, r.round());
        assertTrue(r.costAfter() <= r.costBefore() + 1e-6, r.costBefore() + " -> " + r.costAfter());
        assertTrue(r.moved() >= 0 && r.moved() <= CORPUS.vocabulary().size());
        assertTrue(a.bestValidPerplexity() < 0.6 * CORPUS.vocabulary().size(), "validation perplexity "
                + a.bestValidPerplexity());
        assertTrue(a.peakOffHeapBytes() > 0 && a.peakHeapBytes() > 0);

        Path resumed = dir.resolve("resumed");
        int total = (int) a.updates();
        LightRnnTrainer.Listener crashing = new LightRnnTrainer.Listener() {
            private int updates;

            @Override
            public void batchDone(int epoch, int index, double meanLoss, long tokens, double lr) {
                if (++updates == total * 3 / 4) {
                    throw new Crash();
                }
            }
        };
        assertThrows(Crash.class, () -> trainer(backend, resumed).run(crashing));
        int[] at = {-1, -1};
        LightRnnTrainer.Summary b = trainer(backend, resumed).run(new LightRnnTrainer.Listener() {
            @Override
            public void resumed(Path checkpoint, int epoch, int batch) {
                at[0] = epoch;
                at[1] = batch;
            }
        });
        assertEquals(1, at[0], "resumed in the second round, after the re-allocation");
        assertTrue(at[1] > 0, "resumed mid-epoch");
        assertEquals(a.updates(), b.updates());
        assertEquals(a.testPerplexity(), b.testPerplexity());
        LightRnnTrainer.Reallocation rb = b.reallocations().get(0);
        assertEquals(r.moved(), rb.moved());
        assertEquals(r.costAfter(), rb.costAfter());
        assertEquals(r.validAfter(), rb.validAfter(), "the re-allocation is recorded in the checkpoint");
        try (Checkpoint ca = CheckpointStore.open(new CheckpointStore(straight).latest().orElseThrow());
             Checkpoint cb = CheckpointStore.open(new CheckpointStore(resumed).latest().orElseThrow())) {
            for (String name : ca.tensors(Checkpoint.MODEL).names()) {
                assertArrayEquals(ca.tensors(Checkpoint.MODEL).floats(name), cb.tensors(Checkpoint.MODEL).floats(name),
                        name);
            }
            assertEquals(WordTable.fromJson(ca.model().getAsJsonObject("lightrnn").getAsJsonObject("table")),
                    WordTable.fromJson(cb.model().getAsJsonObject("lightrnn").getAsJsonObject("table")));
        }
        // stopped after the epoch's best checkpoint, during the re-allocation: the resumed run re-allocates first
        Path during = dir.resolve("during");
        assertThrows(Crash.class, () -> trainer(backend, during).run(new LightRnnTrainer.Listener() {
            @Override
            public void reallocated(LightRnnTrainer.Reallocation r, AllocationCost cost) {
                throw new Crash();
            }
        }));
        LightRnnTrainer.Summary c = trainer(backend, during).run(new LightRnnTrainer.Listener() { });
        assertEquals(1, c.reallocations().size());
        assertEquals(r.costAfter(), c.reallocations().get(0).costAfter());
        assertEquals(a.testPerplexity(), c.testPerplexity());
        try (Checkpoint ca = CheckpointStore.open(new CheckpointStore(straight).latest().orElseThrow());
             Checkpoint cc = CheckpointStore.open(new CheckpointStore(during).latest().orElseThrow())) {
            for (String name : ca.tensors(Checkpoint.MODEL).names()) {
                assertArrayEquals(ca.tensors(Checkpoint.MODEL).floats(name), cc.tensors(Checkpoint.MODEL).floats(name),
                        name + " after a stop during the re-allocation");
            }
        }
        // another table size in the same directory is refused
        LightRnnOptions other = new LightRnnOptions(options().rows() + 1, options().cols(), "frequency", 2, 1, "exact");
        assertThrows(IllegalArgumentException.class, () -> new LightRnnTrainer(backend, CORPUS, spec(), other, config(),
                new CheckpointStore(straight), new ExactAllocationSolver()).run(new LightRnnTrainer.Listener() { }));
    }

    @Test
    void badSettingsAreRefused() {
        Backend backend = TestData.backendOrSkip("java");
        CheckpointStore store = new CheckpointStore(Path.of("unused"));
        assertThrows(IllegalArgumentException.class, () -> new LightRnnTrainer(backend, CORPUS, spec(), options(),
                config(), store, null), "rounds without a solver");
        assertThrows(IllegalArgumentException.class, () -> new LightRnnTrainer(backend, CORPUS, spec(),
                new LightRnnOptions(2, 2, "random", 2, 1, "exact"), config(), store, new ExactAllocationSolver()));
        assertThrows(IllegalArgumentException.class, () -> new LightRnnOptions(4, 4, "alphabet", 1, 1, "exact"));
        assertThrows(IllegalArgumentException.class, () -> new LightRnnTrainer(backend, CORPUS, spec(),
                LightRnnOptions.square(CORPUS.vocabulary().size(), "random", 3, 1, "exact"), config(), store,
                new ExactAllocationSolver()), "epochs must be rounds x epochs per round");
    }
}

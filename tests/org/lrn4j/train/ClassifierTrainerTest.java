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
import org.lrn4j.data.ClassificationSet;
import org.lrn4j.data.GeneratedClassification;
import org.lrn4j.train.checkpoint.Checkpoint;
import org.lrn4j.train.checkpoint.CheckpointStore;

/** A bidirectional LRN classifier learns the generated task; an interrupted run resumes exactly; an oLRN classifier learns. */
class ClassifierTrainerTest {
    private static final ClassificationSet DATA = GeneratedClassification.set(3,
            new GeneratedClassification.Sizes(2, 800, 200, 200, 2, 4));

    private static ModelSpec spec() {
        return new ModelSpec("classify", "lrn", DATA.vocabulary().size(), 16, 24, 1, true, false, "tanh", 2, 5, 0.2);
    }

    private static TrainConfig config() {
        return new TrainConfig("adam", 0.01, 0, 0, 1.0, 16, 1, 3, 5, 0.5, 1, 1e-4, 10, 20);
    }

    private static final class Crash extends RuntimeException {
    }

    /**
     * A bidirectional two-layer oLRN classifier with layer norm learns the task; its test accuracy is measured
     * with the best weights read back from their checkpoint.
     */
    @Test
    void olrnClassifierLearns(@TempDir Path dir) throws IOException {
        Backend backend = TestData.backendOrSkip("native");
        ModelSpec olrn = new ModelSpec("classify", "olrn", DATA.vocabulary().size(), 16, 16, 2, true, true, "tanh", 2, 5);
        TrainConfig twoEpochs = new TrainConfig("adam", 0.02, 0, 0, 1.0, 32, 1, 2, 5, 0.5, 1, 1e-4, 10, 0);
        ClassifierTrainer.Summary s = new ClassifierTrainer(backend, DATA, olrn, twoEpochs, new CheckpointStore(dir), 7)
                .run(new ClassifierTrainer.Listener() { });
        assertTrue(s.best() != null, "a best checkpoint");
        assertTrue(s.testAccuracy() > 0.75, "test accuracy " + s.testAccuracy());
    }

    @Test
    void learnsAndResumesExactly(@TempDir Path dir) throws IOException {
        Backend backend = TestData.backendOrSkip("native");
        ClassifierTrainer.Summary a = new ClassifierTrainer(backend, DATA, spec(), config(),
                new CheckpointStore(dir.resolve("a")), 7).run(new ClassifierTrainer.Listener() { });
        assertTrue(a.testAccuracy() > 0.75, "test accuracy " + a.testAccuracy());
        ClassifierTrainer.Listener crashing = new ClassifierTrainer.Listener() {
            private int updates;

            @Override
            public void batchDone(int epoch, int index, double loss, double acc, long tokens, double lr) {
                if (++updates == 70) {
                    throw new Crash();
                }
            }
        };
        assertThrows(Crash.class, () -> new ClassifierTrainer(backend, DATA, spec(), config(),
                new CheckpointStore(dir.resolve("b")), 7).run(crashing));
        ClassifierTrainer.Summary b = new ClassifierTrainer(backend, DATA, spec(), config(),
                new CheckpointStore(dir.resolve("b")), 7).run(new ClassifierTrainer.Listener() { });
        assertEquals(a.updates(), b.updates());
        assertEquals(a.testAccuracy(), b.testAccuracy());
        try (Checkpoint ca = CheckpointStore.open(new CheckpointStore(dir.resolve("a")).latest().orElseThrow());
             Checkpoint cb = CheckpointStore.open(new CheckpointStore(dir.resolve("b")).latest().orElseThrow())) {
            for (String name : ca.tensors(Checkpoint.MODEL).names()) {
                assertArrayEquals(ca.tensors(Checkpoint.MODEL).floats(name), cb.tensors(Checkpoint.MODEL).floats(name), name);
            }
        }
    }
}

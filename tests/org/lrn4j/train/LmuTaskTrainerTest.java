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
import org.lrn4j.train.checkpoint.Checkpoint;
import org.lrn4j.train.checkpoint.CheckpointStore;

/** The Mackey–Glass LSTM learns (its error falls well below the spread of the targets, NRMSE 1) and resumes exactly. */
class LmuTaskTrainerTest {
    private static final int WINDOW = 32;

    private static LmuTaskSpec spec() {
        return new LmuTaskSpec("mackey-glass", "lstm", 8, 16, 8, 0, 3, 0, true);
    }

    private static TrainConfig config() {
        return new TrainConfig("adam", 0.01, 0.9, 0, 1.0, 64, WINDOW, 8, 0, 0.5, 1, 1e-4, 10, 10);
    }

    private static final class Crash extends RuntimeException {
    }

    @Test
    void learnsAndResumesExactly(@TempDir Path dir) throws IOException {
        Backend backend = TestData.backendOrSkip("native");
        LmuTaskTrainer.Summary a;
        try (LmuTaskModel m = LmuTaskModel.build(spec(), backend, WINDOW)) {
            a = new LmuTaskTrainer(backend, spec(), config(), new CheckpointStore(dir.resolve("a")))
                    .run(m, new LmuTaskTrainer.Listener() { });
        }
        assertEquals("nrmse", a.test().metricName());
        assertTrue(a.test().metric() < 0.6, "test NRMSE " + a.test().metric());
        LmuTaskTrainer.Listener crashing = new LmuTaskTrainer.Listener() {
            private int updates;

            @Override
            public void batchDone(int epoch, int index, double loss, double score, int examples, double lr) {
                if (++updates == 75) {
                    throw new Crash();
                }
            }
        };
        try (LmuTaskModel m = LmuTaskModel.build(spec(), backend, WINDOW)) {
            assertThrows(Crash.class, () -> new LmuTaskTrainer(backend, spec(), config(),
                    new CheckpointStore(dir.resolve("b"))).run(m, crashing));
        }
        LmuTaskTrainer.Summary b;
        try (LmuTaskModel m = LmuTaskModel.build(spec(), backend, WINDOW)) {
            b = new LmuTaskTrainer(backend, spec(), config(), new CheckpointStore(dir.resolve("b")))
                    .run(m, new LmuTaskTrainer.Listener() { });
        }
        assertEquals(a.updates(), b.updates());
        assertEquals(a.test().metric(), b.test().metric());
        try (Checkpoint ca = CheckpointStore.open(new CheckpointStore(dir.resolve("a")).latest().orElseThrow());
             Checkpoint cb = CheckpointStore.open(new CheckpointStore(dir.resolve("b")).latest().orElseThrow())) {
            for (String name : ca.tensors(Checkpoint.MODEL).names()) {
                assertArrayEquals(ca.tensors(Checkpoint.MODEL).floats(name), cb.tensors(Checkpoint.MODEL).floats(name), name);
            }
        }
        LmuTaskSpec other = new LmuTaskSpec("mackey-glass", "lstm", 8, 16, 9, 0, 3, 0, true);
        try (LmuTaskModel m = LmuTaskModel.build(other, backend, WINDOW)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LmuTaskTrainer(backend,
                    other, config(), new CheckpointStore(dir.resolve("b"))).run(m, new LmuTaskTrainer.Listener() { }));
            assertTrue(e.getMessage().contains("different model"), e.getMessage());
        }
    }
}

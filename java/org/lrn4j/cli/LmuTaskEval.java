package org.lrn4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;

import org.lrn4j.backend.Backend;
import org.lrn4j.train.LmuTaskModel;
import org.lrn4j.train.LmuTaskSpec;
import org.lrn4j.train.TensorIO;
import org.lrn4j.train.TrainConfig;
import org.lrn4j.train.checkpoint.Checkpoint;
import org.lrn4j.train.checkpoint.CheckpointStore;

/** {@code lrn4j eval} of a fashion-mnist or mackey-glass run: accuracy or normalised RMSE of its best checkpoint. */
final class LmuTaskEval {
    private LmuTaskEval() {
    }

    /** The checkpoint a run directory or checkpoint path names: the given one, else the best, else the latest. */
    static Path resolve(Path path) throws IOException {
        if (Files.isRegularFile(path.resolve(Checkpoint.JSON_FILE))) {
            return path;
        }
        CheckpointStore store = new CheckpointStore(path);
        Optional<Path> chosen = store.best().or(() -> {
            try {
                return store.latest();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return chosen.orElseThrow(() -> new IllegalArgumentException("no checkpoint in " + path));
    }

    /** Whether the checkpoint holds a model of the LMU tasks. */
    static boolean holds(Path path) throws IOException {
        try (Checkpoint c = CheckpointStore.open(resolve(path))) {
            return LmuTaskSpec.describes(c.model());
        }
    }

    static int call(Path path, String split, boolean json, Backend backend) throws IOException {
        LmuTaskModel.Part part = switch (split) {
            case "valid" -> LmuTaskModel.Part.VALID;
            case "test" -> LmuTaskModel.Part.TEST;
            default -> throw new IllegalArgumentException("--split must be valid or test, got '" + split + "'");
        };
        Path dir = resolve(path);
        try (Checkpoint c = CheckpointStore.open(dir)) {
            JsonObject m = c.model();
            LmuTaskSpec spec = LmuTaskSpec.fromJson(m.getAsJsonObject("spec"));
            TrainConfig config = TrainConfig.fromJson(c.training().getAsJsonObject("config"));
            try (LmuTaskModel model = LmuTaskModel.build(spec, backend, config.steps())) {
                TensorIO.loadParameters(c.tensors(Checkpoint.MODEL), model.parameters());
                long t0 = System.nanoTime();
                LmuTaskModel.Score s = model.evaluate(part, config.batch());
                double seconds = (System.nanoTime() - t0) / 1e9;
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("checkpoint", dir.toString());
                out.put("task", spec.task());
                out.put("model", spec.model());
                out.put("split", split);
                out.put(s.metricName(), s.metric());
                out.put("loss", s.loss());
                out.put("scored", s.count());
                out.put("parameters", model.parameterCount());
                out.put("order", spec.order());
                out.put("theta", spec.theta());
                out.put("hidden", spec.hidden());
                out.put("epochs", c.training().get("epoch").getAsInt());
                out.put("eval_seconds", seconds);
                out.put("backend", backend.name());
                if (json) {
                    System.out.println(new GsonBuilder().disableHtmlEscaping().create().toJson(out));
                } else {
                    System.out.printf(Locale.ROOT, "%s %s %s %s %.4f over %,d (%s, %,d parameters, %s)%n", spec.task(),
                            spec.model(), split, s.metricName(), s.metric(), s.count(), dir, model.parameterCount(),
                            backend.name());
                }
                return 0;
            }
        }
    }
}

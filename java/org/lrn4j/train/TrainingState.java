package org.lrn4j.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import org.lrn4j.nn.Parameter;
import org.lrn4j.train.LanguageModelTrainer.Point;
import org.lrn4j.train.checkpoint.Checkpoint;

/**
 * Where a language-model run stands, as its checkpoints record it in their training JSON: the epoch and the
 * next batch in it, the optimizer's update count, the loss and tokens of the epoch so far, the learning-rate
 * schedule's state and the learning curve. {@link LanguageModelTrainer} and the LightRNN trainer write and
 * read it through here, so that both keep the same format.
 */
public record TrainingState(int epoch, int batch, long updates, double epochLoss, long epochTokens,
                            JsonObject schedule, List<Point> curve) {
    public TrainingState {
        curve = List.copyOf(curve);
    }

    /** The training JSON of a checkpoint: the run's configuration followed by this state. */
    public JsonObject toJson(TrainConfig config) {
        JsonObject t = new JsonObject();
        t.add("config", config.toJson());
        t.addProperty("epoch", epoch);
        t.addProperty("batch", batch);
        t.addProperty("updates", updates);
        t.addProperty("epoch_loss", epochLoss);
        t.addProperty("epoch_tokens", epochTokens);
        t.add("schedule", schedule);
        JsonArray points = new JsonArray();
        for (Point p : curve) {
            JsonObject o = new JsonObject();
            o.addProperty("epoch", p.epoch());
            o.addProperty("updates", p.updates());
            o.addProperty("train_ppl", p.trainPerplexity());
            o.addProperty("valid_ppl", p.validPerplexity());
            o.addProperty("lr", p.learningRate());
            points.add(o);
        }
        t.add("curve", points);
        return t;
    }

    /**
     * Resumes from a checkpoint: loads the parameters and the optimizer's state tensors and update count,
     * restores the schedule, and returns the rest of the state (epoch, batch, epoch loss and tokens, curve).
     */
    public static TrainingState restore(Checkpoint c, List<Parameter> parameters, Optimizer optimizer,
                                        LearningRateSchedule schedule) throws IOException {
        TensorIO.loadParameters(c.tensors(Checkpoint.MODEL), parameters);
        TensorIO.loadTensors(c.tensors(Checkpoint.OPTIMIZER), optimizer.state());
        TrainingState state = fromJson(c.training());
        optimizer.restoreSteps(state.updates());
        schedule.restore(state.schedule());
        return state;
    }

    /** Reads the state back from a checkpoint's training JSON (as {@link #toJson} writes it). */
    public static TrainingState fromJson(JsonObject t) {
        List<Point> curve = new ArrayList<>();
        for (JsonElement e : t.getAsJsonArray("curve")) {
            JsonObject p = e.getAsJsonObject();
            curve.add(new Point(p.get("epoch").getAsInt(), p.get("updates").getAsLong(),
                    p.get("train_ppl").getAsDouble(), p.get("valid_ppl").getAsDouble(), p.get("lr").getAsDouble()));
        }
        return new TrainingState(t.get("epoch").getAsInt(), t.get("batch").getAsInt(), t.get("updates").getAsLong(),
                t.get("epoch_loss").getAsDouble(), t.get("epoch_tokens").getAsLong(), t.getAsJsonObject("schedule"),
                curve);
    }
}

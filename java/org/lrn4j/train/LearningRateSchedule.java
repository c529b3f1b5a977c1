package org.lrn4j.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The learning rate over a run: a linear warm-up from 0 over the first {@code warmupSteps} updates, then
 * the base rate, multiplied by {@code decayFactor} each time the validation score fails to improve for
 * {@code patience} evaluations in a row (decay on plateau), never below {@code minRate}. Also tracks the
 * early-stopping condition: {@code stopAfter} evaluations in a row without improvement. Its state is a
 * handful of numbers, saved with a checkpoint so that a resumed run continues exactly.
 */
public final class LearningRateSchedule {
    private final double baseRate;
    private final long warmupSteps;
    private final double decayFactor;
    private final int patience;
    private final double minRate;
    private final int stopAfter;

    private double factor = 1.0;
    private double best = Double.POSITIVE_INFINITY;
    private int sinceBest;
    private int sinceDecay;

    /**
     * @param decayFactor in (0, 1]; 1 disables the decay
     * @param patience    evaluations without improvement before a decay (>= 1)
     * @param stopAfter   evaluations without improvement before stopping (>= 1; Integer.MAX_VALUE: never)
     */
    public LearningRateSchedule(double baseRate, long warmupSteps, double decayFactor, int patience, double minRate,
                                int stopAfter) {
        if (!(baseRate > 0) || Double.isInfinite(baseRate) || warmupSteps < 0 || !(decayFactor > 0 && decayFactor <= 1)
                || patience < 1 || !(minRate >= 0) || stopAfter < 1) {
            throw new IllegalArgumentException("bad schedule: base " + baseRate + ", warm-up " + warmupSteps
                    + ", decay " + decayFactor + ", patience " + patience + ", min " + minRate + ", stop after "
                    + stopAfter);
        }
        this.baseRate = baseRate;
        this.warmupSteps = warmupSteps;
        this.decayFactor = decayFactor;
        this.patience = patience;
        this.minRate = minRate;
        this.stopAfter = stopAfter;
    }

    /** The rate for update number {@code step} (1-based). */
    public double rate(long step) {
        double warm = warmupSteps == 0 ? 1.0 : Math.min(1.0, (double) step / warmupSteps);
        return Math.max(minRate * warm, baseRate * factor * warm);
    }

    /**
     * Records a validation score (lower is better). Returns true when it is the best so far. Decays the
     * rate after {@code patience} evaluations without improvement.
     */
    public boolean observe(double score) {
        if (score < best) {
            best = score;
            sinceBest = 0;
            sinceDecay = 0;
            return true;
        }
        sinceBest++;
        sinceDecay++;
        if (sinceDecay >= patience && decayFactor < 1) {
            factor *= decayFactor;
            sinceDecay = 0;
        }
        return false;
    }

    /** True once {@code stopAfter} evaluations in a row brought no improvement. */
    public boolean shouldStop() {
        return sinceBest >= stopAfter;
    }

    public double best() {
        return best;
    }

    /** The mutable state, for a checkpoint. */
    public Map<String, Object> state() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("factor", factor);
        s.put("best", Double.isInfinite(best) ? null : best);
        s.put("since_best", sinceBest);
        s.put("since_decay", sinceDecay);
        return s;
    }

    /** Restores {@link #state()}. */
    public void restore(double factor, Double best, int sinceBest, int sinceDecay) {
        if (!(factor > 0) || sinceBest < 0 || sinceDecay < 0) {
            throw new IllegalArgumentException("bad schedule state: factor " + factor + ", since best " + sinceBest
                    + ", since decay " + sinceDecay);
        }
        this.factor = factor;
        this.best = best == null ? Double.POSITIVE_INFINITY : best;
        this.sinceBest = sinceBest;
        this.sinceDecay = sinceDecay;
    }

    /** {@link #state()} as JSON (the best score null before any evaluation). */
    public com.google.gson.JsonObject stateJson() {
        com.google.gson.JsonObject o = new com.google.gson.JsonObject();
        o.addProperty("factor", factor);
        if (Double.isInfinite(best)) {
            o.add("best", com.google.gson.JsonNull.INSTANCE);
        } else {
            o.addProperty("best", best);
        }
        o.addProperty("since_best", sinceBest);
        o.addProperty("since_decay", sinceDecay);
        return o;
    }

    /** Restores {@link #stateJson()}. */
    public void restore(com.google.gson.JsonObject o) {
        restore(o.get("factor").getAsDouble(), o.get("best").isJsonNull() ? null : o.get("best").getAsDouble(),
                o.get("since_best").getAsInt(), o.get("since_decay").getAsInt());
    }

    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("base_rate", baseRate);
        c.put("warmup_steps", warmupSteps);
        c.put("decay_factor", decayFactor);
        c.put("patience", patience);
        c.put("min_rate", minRate);
        c.put("stop_after", stopAfter);
        return c;
    }
}

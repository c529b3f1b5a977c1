package org.lrn4j.lightrnn;

import java.util.Locale;

import com.google.gson.JsonObject;

/**
 * What makes a language model a LightRNN one, beyond its recurrent core ({@link org.lrn4j.train.ModelSpec}):
 * the table's shape, how words are first placed, and the rounds of training and re-allocation.
 *
 * @param rows           rows R of the word table (⌈√V⌉ by default)
 * @param cols           columns C (⌈√V⌉ by default); R·C ≥ V
 * @param init           "random" (seeded) or "frequency"
 * @param rounds         training rounds; a re-allocation follows every round but the last
 * @param epochsPerRound training epochs per round
 * @param solver         the {@link AllocationSolver} of the re-allocations ("exact", "auction", "greedy")
 */
public record LightRnnOptions(int rows, int cols, String init, int rounds, int epochsPerRound, String solver) {
    public LightRnnOptions {
        init = init.toLowerCase(Locale.ROOT);
        solver = solver.toLowerCase(Locale.ROOT);
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("the word table needs rows and cols >= 1, got " + rows + " and " + cols);
        }
        if (!init.equals("random") && !init.equals("frequency")) {
            throw new IllegalArgumentException("init must be random or frequency, got '" + init + "'");
        }
        if (rounds < 1 || epochsPerRound < 1) {
            throw new IllegalArgumentException("rounds and epochs per round must be >= 1, got " + rounds + " and "
                    + epochsPerRound);
        }
    }

    /** Options with the square ⌈√V⌉ table. */
    public static LightRnnOptions square(int words, String init, int rounds, int epochsPerRound, String solver) {
        int side = WordTable.side(words);
        return new LightRnnOptions(side, side, init, rounds, epochsPerRound, solver);
    }

    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("rows", rows);
        o.addProperty("cols", cols);
        o.addProperty("init", init);
        o.addProperty("rounds", rounds);
        o.addProperty("epochs_per_round", epochsPerRound);
        o.addProperty("solver", solver);
        return o;
    }

    public static LightRnnOptions fromJson(JsonObject o) {
        try {
            return new LightRnnOptions(o.get("rows").getAsInt(), o.get("cols").getAsInt(), o.get("init").getAsString(),
                    o.get("rounds").getAsInt(), o.get("epochs_per_round").getAsInt(), o.get("solver").getAsString());
        } catch (NullPointerException | UnsupportedOperationException | IllegalStateException | NumberFormatException e) {
            throw new IllegalArgumentException("the LightRNN options are incomplete or malformed: " + o, e);
        }
    }
}

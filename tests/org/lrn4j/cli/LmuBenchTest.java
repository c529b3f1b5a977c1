package org.lrn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The LMU floors counted by hand at small sizes, and {@code bench lmu --json} at tiny sizes, every row present. */
class LmuBenchTest {

    @Test
    void originalFloorCountsEveryProduct() {
        // T 2, B 1, D 1, H 1, q 1, d 1: every product is 2 FLOPs per row and column pair
        // input parts 2·2·(1+1) = 8; per step forward 2·(1+1+1+1+1+1) = 12 and backward 12, twice: 48;
        // weight gradients 2·2·(2+1+1+1+1) = 24; dX 8
        assertEquals(8 + 48 + 24 + 8, LmuFloors.originalTrainFlops(2, 1, 1, 1, 1, 1), 1e-9);
        // B 3, H 5, q 2, d 4 at one step: the memory update [B·q, d]·[d, d] dominates as 2·3·2·16
        double perStep = LmuFloors.originalStepForwardFlops(3, 5, 2, 4);
        assertEquals(2.0 * 3 * (5 * 2 + 8 * 2 + 2 * 16 + 2 * 4 + 25 + 8 * 5), perStep, 1e-9);
        assertEquals(2 * 2.0 * 3 * 2 * 7 * 4, LmuFloors.lastStepMemoryFlops(7, 3, 2, 4), 1e-9);
        assertEquals(4 * 4.0 * 7 * 3 * 2 * 4, LmuFloors.memoryBytes(7, 3, 2, 4), 1e-9);
    }

    @Test
    void jsonRowsForEveryCase() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = new CommandLine(new Main()).execute("bench", "lmu", "--json", "--backend", "java", "--steps", "9",
                    "--batch", "2", "--size", "5x3", "--memory-shape", "9x2x2x3", "--memory-hidden", "4",
                    "--max-seconds", "0.05", "--repetitions", "1", "--original-repetitions", "1", "--peak-gflops", "10",
                    "--bandwidth-gbs", "10");
        } finally {
            System.setOut(saved);
        }
        assertEquals(0, code);
        List<JsonObject> rows = new ArrayList<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith("{")) {
                rows.add(JsonParser.parseString(line).getAsJsonObject());
            }
        }
        List<String> names = new ArrayList<>();
        for (JsonObject r : rows) {
            names.add(r.get("name").getAsString() + "/" + (r.has("mode") ? r.get("mode").getAsString() : ""));
            assertTrue(r.get("ms").getAsDouble() > 0, r.toString());
            if (r.has("floor_ms")) {
                assertTrue(r.get("floor_ms").getAsDouble() > 0, r.toString());
            }
        }
        assertEquals(List.of("lmu.original.train_step/sequential", "lmu.parallel.train_step/LAST_STEP",
                "lmu.parallel.train_step/BLOCKED", "lmu.memory_mode.train_step/BLOCKED",
                "lmu.memory_mode.train_step/FFT", "lmu.memory_mode.train_step/LAST_STEP"), names);
        assertTrue(rows.get(1).get("x_original").getAsDouble() > 0);
        assertTrue(rows.get(3).has("auto_right"));
    }
}

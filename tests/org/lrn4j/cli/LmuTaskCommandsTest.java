package org.lrn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code train --task mackey-glass} (both models, tiny sizes) then {@code eval --json} through the command line:
 * the summary and the evaluation agree, and the LSTM is sized to the LMU's parameter count; bad task/model pairs
 * are refused.
 */
class LmuTaskCommandsTest {
    private static int run(StringBuilder output, String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            return new CommandLine(new Main()).execute(args);
        } finally {
            System.setOut(saved);
            output.append(out.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void mackeyGlassTrainAndEvaluate(@TempDir Path dir) throws Exception {
        long[] parameters = new long[2];
        String[] models = {"lmu", "lstm"};
        for (int i = 0; i < 2; i++) {
            Path runDir = dir.resolve(models[i]);
            StringBuilder out = new StringBuilder();
            assertEquals(0, run(out, "train", "--task", "mackey-glass", "--model", models[i], "--order", "8", "--theta", "16",
                    "--hidden", "8", "--window", "32", "--epochs", "2", "--dir", runDir.toString(), "--backend", "native"),
                    out.toString());
            JsonObject summary = JsonParser.parseString(Files.readString(runDir.resolve("summary.json"))).getAsJsonObject();
            assertEquals("nrmse", summary.get("metric").getAsString());
            assertEquals(2, summary.get("epochs").getAsInt());
            assertTrue(summary.get("seconds_per_epoch").getAsDouble() > 0);
            parameters[i] = summary.get("parameters").getAsLong();
            StringBuilder evalOut = new StringBuilder();
            assertEquals(0, run(evalOut, "eval", "--checkpoint", runDir.toString(), "--json", "--backend", "native"));
            JsonObject eval = JsonParser.parseString(evalOut.toString().trim()).getAsJsonObject();
            assertEquals(summary.get("test").getAsDouble(), eval.get("nrmse").getAsDouble(), 1e-9);
            assertEquals(parameters[i], eval.get("parameters").getAsLong());
        }
        // LMU: 2 + 8·8 + 3·8 + 1 = 91; the nearest LSTM (hidden 4) has 4·4·5 + 16 + 5 = 101
        assertEquals(91, parameters[0]);
        assertEquals(101, parameters[1]);
        StringBuilder out = new StringBuilder();
        assertNotEquals(0, run(out, "train", "--task", "mackey-glass", "--model", "lmu-original", "--dir",
                dir.resolve("bad").toString()));
        assertNotEquals(0, run(out, "train", "--task", "fashion-mnist", "--model", "lstm", "--dir",
                dir.resolve("bad").toString()));
    }
}

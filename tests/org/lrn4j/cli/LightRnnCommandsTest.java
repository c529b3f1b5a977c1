package org.lrn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.lrn4j.lightrnn.AllocationCost;
import org.lrn4j.lightrnn.AllocationCostIO;
import picocli.CommandLine;

/** train --model lightrnn → eval → generate through the command line, on a small text file, tiny sizes. */
class LightRnnCommandsTest {
    private static String run(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int code = new CommandLine(new Main()).execute(args);
            assertEquals(0, code, "exit code of " + String.join(" ", args));
        } finally {
            System.setOut(saved);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void trainEvaluateSample(@TempDir Path dir) throws Exception {
        String[] subjects = {"the dog", "a cat", "the old man", "my friend", "a bird", "the child", "her sister"};
        String[] verbs = {"sees", "likes", "follows", "hears", "calls"};
        String[] objects = {"the house .", "a tree .", "the river .", "the cat .", "my dog .", "the red car ."};
        java.util.SplittableRandom rng = new java.util.SplittableRandom(4);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 1500; i++) {
            text.append(subjects[rng.nextInt(subjects.length)]).append(' ').append(verbs[rng.nextInt(verbs.length)])
                    .append(' ').append(objects[rng.nextInt(objects.length)]).append('\n');
        }
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, text, StandardCharsets.UTF_8);
        Path run = dir.resolve("light");
        String trained = run("train", "--corpus", "text:" + corpus, "--model", "lightrnn", "--rounds", "2", "--epochs-per-round", "3", "--solver",
                "exact", "--init", "frequency", "--save-costs", "--dir", run.toString(), "--hidden", "16", "--embedding",
                "8", "--batch", "20", "--bptt", "20", "--lr", "0.01", "--warmup", "10", "--backend", "native");
        assertTrue(trained.contains("re-allocation after round 1"), trained);
        JsonObject summary = JsonParser.parseString(Files.readString(run.resolve("lightrnn.json"))).getAsJsonObject();
        assertEquals(1, summary.getAsJsonArray("reallocations").size());
        assertTrue(summary.get("peak_off_heap_bytes").getAsLong() > 0);
        AllocationCost cost = AllocationCostIO.read(run.resolve("costs-round-1.safetensors"));
        assertEquals(cost.rows(), cost.cols());
        assertTrue(cost.cells() >= cost.words() && (cost.rows() - 1) * (cost.rows() - 1) < cost.words(),
                "a square table of side ceil(sqrt(V))");
        JsonObject eval = JsonParser.parseString(run("eval", "--checkpoint", run.toString(), "--json", "--backend",
                "native").trim()).getAsJsonObject();
        double exact = eval.get("perplexity").getAsDouble();
        double twoStep = eval.get("perplexity_two_step_same_tokens").getAsDouble();
        assertTrue(exact > 1 && exact < 10, "test perplexity " + exact + " (a unigram model has about 20)");
        assertTrue(exact <= twoStep * (1 + 1e-9), exact + " vs two-step " + twoStep);
        assertEquals(cost.rows() + "x" + cost.cols(), eval.get("table").getAsString());
        String sample = run("generate", "--checkpoint", run.toString(), "--prompt", "the", "--length", "12", "--backend",
                "native");
        assertTrue(sample.trim().startsWith("the") && sample.trim().split("\\s+").length > 5, sample);
    }
}

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

/** train → eval → generate → explain through the command line, on the generated corpus, tiny sizes; an oLRN language model. */
class TrainingCommandsTest {
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
    void trainEvaluateSampleExplain(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        String trained = run("train", "--dir", run.toString(), "--epochs", "1", "--hidden", "16", "--embedding", "8",
                "--batch", "40", "--bptt", "40", "--activation", "identity", "--backend", "native");
        assertTrue(trained.contains("test perplexity"), trained);
        assertTrue(Files.size(run.resolve("curve.png")) > 1000);
        JsonObject eval = JsonParser.parseString(run("eval", "--checkpoint", run.toString(), "--json", "--backend", "native")
                .trim()).getAsJsonObject();
        double ppl = eval.get("perplexity").getAsDouble();
        assertTrue(ppl > 1 && ppl < 64, "test perplexity " + ppl + " (a unigram model has 64)");
        String sample = run("generate", "--checkpoint", run.toString(), "--prompt", "the", "--length", "12", "--backend", "native");
        assertTrue(sample.trim().startsWith("the"), sample);
        assertNotEquals("the", sample.trim());
        Path png = dir.resolve("explain.png");
        String explained = run("explain", "--checkpoint", run.toString(), "--text", "the old dog sees the cat .",
                "--png", png.toString(), "--json", "--backend", "native");
        JsonObject e = JsonParser.parseString(explained.trim()).getAsJsonObject();
        assertEquals(7, e.getAsJsonArray("tokens").size());
        assertEquals(7, e.getAsJsonArray("weights").size());
        assertTrue(Files.size(png) > 1000);
    }

    /**
     * An oLRN language model (stacked, layer norm) through the command line on a small text file: train, eval
     * and generate load its checkpoint back; explain refuses it (the unfolded form is plain LRN's).
     */
    @Test
    void olrnLanguageModel(@TempDir Path dir) throws Exception {
        String[] subjects = {"the dog", "a cat", "the old man", "my friend", "a bird"};
        String[] verbs = {"sees", "likes", "follows", "hears"};
        String[] objects = {"the house .", "a tree .", "the river .", "the cat .", "my dog ."};
        java.util.SplittableRandom rng = new java.util.SplittableRandom(4);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            text.append(subjects[rng.nextInt(subjects.length)]).append(' ').append(verbs[rng.nextInt(verbs.length)])
                    .append(' ').append(objects[rng.nextInt(objects.length)]).append('\n');
        }
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, text, StandardCharsets.UTF_8);
        Path run = dir.resolve("olrn");
        String trained = run("train", "--corpus", "text:" + corpus, "--cell", "olrn", "--layers", "2", "--layer-norm",
                "--dir", run.toString(), "--epochs", "1", "--hidden", "16", "--embedding", "8", "--batch", "20",
                "--bptt", "20", "--lr", "0.01", "--warmup", "10", "--backend", "native");
        assertTrue(trained.contains("test perplexity"), trained);
        JsonObject eval = JsonParser.parseString(run("eval", "--checkpoint", run.toString(), "--json", "--backend",
                "native").trim()).getAsJsonObject();
        assertEquals("olrn", eval.get("cell").getAsString());
        double ppl = eval.get("perplexity").getAsDouble();
        assertTrue(ppl > 1 && ppl < 8, "test perplexity " + ppl + " (the grammar allows at most 5 words at a step)");
        String sample = run("generate", "--checkpoint", run.toString(), "--prompt", "the", "--length", "8",
                "--backend", "native");
        assertTrue(sample.trim().startsWith("the"), sample);
        java.io.StringWriter err = new java.io.StringWriter();
        int code = new CommandLine(new Main()).setErr(new java.io.PrintWriter(err, true)).execute("explain",
                "--checkpoint", run.toString(), "--text", "the dog sees", "--png", dir.resolve("explain.png").toString(),
                "--backend", "native");
        assertNotEquals(0, code, "exit code of explain on an oLRN");
        assertTrue(err.toString().contains("plain LRN"), err.toString());
    }
}

package org.lrn4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class BatchesTest {
    @Test
    void streamBatchesContinueEachPieceAndShiftTargets() {
        for (int[] shape : new int[][] {{1, 1, 7}, {3, 4, 31}, {4, 5, 103}, {7, 13, 1000}, {2, 50, 41}}) {
            int b = shape[0];
            int t = shape[1];
            int n = shape[2];
            int[] stream = new int[n];
            for (int i = 0; i < n; i++) {
                stream[i] = i;
            }
            StreamBatches batches = new StreamBatches(stream, b, t);
            int length = n / b;
            assertEquals(length, batches.pieceLength());
            List<List<Integer>> inputs = new ArrayList<>();
            for (int j = 0; j < b; j++) {
                inputs.add(new ArrayList<>());
            }
            int k = 0;
            long predicted = 0;
            for (StreamBatches.Batch batch : batches) {
                assertEquals(k++, batch.index());
                assertTrue(batch.steps() >= 1 && batch.steps() <= t);
                assertEquals(b, batch.batch());
                for (int s = 0; s < batch.steps(); s++) {
                    for (int j = 0; j < b; j++) {
                        assertEquals(batch.input(s, j) + 1, batch.target(s, j), "targets are the next ids");
                        assertEquals(batch.inputs()[s * b + j], batch.input(s, j), "time-major [T, B]");
                        inputs.get(j).add(batch.input(s, j));
                        predicted++;
                    }
                }
            }
            assertEquals(batches.size(), k);
            assertEquals(batches.predictedTokens(), predicted);
            for (int j = 0; j < b; j++) {
                List<Integer> piece = inputs.get(j);
                assertEquals(length - 1, piece.size());
                for (int i = 0; i < piece.size(); i++) {
                    assertEquals(j * length + i, piece.get(i), "piece " + j + " is read in order, batch after batch");
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new StreamBatches(new int[5], 3, 2));
        assertThrows(IllegalArgumentException.class, () -> new StreamBatches(new int[50], 0, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> new StreamBatches(new int[50], 2, 5).get(5));
    }

    private static List<ClassificationSet.Example> examples(int n, long seed) {
        Random rng = new Random(seed);
        List<ClassificationSet.Example> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] tokens = new int[1 + rng.nextInt(60)];
            for (int j = 0; j < tokens.length; j++) {
                tokens[j] = 1 + rng.nextInt(20);
            }
            out.add(new ClassificationSet.Example(tokens, rng.nextInt(3), "x" + i));
        }
        return out;
    }

    @Test
    void bucketBatchesCoverEveryExampleOnceWithPadding() {
        List<ClassificationSet.Example> ex = examples(1037, 1);
        BucketBatches batches = new BucketBatches(ex, 16, 0, 42);
        assertEquals(65, batches.size());
        for (List<BucketBatches.PaddedBatch> pass : List.of(batches.epoch(0), batches.epoch(3), batches.inOrder())) {
            assertEquals(65, pass.size());
            boolean[] seen = new boolean[ex.size()];
            for (BucketBatches.PaddedBatch p : pass) {
                for (int j = 0; j < p.batch(); j++) {
                    int idx = p.indices()[j];
                    assertTrue(!seen[idx], "example " + idx + " twice");
                    seen[idx] = true;
                    ClassificationSet.Example e = ex.get(idx);
                    assertEquals(e.length(), p.lengths()[j]);
                    assertEquals(e.label(), p.labels()[j]);
                    for (int s = 0; s < p.steps(); s++) {
                        assertEquals(s < e.length() ? e.tokens()[s] : 0, p.token(s, j), "[T, B] padded with the pad id");
                    }
                }
                assertEquals(p.steps(), java.util.Arrays.stream(p.lengths()).max().orElseThrow());
            }
            for (boolean s : seen) {
                assertTrue(s);
            }
        }
    }

    @Test
    void bucketingKeepsPaddingLowAndShufflesBySeedAndEpoch() {
        List<ClassificationSet.Example> ex = examples(2000, 2);
        BucketBatches batches = new BucketBatches(ex, 32, 0, 9);
        List<BucketBatches.PaddedBatch> e0 = batches.epoch(0);
        long real = 0;
        long padded = 0;
        for (BucketBatches.PaddedBatch p : e0) {
            real += p.realTokens();
            padded += (long) p.steps() * p.batch();
        }
        assertTrue(padded < real * 1.15, "bucketed padding " + padded + " for " + real + " real tokens");
        assertEquals(indices(e0), indices(new BucketBatches(ex, 32, 0, 9).epoch(0)), "same seed and epoch, same batches");
        assertNotEquals(indices(e0), indices(batches.epoch(1)), "another epoch, another order");
        assertNotEquals(indices(e0), indices(new BucketBatches(ex, 32, 0, 10).epoch(0)), "another seed, another order");
        List<BucketBatches.PaddedBatch> ordered = batches.inOrder();
        for (int i = 1; i < ordered.size(); i++) {
            assertTrue(ordered.get(i - 1).steps() <= ordered.get(i).steps());
        }
        assertThrows(IllegalArgumentException.class, () -> new BucketBatches(List.of(), 4, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new ClassificationSet.Example(new int[0], 0, "empty"));
    }

    private static List<Integer> indices(List<BucketBatches.PaddedBatch> pass) {
        List<Integer> out = new ArrayList<>();
        for (BucketBatches.PaddedBatch p : pass) {
            for (int i : p.indices()) {
                out.add(i);
            }
        }
        return out;
    }
}

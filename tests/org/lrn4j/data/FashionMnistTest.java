package org.lrn4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {
    /** Writes n training and m test images whose first pixel encodes the index and label (index mod 10). */
    private static void makeFiles(Path dir, int n, int m, boolean gzip) throws IOException {
        for (String prefix : new String[] {"train", "t10k"}) {
            int count = prefix.equals("train") ? n : m;
            byte[] px = new byte[count * FashionMnist.PIXELS];
            byte[] labels = new byte[count];
            for (int i = 0; i < count; i++) {
                labels[i] = (byte) (i % 10);
                px[i * FashionMnist.PIXELS] = (byte) (i % 256);
                px[i * FashionMnist.PIXELS + 1] = (byte) (i / 256);
                for (int p = 2; p < FashionMnist.PIXELS; p++) {
                    px[i * FashionMnist.PIXELS + p] = (byte) ((p * 7 + i) % 256);
                }
            }
            String suffix = gzip ? ".gz" : "";
            Idx.write(dir.resolve(prefix + "-images-idx3-ubyte" + suffix),
                    new Idx.Array(Idx.Type.UBYTE, new int[] {count, 28, 28}, px), gzip);
            Idx.write(dir.resolve(prefix + "-labels-idx1-ubyte" + suffix),
                    new Idx.Array(Idx.Type.UBYTE, new int[] {count}, labels), gzip);
        }
    }

    private static int index(FashionMnist.Part part, int i) {
        return (part.pixels()[i * FashionMnist.PIXELS] & 0xFF) + 256 * (part.pixels()[i * FashionMnist.PIXELS + 1] & 0xFF);
    }

    @Test
    void splitsTrainingImagesIntoTrainAndValidation(@TempDir Path dir) throws IOException {
        makeFiles(dir, FashionMnist.VALID_SIZE + 37, 23, true);
        assertTrue(FashionMnist.available(dir));
        FashionMnist data = FashionMnist.load(dir);
        assertEquals(37, data.train().size());
        assertEquals(FashionMnist.VALID_SIZE, data.valid().size());
        assertEquals(23, data.test().size());
        Set<Integer> seen = new HashSet<>();
        for (FashionMnist.Part part : new FashionMnist.Part[] {data.train(), data.valid()}) {
            for (int i = 0; i < part.size(); i++) {
                int id = index(part, i);
                assertTrue(seen.add(id), "image " + id + " in one part only");
                assertEquals(id % 10, part.labels()[i], "label travels with its image");
            }
        }
        assertEquals(FashionMnist.VALID_SIZE + 37, seen.size());
        for (int i = 0; i < 23; i++) {
            assertEquals(i, index(data.test(), i), "test keeps the file's order");
        }
        assertTrue(data.pixelStd() > 0 && data.pixelMean() > 0 && data.pixelMean() < 1);
    }

    @Test
    void permutedSequencesReadPixelsInTheFixedOrder(@TempDir Path dir) throws IOException {
        makeFiles(dir, FashionMnist.VALID_SIZE + 5, 4, false);
        FashionMnist data = FashionMnist.load(dir);
        int[] perm = FashionMnist.permutation(FashionMnist.PERMUTATION_SEED);
        assertArrayEquals(perm, FashionMnist.permutation(FashionMnist.PERMUTATION_SEED));
        assertFalse(Arrays.equals(perm, FashionMnist.permutation(1)));
        int[] sorted = perm.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            assertEquals(i, sorted[i], "a permutation of 0..783");
        }
        float[] raw = new float[FashionMnist.PIXELS * 2];
        float[] std = new float[FashionMnist.PIXELS * 2];
        int[] indices = {3, 1};
        data.sequences(data.test(), indices, 0, 2, perm, false, raw);
        data.sequences(data.test(), indices, 0, 2, perm, true, std);
        for (int t = 0; t < FashionMnist.PIXELS; t += 97) {
            for (int b = 0; b < 2; b++) {
                double expected = data.test().pixel(indices[b], perm[t]);
                assertEquals(expected, raw[t * 2 + b], 1e-6, "step " + t + " reads pixel perm[t] scaled to [0, 1]");
                assertEquals((expected - data.pixelMean()) / data.pixelStd(), std[t * 2 + b], 1e-5);
            }
        }
        assertThrows(IllegalArgumentException.class,
                () -> data.sequences(data.test(), indices, 1, 2, perm, false, raw));
    }

    @Test
    void rejectsMismatchedFiles(@TempDir Path dir) throws IOException {
        IOException missing = assertThrows(IOException.class, () -> FashionMnist.load(dir));
        assertTrue(missing.getMessage().contains("dataset-fashion-mnist"), missing.getMessage());
        makeFiles(dir, FashionMnist.VALID_SIZE + 2, 3, false);
        Idx.write(dir.resolve("t10k-labels-idx1-ubyte"), new Idx.Array(Idx.Type.UBYTE, new int[] {4}, new byte[4]),
                false);
        IOException e = assertThrows(IOException.class, () -> FashionMnist.load(dir));
        assertTrue(e.getMessage().contains("expected 3 UBYTE labels"), e.getMessage());
        Idx.write(dir.resolve("t10k-labels-idx1-ubyte"),
                new Idx.Array(Idx.Type.UBYTE, new int[] {3}, new byte[] {1, 10, 2}), false);
        e = assertThrows(IOException.class, () -> FashionMnist.load(dir));
        assertTrue(e.getMessage().contains("label 10"), e.getMessage());
    }

    @Test
    void realFilesHaveTheDistributionsSizes() throws IOException {
        Path dir = FashionMnist.defaultLocation();
        Assumptions.assumeTrue(FashionMnist.available(dir),
                "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist); skipped");
        FashionMnist data = FashionMnist.load(dir);
        assertEquals(55_000, data.train().size());
        assertEquals(5_000, data.valid().size());
        assertEquals(10_000, data.test().size());
        int[] counts = new int[10];
        for (int y : data.test().labels()) {
            counts[y]++;
        }
        for (int c : counts) {
            assertEquals(1000, c, "the test part has 1,000 images per class");
        }
        assertEquals(0.286, data.pixelMean(), 0.01);
        assertEquals(0.353, data.pixelStd(), 0.01);
    }
}

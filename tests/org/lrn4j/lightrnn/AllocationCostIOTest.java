package org.lrn4j.lightrnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.lrn4j.train.checkpoint.FileFormatException;
import org.lrn4j.train.checkpoint.SafetensorsWriter;

class AllocationCostIOTest {
    @TempDir
    Path dir;

    @Test
    void roundTripKeepsEveryCostBitForBit() throws IOException {
        AllocationCost cost = RandomAllocationCosts.zipfian(37, 1);
        Path file = dir.resolve("cost.safetensors");
        AllocationCostIO.write(file, cost);
        AllocationCost back = AllocationCostIO.read(file);
        assertEquals(37, back.words());
        assertEquals(7, back.rows());
        assertEquals(7, back.cols());
        assertArrayEquals(cost.rowCost(), back.rowCost());
        assertArrayEquals(cost.colCost(), back.colCost());
        AllocationCost other = RandomAllocationCosts.uniform(5, 2);
        AllocationCostIO.write(file, other);
        assertArrayEquals(other.colCost(), AllocationCostIO.read(file).colCost());
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file is left behind");
        }
    }

    @Test
    void truncatedAndDamagedFilesAreRejected() throws IOException {
        Path file = dir.resolve("cost.safetensors");
        AllocationCostIO.write(file, RandomAllocationCosts.uniform(20, 3));
        byte[] bytes = Files.readAllBytes(file);

        Path truncated = dir.resolve("truncated.safetensors");
        for (int keep : new int[] {0, 5, 40, bytes.length - 1}) {
            Files.write(truncated, Arrays.copyOf(bytes, keep));
            assertThrows(FileFormatException.class, () -> AllocationCostIO.read(truncated), "kept " + keep + " bytes");
        }

        Path flipped = dir.resolve("flipped.safetensors");
        byte[] damaged = bytes.clone();
        damaged[bytes.length - 3] ^= 0x10;
        Files.write(flipped, damaged);
        FileFormatException e = assertThrows(FileFormatException.class, () -> AllocationCostIO.read(flipped));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());

        assertThrows(NoSuchFileException.class, () -> AllocationCostIO.read(dir.resolve("missing.safetensors")));
    }

    @Test
    void otherSafetensorsFilesAreNotTakenForCosts() throws IOException {
        Path plain = dir.resolve("plain.safetensors");
        new SafetensorsWriter().add("row_cost", new float[4], 2, 2).add("col_cost", new float[4], 2, 2).write(plain);
        assertThrows(FileFormatException.class, () -> AllocationCostIO.read(plain));

        Path wrongShape = dir.resolve("shape.safetensors");
        new SafetensorsWriter().metadata("format", AllocationCostIO.FORMAT).metadata("version", "1")
                .metadata("words", "2").metadata("rows", "2").metadata("cols", "2")
                .metadata("crc32c", AllocationCostIO.checksum(new float[6], new float[4]))
                .add("row_cost", new float[6], 2, 3).add("col_cost", new float[4], 2, 2).write(wrongShape);
        assertThrows(FileFormatException.class, () -> AllocationCostIO.read(wrongShape));

        Path infinite = dir.resolve("inf.safetensors");
        float[] rc = {0, Float.POSITIVE_INFINITY, 0, 0};
        new SafetensorsWriter().metadata("format", AllocationCostIO.FORMAT).metadata("version", "1")
                .metadata("words", "2").metadata("rows", "2").metadata("cols", "2")
                .metadata("crc32c", AllocationCostIO.checksum(rc, new float[4]))
                .add("row_cost", rc, 2, 2).add("col_cost", new float[4], 2, 2).write(infinite);
        assertThrows(FileFormatException.class, () -> AllocationCostIO.read(infinite));

        assertThrows(NullPointerException.class, () -> AllocationCostIO.write(dir.resolve("x"), null));
        assertThrows(NullPointerException.class, () -> AllocationCostIO.read(null));
    }
}

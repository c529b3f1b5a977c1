package org.lrn4j.lightrnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The word table: its side, the random and frequency placements, moves, JSON, and bad tables. */
class WordTableTest {
    @Test
    void sideIsTheCeilingOfTheSquareRoot() {
        assertEquals(1, WordTable.side(1));
        assertEquals(2, WordTable.side(2));
        assertEquals(2, WordTable.side(4));
        assertEquals(3, WordTable.side(5));
        assertEquals(224, WordTable.side(50_000));
        assertEquals(224, WordTable.side(224 * 224));
        assertEquals(225, WordTable.side(224 * 224 + 1));
    }

    @Test
    void randomPlacementIsSeededAndValid() {
        WordTable a = WordTable.random(10, 4, 3, 7);
        assertEquals(a, WordTable.random(10, 4, 3, 7));
        assertNotEquals(a, WordTable.random(10, 4, 3, 8));
        int empty = 0;
        for (int c = 0; c < a.cells(); c++) {
            int w = a.wordAt(c);
            if (w < 0) {
                empty++;
            } else {
                assertEquals(c, a.cell(w));
                assertEquals(c / 3, a.row(w));
                assertEquals(c % 3, a.col(w));
            }
        }
        assertEquals(2, empty);
    }

    @Test
    void frequencyPlacementFillsRowsByCount() {
        WordTable t = WordTable.byFrequency(new long[] {1, 9, 5, 9, 0}, 2, 3);
        assertArrayEquals(new int[] {3, 0, 2, 1, 4}, t.cellsOfWords());
        assertEquals(-1, t.wordAt(5));
    }

    @Test
    void movesAndJson() {
        WordTable a = WordTable.random(6, 3, 3, 1);
        WordTable b = a.reassign(new int[] {0, 1, 2, 3, 4, 5});
        assertEquals(b, WordTable.fromJson(b.toJson()));
        int moved = 0;
        for (int w = 0; w < 6; w++) {
            moved += a.cell(w) != w ? 1 : 0;
        }
        assertEquals(moved, a.moved(b));
        assertEquals(0, b.moved(b));
    }

    @Test
    void badTablesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new WordTable(2, 2, new int[] {0, 1, 2, 3, 0}));
        assertThrows(IllegalArgumentException.class, () -> new WordTable(2, 2, new int[] {0, 0}));
        assertThrows(IllegalArgumentException.class, () -> new WordTable(2, 2, new int[] {4}));
        assertThrows(IllegalArgumentException.class, () -> new WordTable(0, 2, new int[] {0}));
        assertThrows(IllegalArgumentException.class, () -> WordTable.random(5, 2, 2, 1));
        assertThrows(IllegalArgumentException.class, () -> WordTable.initial("alphabetical", new long[3], 2, 2, 1));
        com.google.gson.JsonObject o = WordTable.random(3, 2, 2, 1).toJson();
        o.remove("cells");
        assertThrows(IllegalArgumentException.class, () -> WordTable.fromJson(o));
    }
}

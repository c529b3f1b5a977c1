package org.lrn4j.lightrnn;

import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

/**
 * Where each word of a LightRNN vocabulary sits: a cell (row i, column j) of a {@code rows × cols} table,
 * one word per cell, the remaining cells empty (a table of ⌈√V⌉ × ⌈√V⌉ cells has up to 2⌈√V⌉ − 1 of
 * them). A word is read as its row vector and its column vector, so the table decides which words share
 * a vector. It starts at random (seeded) or by frequency, and is changed by {@link #reassign} after a
 * re-allocation round; the model's vectors belong to the rows and columns, not to the words, so they
 * stay where they are when words move.
 */
public final class WordTable {
    private final int rows;
    private final int cols;
    private final int[] cellOfWord;
    private final int[] wordOfCell;

    /** A table holding word w in cell {@code cellOfWord[w]} (row-major {@code i·cols + j}). */
    public WordTable(int rows, int cols, int[] cellOfWord) {
        Objects.requireNonNull(cellOfWord, "cellOfWord");
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("a word table needs rows and cols >= 1, got " + rows + " and " + cols);
        }
        if (cellOfWord.length < 1 || (long) rows * cols < cellOfWord.length) {
            throw new IllegalArgumentException(cellOfWord.length + " words do not fit in a " + rows + "x" + cols
                    + " table (or there are none)");
        }
        this.rows = rows;
        this.cols = cols;
        this.cellOfWord = cellOfWord.clone();
        this.wordOfCell = new int[rows * cols];
        Arrays.fill(wordOfCell, -1);
        for (int w = 0; w < cellOfWord.length; w++) {
            int c = cellOfWord[w];
            if (c < 0 || c >= wordOfCell.length) {
                throw new IllegalArgumentException("word " + w + " is in cell " + c + ", outside the " + rows + "x" + cols
                        + " table");
            }
            if (wordOfCell[c] >= 0) {
                throw new IllegalArgumentException("cell " + c + " holds two words, " + wordOfCell[c] + " and " + w);
            }
            wordOfCell[c] = w;
        }
    }

    /** The side of the square table for V words: ⌈√V⌉. */
    public static int side(int words) {
        if (words < 1) {
            throw new IllegalArgumentException("a table needs >= 1 word, got " + words);
        }
        int s = (int) Math.ceil(Math.sqrt(words));
        while ((long) s * s < words) {
            s++;
        }
        while (s > 1 && (long) (s - 1) * (s - 1) >= words) {
            s--;
        }
        return s;
    }

    /** Words in cells drawn at random (a seeded permutation of the cells). */
    public static WordTable random(int words, int rows, int cols, long seed) {
        checkFits(words, rows, cols);
        int[] cells = new int[rows * cols];
        for (int c = 0; c < cells.length; c++) {
            cells[c] = c;
        }
        SplittableRandom rng = new SplittableRandom(seed);
        for (int c = cells.length - 1; c > 0; c--) {
            int k = rng.nextInt(c + 1);
            int t = cells[c];
            cells[c] = cells[k];
            cells[k] = t;
        }
        return new WordTable(rows, cols, Arrays.copyOf(cells, words));
    }

    /**
     * Words in cells by frequency: the most frequent word in cell 0, the next in cell 1, and so on row by row
     * (ties by word id), so that the frequent words share the first rows and the empty cells are the last.
     */
    public static WordTable byFrequency(long[] counts, int rows, int cols) {
        int words = counts.length;
        checkFits(words, rows, cols);
        Integer[] order = new Integer[words];
        for (int w = 0; w < words; w++) {
            order[w] = w;
        }
        Arrays.sort(order, (a, b) -> counts[a] != counts[b] ? Long.compare(counts[b], counts[a]) : Integer.compare(a, b));
        int[] cell = new int[words];
        for (int k = 0; k < words; k++) {
            cell[order[k]] = k;
        }
        return new WordTable(rows, cols, cell);
    }

    /** The table named by {@code init} ("random" or "frequency"). */
    public static WordTable initial(String init, long[] counts, int rows, int cols, long seed) {
        return switch (init) {
            case "random" -> random(counts.length, rows, cols, seed);
            case "frequency" -> byFrequency(counts, rows, cols);
            default -> throw new IllegalArgumentException("a word table starts random or by frequency, got '" + init + "'");
        };
    }

    private static void checkFits(int words, int rows, int cols) {
        if (words < 1 || rows < 1 || cols < 1 || (long) rows * cols < words) {
            throw new IllegalArgumentException(words + " words do not fit in a " + rows + "x" + cols + " table");
        }
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public int words() {
        return cellOfWord.length;
    }

    public int cells() {
        return rows * cols;
    }

    public int row(int word) {
        return cellOfWord[word] / cols;
    }

    public int col(int word) {
        return cellOfWord[word] % cols;
    }

    public int cell(int word) {
        return cellOfWord[word];
    }

    /** The word in a cell, or -1 for an empty cell. */
    public int wordAt(int cell) {
        return wordOfCell[cell];
    }

    /** A copy of the cell of every word. */
    public int[] cellsOfWords() {
        return cellOfWord.clone();
    }

    /** The table with the words moved to {@code newCells} (this one is not changed). */
    public WordTable reassign(int[] newCells) {
        return new WordTable(rows, cols, newCells);
    }

    /** Words whose cell differs in {@code other}. */
    public int moved(WordTable other) {
        if (other.words() != words() || other.rows != rows || other.cols != cols) {
            throw new IllegalArgumentException("tables of different shapes");
        }
        int n = 0;
        for (int w = 0; w < cellOfWord.length; w++) {
            if (cellOfWord[w] != other.cellOfWord[w]) {
                n++;
            }
        }
        return n;
    }

    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("rows", rows);
        o.addProperty("cols", cols);
        JsonArray a = new JsonArray(cellOfWord.length);
        for (int c : cellOfWord) {
            a.add(c);
        }
        o.add("cells", a);
        return o;
    }

    public static WordTable fromJson(JsonObject o) {
        try {
            JsonArray a = o.getAsJsonArray("cells");
            int[] cells = new int[a.size()];
            for (int k = 0; k < cells.length; k++) {
                cells[k] = a.get(k).getAsInt();
            }
            return new WordTable(o.get("rows").getAsInt(), o.get("cols").getAsInt(), cells);
        } catch (NullPointerException | UnsupportedOperationException | IllegalStateException | ClassCastException
                 | NumberFormatException e) {
            throw new IllegalArgumentException("the word table is incomplete or malformed", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WordTable t && t.rows == rows && t.cols == cols && Arrays.equals(t.cellOfWord, cellOfWord);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * rows + cols) + Arrays.hashCode(cellOfWord);
    }
}

package org.lrn4j.lightrnn;

import java.util.Objects;

/**
 * The cost of placing each word in each cell of a LightRNN word table, in the separable form the model
 * gives it: word w in cell (i, j) costs {@code rowCost[w·rows + i] + colCost[w·cols + j]}, where the row
 * part is l_r(w, i) (the sum over w's occurrences in the training data of −log P_row(i)) and the column
 * part l_c(w, j) (of −log P_col(j)). Cells are numbered row-major, {@code cell = i·cols + j}. There may be
 * more cells than words: the cells no word takes stay empty.
 *
 * <p>The arrays are held, not copied (they are words·(rows + cols) floats, 400 MB at a million words), so
 * callers must not change them while a solver runs.
 */
public record AllocationCost(int words, int rows, int cols, float[] rowCost, float[] colCost) {

    public AllocationCost {
        Objects.requireNonNull(rowCost, "rowCost");
        Objects.requireNonNull(colCost, "colCost");
        if (words < 1 || rows < 1 || cols < 1) {
            throw new IllegalArgumentException("words, rows and cols must be >= 1, got " + words + ", " + rows + ", " + cols);
        }
        if ((long) rows * cols < words) {
            throw new IllegalArgumentException(words + " words do not fit in a " + rows + "x" + cols + " table");
        }
        if (rowCost.length != (long) words * rows || colCost.length != (long) words * cols) {
            throw new IllegalArgumentException("rowCost needs words*rows = " + (long) words * rows + " entries and colCost "
                    + "words*cols = " + (long) words * cols + ", got " + rowCost.length + " and " + colCost.length);
        }
        checkFinite(rowCost, "rowCost");
        checkFinite(colCost, "colCost");
    }

    private static void checkFinite(float[] a, String name) {
        for (int k = 0; k < a.length; k++) {
            if (!Float.isFinite(a[k])) {
                throw new IllegalArgumentException(name + "[" + k + "] is " + a[k] + ": costs must be finite");
            }
        }
    }

    /** Number of cells, rows·cols. */
    public int cells() {
        return rows * cols;
    }

    /** The cost of word w in cell {@code cell} (row-major). */
    public double cost(int w, int cell) {
        return (double) rowCost[w * rows + cell / cols] + colCost[w * cols + cell % cols];
    }

    /** The total cost of an allocation (one cell per word), after checking that it is one. */
    public double total(int[] cellOfWord) {
        check(cellOfWord);
        double sum = 0;
        for (int w = 0; w < words; w++) {
            sum += cost(w, cellOfWord[w]);
        }
        return sum;
    }

    /** Throws unless {@code cellOfWord} gives every word its own cell of the table. */
    public void check(int[] cellOfWord) {
        if (cellOfWord.length != words) {
            throw new IllegalArgumentException("an allocation needs one cell per word: " + words + ", got " + cellOfWord.length);
        }
        boolean[] taken = new boolean[cells()];
        for (int w = 0; w < words; w++) {
            int c = cellOfWord[w];
            if (c < 0 || c >= taken.length) {
                throw new IllegalArgumentException("word " + w + " is in cell " + c + ", outside the " + rows + "x" + cols + " table");
            }
            if (taken[c]) {
                throw new IllegalArgumentException("cell " + c + " holds two words (the second is word " + w + ")");
            }
            taken[c] = true;
        }
    }
}

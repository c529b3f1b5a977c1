package org.lrn4j.lightrnn;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * The row-then-column greedy allocation, the baseline that published LightRNN code uses in place of a
 * matching. Exactly:
 * <ol>
 *   <li>Each word's priority is how strongly it prefers its best row: the mean of its row costs minus the
 *       smallest, (1/rows)·Σ_i l_r(w, i) − min_i l_r(w, i). (For LightRNN costs this grows with the word's
 *       count, so frequent words choose first.)</li>
 *   <li>Words are taken in order of decreasing priority (a priority queue drained once; ties by word
 *       index).</li>
 *   <li>Each word takes the row with the smallest l_r(w, i) among the rows that still have a free cell,
 *       then, within that row, the free column with the smallest l_c(w, j). Ties go to the lower index.</li>
 * </ol>
 * It never reconsiders a choice, so the result can be far from the optimum; it costs
 * O(words·(rows + cols) + words·log words) time and O(words + cells) memory.
 */
public final class GreedyAllocationSolver implements AllocationSolver {

    @Override
    public String name() {
        return "greedy";
    }

    @Override
    public int[] solve(AllocationCost cost) {
        Objects.requireNonNull(cost, "cost");
        int n = cost.words();
        int rows = cost.rows();
        int cols = cost.cols();
        float[] rc = cost.rowCost();
        float[] cc = cost.colCost();
        double[] priority = new double[n];
        for (int w = 0; w < n; w++) {
            double sum = 0;
            double min = Double.POSITIVE_INFINITY;
            for (int i = 0; i < rows; i++) {
                double r = rc[w * rows + i];
                sum += r;
                min = Math.min(min, r);
            }
            priority[w] = sum / rows - min;
        }
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer w) -> -priority[w]).thenComparingInt(w -> w));

        int[] free = new int[rows];
        Arrays.fill(free, cols);
        boolean[] taken = new boolean[cost.cells()];
        int[] cellOfWord = new int[n];
        for (int w : order) {
            int row = -1;
            float best = Float.POSITIVE_INFINITY;
            for (int i = 0; i < rows; i++) {
                float r = rc[w * rows + i];
                if (free[i] > 0 && (row < 0 || r < best)) {
                    best = r;
                    row = i;
                }
            }
            int col = -1;
            best = Float.POSITIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                float c = cc[w * cols + j];
                if (!taken[row * cols + j] && (col < 0 || c < best)) {
                    best = c;
                    col = j;
                }
            }
            free[row]--;
            taken[row * cols + col] = true;
            cellOfWord[w] = row * cols + col;
        }
        return cellOfWord;
    }
}

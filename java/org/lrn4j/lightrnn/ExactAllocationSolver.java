package org.lrn4j.lightrnn;

import java.util.Arrays;
import java.util.Objects;

/**
 * The minimum-cost allocation, exactly: the rectangular assignment problem (words ≤ cells) solved by
 * successive shortest augmenting paths with potentials (the Hungarian method in the form of Jonker and
 * Volgenant), in double precision.
 *
 * <p>Start: each word's potential u(w) is its cheapest cost over all cells (by the separable form, its row
 * minimum plus its column minimum), every cell's potential v is 0, and each word whose cheapest cell is
 * still free takes it. Then, for each word left over, a Dijkstra search over cells in reduced costs
 * cost(w, c) − u(w) − v(c) ≥ 0 (from the word, through the words already placed) finds the cheapest path
 * to a free cell; the words along it shift one cell down the path, and the potentials are raised by the
 * distances so that reduced costs stay ≥ 0 and are 0 on every word's cell. Free cells keep potential 0 and
 * the others only go down, so at the end (u, v) is the certificate of {@link AllocationDual}: the result is
 * optimal, and {@link #solveWithDual} returns the proof with it.
 *
 * <p>Cost: each search step scans all cells for one word, computing costs from the row and column parts
 * on the fly (no words×cells matrix is stored): O(words · path steps · cells), at most O(words² · cells);
 * memory O(cells + words). In practice a few thousand words take seconds.
 */
public final class ExactAllocationSolver implements AllocationSolver {

    /** An optimal allocation with the dual that proves it. */
    public record Solution(int[] cellOfWord, AllocationDual dual) {
    }

    @Override
    public String name() {
        return "exact";
    }

    @Override
    public int[] solve(AllocationCost cost) {
        return solveWithDual(cost).cellOfWord();
    }

    /** The optimal allocation and its certificate. */
    public Solution solveWithDual(AllocationCost cost) {
        Objects.requireNonNull(cost, "cost");
        int n = cost.words();
        int rows = cost.rows();
        int cols = cost.cols();
        int m = cost.cells();
        float[] rc = cost.rowCost();
        float[] cc = cost.colCost();
        double[] u = new double[n];
        double[] v = new double[m];
        int[] cellOfWord = new int[n];
        int[] wordOfCell = new int[m];
        Arrays.fill(wordOfCell, -1);
        Arrays.fill(cellOfWord, -1);

        for (int w = 0; w < n; w++) {
            int bestRow = argmin(rc, w * rows, rows);
            int bestCol = argmin(cc, w * cols, cols);
            u[w] = (double) rc[w * rows + bestRow] + cc[w * cols + bestCol];
            int cell = bestRow * cols + bestCol;
            if (wordOfCell[cell] < 0) {
                wordOfCell[cell] = w;
                cellOfWord[w] = cell;
            }
        }

        double[] dist = new double[m];
        int[] via = new int[m];
        boolean[] scanned = new boolean[m];
        int[] scanOrder = new int[m];
        for (int s = 0; s < n; s++) {
            if (cellOfWord[s] >= 0) {
                continue;
            }
            Arrays.fill(dist, Double.POSITIVE_INFINITY);
            int scannedCount = 0;
            int w = s;
            int fromCell = -1;
            double dw = 0;
            int end;
            while (true) {
                // Relax every unscanned cell from word w (reached at distance dw), and pick the nearest.
                double best = Double.POSITIVE_INFINITY;
                int bestCell = -1;
                double uw = u[w];
                int rBase = w * rows;
                int cBase = w * cols;
                for (int i = 0; i < rows; i++) {
                    double base = dw - uw + rc[rBase + i];
                    int cell0 = i * cols;
                    for (int j = 0; j < cols; j++) {
                        int cell = cell0 + j;
                        if (scanned[cell]) {
                            continue;
                        }
                        double d = base + cc[cBase + j] - v[cell];
                        if (d < dist[cell]) {
                            dist[cell] = d;
                            via[cell] = fromCell;
                        }
                        if (dist[cell] < best) {
                            best = dist[cell];
                            bestCell = cell;
                        }
                    }
                }
                scanned[bestCell] = true;
                scanOrder[scannedCount++] = bestCell;
                if (wordOfCell[bestCell] < 0) {
                    end = bestCell;
                    break;
                }
                fromCell = bestCell;
                w = wordOfCell[bestCell];
                dw = best;
            }
            // Potentials: every word in the tree gains D − (its distance), every scanned cell loses the same.
            double total = dist[end];
            u[s] += total;
            for (int k = 0; k < scannedCount; k++) {
                int cell = scanOrder[k];
                scanned[cell] = false;
                double shift = total - dist[cell];
                v[cell] -= shift;
                if (cell != end) {
                    u[wordOfCell[cell]] += shift;
                }
            }
            // Shift the words one cell along the path, from the free cell back to s.
            int cell = end;
            while (true) {
                int prev = via[cell];
                int word = prev < 0 ? s : wordOfCell[prev];
                wordOfCell[cell] = word;
                cellOfWord[word] = cell;
                if (prev < 0) {
                    break;
                }
                cell = prev;
            }
        }
        return new Solution(cellOfWord, new AllocationDual(u, v));
    }

    static int argmin(float[] a, int from, int length) {
        int best = 0;
        float min = a[from];
        for (int k = 1; k < length; k++) {
            if (a[from + k] < min) {
                min = a[from + k];
                best = k;
            }
        }
        return best;
    }
}

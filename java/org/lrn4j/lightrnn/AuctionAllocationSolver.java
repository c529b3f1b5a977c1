package org.lrn4j.lightrnn;

import java.util.Arrays;
import java.util.Objects;

/**
 * A near-optimal allocation for large vocabularies: Bertsekas' auction algorithm with ε-scaling, with bids
 * that use the separable cost to avoid looking at most cells.
 *
 * <p>The problem is made square by adding cells − words dummy words that cost 0 in every cell (so the cells
 * the dummies end in are the empty ones). Every cell c has a price p(c) ≥ 0. A word without a cell bids:
 * it finds its best cell b₁ = argmin cost(w, c) + p(c) and the second-best value b₂, raises p(b₁) by
 * b₂ − b₁ + ε and takes b₁, pushing out its holder, who bids in turn. When every word has a cell, each holds
 * one within ε of its best (ε-complementary slackness), so the total is at most the optimum + cells·ε.
 * ε-scaling runs this in phases with ε divided by {@value #SCALING} each time (prices kept, cells cleared),
 * from a fraction of the largest cost spread of a word down to {@code ε_final = tolerance · LB / cells},
 * where LB = Σ_w min_c cost(w, c) is a lower bound on the optimum. For costs ≥ 0 (sums of −log
 * probabilities) the result is therefore within a factor (1 + tolerance) of the optimum: a guarantee, not
 * an observation.
 *
 * <p>Bids: with the cost l_r(w, i) + l_c(w, j), every cell of row i costs word w at least
 * l_r(w, i) + min_j l_c(w, j) + min_j p(i, j). The solver keeps each row's lowest price, scans the word's
 * row with the lowest such bound first (all its columns), then every other row whose bound is below the
 * second-best value found so far; rows that cannot hold the best or second-best cell are skipped. This is
 * exact (the same bid as a search over all cells), costing O(rows + scanned rows · cols) instead of
 * O(rows · cols). Dummies bid on the two lowest prices of the table, kept in a tournament tree
 * (O(log cells) per price change).
 *
 * <p>Memory: O(cells) beside the cost arrays. Single-threaded (a bid depends on the prices the previous
 * bid left).
 */
public final class AuctionAllocationSolver implements AllocationSolver {
    /** Factor by which ε shrinks from phase to phase. */
    static final double SCALING = 5;

    private final double tolerance;

    /** The solver with tolerance 0.002 (at most 0.2% above the optimum for costs ≥ 0). */
    public AuctionAllocationSolver() {
        this(0.002);
    }

    /** The solver that stops within a factor (1 + tolerance) of the optimum (for costs ≥ 0). */
    public AuctionAllocationSolver(double tolerance) {
        if (!(tolerance > 0 && tolerance < 1)) {
            throw new IllegalArgumentException("tolerance must be in (0, 1), got " + tolerance);
        }
        this.tolerance = tolerance;
    }

    @Override
    public String name() {
        return "auction";
    }

    /** The relative tolerance this solver stops at. */
    public double tolerance() {
        return tolerance;
    }

    @Override
    public int[] solve(AllocationCost cost) {
        Objects.requireNonNull(cost, "cost");
        return new Auction(cost, tolerance).run();
    }

    /** The state of one auction: prices, holders, each row's lowest price and the tree of lowest prices. */
    private static final class Auction {
        private final int n;
        private final int m;
        private final int rows;
        private final int cols;
        private final float[] rc;
        private final float[] cc;
        private final float[] minCol;
        private final double[] price;
        private final int[] holder;
        private final int[] cellOf;
        private final double[] rowMin;
        private final int[] rowMinCol;
        private final double[] floorRow;
        private final double[] floorCol;
        private final int refreshEvery;
        private int sinceRefresh;
        private final int leaves;
        private final int[] tree;
        private final int[] queue;
        private final double epsFinal;
        private final double epsStart;
        private int head;
        private int tail;
        private int queued;
        private double eps;

        Auction(AllocationCost cost, double tolerance) {
            n = cost.words();
            rows = cost.rows();
            cols = cost.cols();
            m = cost.cells();
            rc = cost.rowCost();
            cc = cost.colCost();
            minCol = new float[n];
            double lowerBound = 0;
            double spread = 0;
            for (int w = 0; w < n; w++) {
                float rLo = Float.POSITIVE_INFINITY;
                float rHi = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < rows; i++) {
                    float r = rc[w * rows + i];
                    rLo = Math.min(rLo, r);
                    rHi = Math.max(rHi, r);
                }
                float cLo = Float.POSITIVE_INFINITY;
                float cHi = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < cols; j++) {
                    float c = cc[w * cols + j];
                    cLo = Math.min(cLo, c);
                    cHi = Math.max(cHi, c);
                }
                minCol[w] = cLo;
                lowerBound += (double) rLo + cLo;
                spread = Math.max(spread, (double) rHi - rLo + cHi - cLo);
            }
            double floor = Math.max(1e-9 * spread, Double.MIN_NORMAL);
            epsFinal = Math.max(tolerance * Math.abs(lowerBound) / m, floor);
            epsStart = Math.max(spread / SCALING, epsFinal);
            price = new double[m];
            holder = new int[m];
            cellOf = new int[m];
            rowMin = new double[rows];
            rowMinCol = new int[rows];
            floorRow = new double[rows];
            floorCol = new double[cols];
            refreshEvery = Math.max(64, m / 8);
            int size = 1;
            while (size < m) {
                size <<= 1;
            }
            leaves = size;
            tree = new int[2 * size];
            for (int k = 0; k < size; k++) {
                tree[size + k] = k < m ? k : -1;
            }
            for (int k = size - 1; k >= 1; k--) {
                tree[k] = lower(tree[2 * k], tree[2 * k + 1]);
            }
            queue = new int[m];
        }

        int[] run() {
            eps = epsStart;
            while (true) {
                phase();
                if (eps <= epsFinal) {
                    break;
                }
                eps = Math.max(eps / SCALING, epsFinal);
            }
            return Arrays.copyOf(cellOf, n);
        }

        private void phase() {
            Arrays.fill(holder, -1);
            Arrays.fill(cellOf, -1);
            head = 0;
            tail = 0;
            queued = 0;
            for (int p = 0; p < m; p++) {
                push(p);
            }
            refreshFloor();
            while (queued > 0) {
                if (++sinceRefresh >= refreshEvery) {
                    refreshFloor();
                }
                int p = queue[head];
                head = head + 1 == m ? 0 : head + 1;
                queued--;
                if (p < n) {
                    bidWord(p);
                } else {
                    bidDummy(p);
                }
            }
        }

        private void push(int p) {
            queue[tail] = p;
            tail = tail + 1 == m ? 0 : tail + 1;
            queued++;
        }

        private double best1;
        private double best2;
        private int bestCell;

        private void bidWord(int w) {
            int rBase = w * rows;
            int cBase = w * cols;
            double cLo = minCol[w];
            double cFloor = Double.POSITIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                cFloor = Math.min(cFloor, cc[cBase + j] + floorCol[j]);
            }
            int first = 0;
            double firstBound = Double.POSITIVE_INFINITY;
            for (int i = 0; i < rows; i++) {
                double bound = rowBound(rc[rBase + i], i, cLo, cFloor);
                if (bound < firstBound) {
                    firstBound = bound;
                    first = i;
                }
            }
            best1 = Double.POSITIVE_INFINITY;
            best2 = Double.POSITIVE_INFINITY;
            bestCell = -1;
            scanRow(w, first);
            for (int i = 0; i < rows; i++) {
                if (i != first && rowBound(rc[rBase + i], i, cLo, cFloor) < best2) {
                    scanRow(w, i);
                }
            }
            award(w, bestCell, best1, best2);
        }

        /**
         * A lower bound on cost + price over row i's cells for a word with row cost r, smallest column cost
         * cLo and cFloor = min_j (l_c(w, j) + floorCol[j]): prices are at least the row's lowest price, and
         * at least floorRow[i] + floorCol[j].
         */
        private double rowBound(double r, int i, double cLo, double cFloor) {
            return r + Math.max(cLo + rowMin[i], floorRow[i] + cFloor);
        }

        /**
         * Recomputes the separable floor of the prices, p(i, j) ≥ floorRow[i] + floorCol[j] (row minima, then
         * column minima of what is left). Prices only rise, so a floor stays valid until the next refresh.
         */
        private void refreshFloor() {
            sinceRefresh = 0;
            for (int i = 0; i < rows; i++) {
                floorRow[i] = rowMin[i];
            }
            Arrays.fill(floorCol, Double.POSITIVE_INFINITY);
            for (int i = 0; i < rows; i++) {
                int cell0 = i * cols;
                double a = floorRow[i];
                for (int j = 0; j < cols; j++) {
                    floorCol[j] = Math.min(floorCol[j], price[cell0 + j] - a);
                }
            }
        }

        private void scanRow(int w, int i) {
            double r = rc[w * rows + i];
            int cBase = w * cols;
            int cell0 = i * cols;
            double b1 = best1;
            double b2 = best2;
            int bc = bestCell;
            for (int j = 0; j < cols; j++) {
                double value = r + cc[cBase + j] + price[cell0 + j];
                if (value < b2) {
                    if (value < b1) {
                        b2 = b1;
                        b1 = value;
                        bc = cell0 + j;
                    } else {
                        b2 = value;
                    }
                }
            }
            best1 = b1;
            best2 = b2;
            bestCell = bc;
        }

        private void bidDummy(int p) {
            int cell = tree[1];
            double second = Double.POSITIVE_INFINITY;
            for (int k = leaves + cell; k > 1; k >>= 1) {
                int sibling = tree[k ^ 1];
                if (sibling >= 0 && price[sibling] < second) {
                    second = price[sibling];
                }
            }
            award(p, cell, price[cell], second);
        }

        private void award(int p, int cell, double b1, double b2) {
            double raise = (b2 == Double.POSITIVE_INFINITY ? 0 : b2 - b1) + eps;
            int old = holder[cell];
            if (old >= 0) {
                cellOf[old] = -1;
                push(old);
            }
            holder[cell] = p;
            cellOf[p] = cell;
            price[cell] += raise;
            for (int k = (leaves + cell) >> 1; k >= 1; k >>= 1) {
                tree[k] = lower(tree[2 * k], tree[2 * k + 1]);
            }
            int i = cell / cols;
            if (rowMinCol[i] == cell - i * cols) {
                int cell0 = i * cols;
                double lo = price[cell0];
                int at = 0;
                for (int j = 1; j < cols; j++) {
                    if (price[cell0 + j] < lo) {
                        lo = price[cell0 + j];
                        at = j;
                    }
                }
                rowMin[i] = lo;
                rowMinCol[i] = at;
            }
        }

        private int lower(int a, int b) {
            if (a < 0) {
                return b;
            }
            if (b < 0) {
                return a;
            }
            return price[b] < price[a] ? b : a;
        }
    }
}

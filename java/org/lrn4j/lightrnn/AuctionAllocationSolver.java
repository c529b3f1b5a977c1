package org.lrn4j.lightrnn;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

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
 * <p>Start: from zero prices the early, large-ε phases are where the time goes on count-weighted costs
 * (most words are rare, nearly indifferent between cells, and bid over most rows). By default the auction
 * starts instead from separable prices p(i, j) = π(i) + σ(j), the prices of the two one-dimensional
 * relaxations (words to rows alone with room for cols words each, and to columns alone;
 * {@link LineTransportation}, solved concurrently on two threads, each bid O(rows) instead of O(cells)),
 * and runs only the last {@value #WARM_PHASES} phases, from ε = 25·ε_final. Under separable prices the
 * row bounds below are exact, so a bid scans few rows. The starting prices change the running time only:
 * the last phase still ends in ε_final-complementary slackness, so the guarantee is the same.
 *
 * <p>Bids: with the cost l_r(w, i) + l_c(w, j), every cell of row i costs word w at least
 * l_r(w, i) + min_j l_c(w, j) + min_j p(i, j). The solver keeps each row's lowest price, scans the word's
 * row with the lowest such bound first (all its columns), then every other row whose bound is below the
 * second-best value found so far; rows that cannot hold the best or second-best cell are skipped. Within a
 * row, the columns are kept in increasing order of price (one insertion step per price rise), and the scan
 * stops at the first cell with l_r(w, i) + min_j l_c(w, j) + price ≥ the second-best value: rare words, whose
 * column costs vary little, look at a few cells of each row. This is exact (the same bid as a search over
 * all cells), costing O(rows + cells looked at) instead of O(rows · cols). Dummies bid on the two lowest prices of the table, kept in a tournament tree
 * (O(log cells) per price change).
 *
 * <p>Memory: O(cells) beside the cost arrays. The bidding is single-threaded (a bid depends on the prices
 * the previous bid left); only the two relaxations run in parallel.
 */
public final class AuctionAllocationSolver implements AllocationSolver {
    /** Factor by which ε shrinks from phase to phase. */
    static final double SCALING = 5;
    /**
     * Phases (ε = ε_final·SCALING^(k−1), ..., ε_final) run from the relaxation prices: the first ε is 25·ε_final.
     * Of the counts tried (2 to 6, Zipfian and uniform costs of 2·10³–2·10⁴ words), 3 was the fastest; the
     * guarantee holds for any count, since it rests on the last phase alone.
     */
    static final int WARM_PHASES = 3;
    /** The one-dimensional relaxations are solved to ε = ε_final·SCALING^LINE_PHASES (125·ε_final). */
    static final int LINE_PHASES = 3;

    private final double tolerance;
    private final boolean relaxationStart;

    /** The solver with tolerance 0.002 (at most 0.2% above the optimum for costs ≥ 0), started from the relaxations. */
    public AuctionAllocationSolver() {
        this(0.002);
    }

    /** The solver that stops within a factor (1 + tolerance) of the optimum (for costs ≥ 0), started from the relaxations. */
    public AuctionAllocationSolver(double tolerance) {
        this(tolerance, true);
    }

    /**
     * @param tolerance       relative tolerance in (0, 1)
     * @param relaxationStart start from the prices of the row-only and column-only relaxations and a small ε
     *                        (the default); false: from zero prices and ε = a fifth of the largest cost spread
     *                        (named "auction-cold", for comparison: the same guarantee, much slower on
     *                        Zipfian costs)
     */
    public AuctionAllocationSolver(double tolerance, boolean relaxationStart) {
        if (!(tolerance > 0 && tolerance < 1)) {
            throw new IllegalArgumentException("tolerance must be in (0, 1), got " + tolerance);
        }
        this.tolerance = tolerance;
        this.relaxationStart = relaxationStart;
    }

    @Override
    public String name() {
        return relaxationStart ? "auction" : "auction-cold";
    }

    /** The relative tolerance this solver stops at. */
    public double tolerance() {
        return tolerance;
    }

    @Override
    public int[] solve(AllocationCost cost) {
        Objects.requireNonNull(cost, "cost");
        return new Auction(cost, tolerance, relaxationStart).run();
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
        /** Each row's columns in increasing order of price: byPrice[i·cols + k]; slot[cell] is a cell's k. */
        private final int[] byPrice;
        private final int[] slot;
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

        Auction(AllocationCost cost, double tolerance, boolean relaxationStart) {
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
            price = new double[m];
            holder = new int[m];
            cellOf = new int[m];
            rowMin = new double[rows];
            byPrice = new int[m];
            slot = new int[m];
            double coldStart = Math.max(spread / SCALING, epsFinal);
            if (relaxationStart) {
                startFromRelaxations(epsFinal * Math.pow(SCALING, LINE_PHASES));
                epsStart = Math.min(coldStart, epsFinal * Math.pow(SCALING, WARM_PHASES - 1));
            } else {
                epsStart = coldStart;
            }
            sortRows();
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

        /**
         * Separable starting prices p(i, j) = π(i) + σ(j) from the row-only and column-only transportation
         * problems (solved concurrently, to within epsLine), shifted so that the lowest price is 0.
         */
        private void startFromRelaxations(double epsLine) {
            CompletableFuture<double[]> colPrices = CompletableFuture.supplyAsync(
                    () -> LineTransportation.linePrices(n, cols, rows, cc, epsLine));
            double[] pi = LineTransportation.linePrices(n, rows, cols, rc, epsLine);
            double[] sigma = colPrices.join();
            double piLo = Arrays.stream(pi).min().getAsDouble();
            double sigmaLo = Arrays.stream(sigma).min().getAsDouble();
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    price[i * cols + j] = (pi[i] - piLo) + (sigma[j] - sigmaLo);
                }
            }
        }

        /** Sorts each row's columns by price (insertion sort: the rows are short) and sets the row minima. */
        private void sortRows() {
            for (int i = 0; i < rows; i++) {
                int cell0 = i * cols;
                for (int k = 0; k < cols; k++) {
                    int j = k;
                    double pj = price[cell0 + j];
                    int at = k;
                    while (at > 0 && price[cell0 + byPrice[cell0 + at - 1]] > pj) {
                        byPrice[cell0 + at] = byPrice[cell0 + at - 1];
                        at--;
                    }
                    byPrice[cell0 + at] = j;
                }
                for (int k = 0; k < cols; k++) {
                    slot[cell0 + byPrice[cell0 + k]] = k;
                }
                rowMin[i] = price[cell0 + byPrice[cell0]];
            }
        }

        int[] run() {
            eps = epsStart;
            while (true) {
                phase();
                if (eps <= epsFinal) {
                    break;
                }
                eps = eps / SCALING < epsFinal * (1 + 1e-6) ? epsFinal : eps / SCALING;
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

        /**
         * Looks at row i's cells in increasing order of price and stops at the first whose price alone,
         * with the word's row cost and smallest column cost, reaches the second-best value: no later cell
         * can change the best two.
         */
        private void scanRow(int w, int i) {
            double r = rc[w * rows + i];
            double stop = r + minCol[w];
            int cBase = w * cols;
            int cell0 = i * cols;
            double b1 = best1;
            double b2 = best2;
            int bc = bestCell;
            for (int k = 0; k < cols; k++) {
                int j = byPrice[cell0 + k];
                double p = price[cell0 + j];
                if (stop + p >= b2) {
                    break;
                }
                double value = r + cc[cBase + j] + p;
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
            int cell0 = i * cols;
            int j = cell - cell0;
            double pj = price[cell];
            int k = slot[cell];
            while (k + 1 < cols && price[cell0 + byPrice[cell0 + k + 1]] < pj) {
                int next = byPrice[cell0 + k + 1];
                byPrice[cell0 + k] = next;
                slot[cell0 + next] = k;
                k++;
            }
            byPrice[cell0 + k] = j;
            slot[cell] = k;
            rowMin[i] = price[cell0 + byPrice[cell0]];
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

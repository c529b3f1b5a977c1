package org.lrn4j.lightrnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class AllocationSolverTest {
    private static final double TOL = 1e-9;

    /** Random costs, integer-valued in part so that ties occur. */
    private static AllocationCost random(int words, int rows, int cols, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] rc = new float[words * rows];
        float[] cc = new float[words * cols];
        for (int k = 0; k < rc.length; k++) {
            rc[k] = seed % 2 == 0 ? rng.nextInt(4) : (float) rng.nextDouble(-1, 3);
        }
        for (int k = 0; k < cc.length; k++) {
            cc[k] = seed % 2 == 0 ? rng.nextInt(4) : (float) rng.nextDouble(-1, 3);
        }
        return new AllocationCost(words, rows, cols, rc, cc);
    }

    /** The optimum by trying every injective placement of the words. */
    private static double bruteForce(AllocationCost cost) {
        return place(cost, 0, new boolean[cost.cells()]);
    }

    private static double place(AllocationCost cost, int w, boolean[] taken) {
        if (w == cost.words()) {
            return 0;
        }
        double best = Double.POSITIVE_INFINITY;
        for (int c = 0; c < cost.cells(); c++) {
            if (!taken[c]) {
                taken[c] = true;
                best = Math.min(best, cost.cost(w, c) + place(cost, w + 1, taken));
                taken[c] = false;
            }
        }
        return best;
    }

    @Test
    void exactEqualsBruteForceWithFewerWordsThanCellsAndWithAsMany() {
        int[][] shapes = {{1, 1, 1}, {1, 2, 3}, {3, 2, 2}, {4, 2, 2}, {5, 2, 3}, {6, 2, 3}, {5, 3, 3}, {7, 3, 3},
            {4, 1, 5}, {4, 5, 1}};
        ExactAllocationSolver exact = new ExactAllocationSolver();
        for (int[] s : shapes) {
            for (long seed = 1; seed <= 6; seed++) {
                AllocationCost cost = random(s[0], s[1], s[2], seed);
                ExactAllocationSolver.Solution sol = exact.solveWithDual(cost);
                double total = cost.total(sol.cellOfWord());
                String what = s[0] + " words in " + s[1] + "x" + s[2] + ", seed " + seed;
                assertEquals(bruteForce(cost), total, 1e-5, what);
                sol.dual().verify(cost, sol.cellOfWord(), TOL);
                assertEquals(total, sol.dual().value(), 1e-6 * (1 + Math.abs(total)), what);
            }
        }
    }

    @Test
    void exactCarriesAnOptimalityCertificateOnLargerInstances() {
        ExactAllocationSolver exact = new ExactAllocationSolver();
        for (AllocationCost cost : new AllocationCost[] {RandomAllocationCosts.uniform(200, 3),
            RandomAllocationCosts.zipfian(300, 4), random(150, 12, 14, 5), random(169, 13, 13, 6)}) {
            ExactAllocationSolver.Solution sol = exact.solveWithDual(cost);
            sol.dual().verify(cost, sol.cellOfWord(), TOL);
            double total = cost.total(sol.cellOfWord());
            assertEquals(total, sol.dual().value(), 1e-9 * (1 + Math.abs(total)));
        }
    }

    @Test
    void certificateRejectsAWorseAllocationAndABrokenDual() {
        AllocationCost cost = RandomAllocationCosts.uniform(40, 5);
        ExactAllocationSolver.Solution sol = new ExactAllocationSolver().solveWithDual(cost);
        int[] swapped = sol.cellOfWord().clone();
        int t = swapped[0];
        swapped[0] = swapped[1];
        swapped[1] = t;
        assertThrows(IllegalStateException.class, () -> sol.dual().verify(cost, swapped, TOL));
        int[] moved = sol.cellOfWord().clone();
        boolean[] taken = new boolean[cost.cells()];
        for (int c : moved) {
            taken[c] = true;
        }
        for (int c = 0; c < taken.length; c++) {
            if (!taken[c]) {
                moved[3] = c;
                break;
            }
        }
        assertThrows(IllegalStateException.class, () -> sol.dual().verify(cost, moved, TOL));
        double[] u = sol.dual().wordPotential().clone();
        u[7] += 0.5;
        assertThrows(IllegalStateException.class, () -> new AllocationDual(u, sol.dual().cellPotential()).verify(cost,
                sol.cellOfWord(), TOL));
        double[] v = sol.dual().cellPotential().clone();
        v[sol.cellOfWord()[2]] += 1e-3;
        assertThrows(IllegalStateException.class, () -> new AllocationDual(sol.dual().wordPotential(), v).verify(cost,
                sol.cellOfWord(), TOL));
    }

    @Test
    void auctionIsWithinItsToleranceOfTheOptimum() {
        ExactAllocationSolver exact = new ExactAllocationSolver();
        AllocationCost[] costs = {RandomAllocationCosts.uniform(300, 11), RandomAllocationCosts.zipfian(300, 12),
            RandomAllocationCosts.uniform(257, 13), RandomAllocationCosts.zipfian(400, 14), random(90, 7, 15, 15),
            random(100, 10, 10, 17), RandomAllocationCosts.zipfian(37, 18)};
        for (AllocationCost cost : costs) {
            double opt = cost.total(exact.solve(cost));
            for (AuctionAllocationSolver auction : new AuctionAllocationSolver[] {new AuctionAllocationSolver(),
                new AuctionAllocationSolver(0.002, false)}) {
                assertWithinTolerance(cost, opt, auction);
            }
        }
    }

    private static void assertWithinTolerance(AllocationCost cost, double opt, AuctionAllocationSolver auction) {
        double got = cost.total(auction.solve(cost));
        String who = auction.name() + ": ";
        assertTrue(got >= opt - 1e-6 * Math.abs(opt), who + "below the optimum: " + got + " < " + opt);
        if (opt > 0 && lowerBound(cost) >= 0) {
            assertTrue(got <= opt * (1 + auction.tolerance()) + 1e-9, who + got + " is not within the tolerance of " + opt);
        }
        assertTrue(got <= opt + 0.01 * Math.abs(opt) + 1e-3, who + got + " is not within 1% of " + opt);
    }

    /**
     * ε-complementary slackness at the end of the last phase (ε = tolerance·LB/cells) bounds what any swap of
     * two words' cells, or any move of a word to an empty cell, can gain: at most 2ε.
     */
    @Test
    void auctionLeavesNoSwapOrMoveToAnEmptyCellThatGainsMoreThanTwoEpsilon() {
        for (AllocationCost cost : new AllocationCost[] {RandomAllocationCosts.zipfian(250, 41),
            RandomAllocationCosts.uniform(230, 42)}) {
            AuctionAllocationSolver auction = new AuctionAllocationSolver();
            int[] cell = auction.solve(cost);
            double eps = auction.tolerance() * Math.abs(lowerBound(cost)) / cost.cells();
            double slack = 2 * eps + 1e-6 * eps;
            boolean[] taken = new boolean[cost.cells()];
            for (int c : cell) {
                taken[c] = true;
            }
            for (int a = 0; a < cost.words(); a++) {
                double here = cost.cost(a, cell[a]);
                for (int b = a + 1; b < cost.words(); b++) {
                    double gain = here + cost.cost(b, cell[b]) - cost.cost(a, cell[b]) - cost.cost(b, cell[a]);
                    assertTrue(gain <= slack, "swapping words " + a + " and " + b + " gains " + gain + " > 2ε = " + 2 * eps);
                }
                for (int c = 0; c < taken.length; c++) {
                    if (!taken[c]) {
                        double gain = here - cost.cost(a, c);
                        assertTrue(gain <= slack, "moving word " + a + " to empty cell " + c + " gains " + gain);
                    }
                }
            }
        }
    }

    /**
     * The line prices solve the row-only relaxation to within ε per slot: for prices π ≥ 0 the Lagrangian
     * bound Σ_w min_i (l_r(w, i) + π(i)) + (slots − words)·min_i π(i) − capacity·Σ_i π(i) is at most the
     * relaxation's optimum T (the exact allocation of the same row costs with zero column costs), and at
     * least T − slots·ε when the auction's ε-complementary slackness holds.
     */
    @Test
    void linePricesSolveTheRowRelaxationToWithinEpsilon() {
        for (AllocationCost full : new AllocationCost[] {RandomAllocationCosts.zipfian(200, 51),
            RandomAllocationCosts.uniform(150, 52), random(60, 7, 9, 53)}) {
            int rows = full.rows();
            int cap = full.cols();
            AllocationCost rowsOnly = new AllocationCost(full.words(), rows, cap, full.rowCost(),
                    new float[full.words() * cap]);
            double optimum = rowsOnly.total(new ExactAllocationSolver().solve(rowsOnly));
            double eps = 1e-3 * (1 + Math.abs(optimum)) / (rows * cap);
            double[] pi = LineTransportation.linePrices(full.words(), rows, cap, full.rowCost(), eps);
            double bound = 0;
            double piLo = Double.POSITIVE_INFINITY;
            double piSum = 0;
            for (double p : pi) {
                assertTrue(p >= 0, "negative line price " + p);
                piLo = Math.min(piLo, p);
                piSum += p;
            }
            for (int w = 0; w < full.words(); w++) {
                double best = Double.POSITIVE_INFINITY;
                for (int i = 0; i < rows; i++) {
                    best = Math.min(best, full.rowCost()[w * rows + i] + pi[i]);
                }
                bound += best;
            }
            bound += (rows * cap - full.words()) * piLo - cap * piSum;
            double tiny = 1e-9 * (1 + Math.abs(optimum));
            assertTrue(bound <= optimum + tiny, "the Lagrangian bound " + bound + " exceeds the optimum " + optimum);
            assertTrue(bound >= optimum - rows * cap * eps - tiny, "the line prices are not ε-optimal: bound " + bound
                    + ", optimum " + optimum + ", slots·ε " + rows * cap * eps);
        }
    }

    private static double lowerBound(AllocationCost cost) {
        double lb = 0;
        for (int w = 0; w < cost.words(); w++) {
            double best = Double.POSITIVE_INFINITY;
            for (int c = 0; c < cost.cells(); c++) {
                best = Math.min(best, cost.cost(w, c));
            }
            lb += best;
        }
        return lb;
    }

    @Test
    void auctionMatchesBruteForceOnTinyInstances() {
        AuctionAllocationSolver auction = new AuctionAllocationSolver(1e-6);
        for (int[] s : new int[][] {{1, 1, 1}, {3, 2, 2}, {4, 2, 2}, {5, 2, 3}, {4, 1, 5}, {7, 3, 3}}) {
            for (long seed = 1; seed <= 4; seed++) {
                AllocationCost cost = random(s[0], s[1], s[2], seed + 100);
                double opt = bruteForce(cost);
                assertEquals(opt, cost.total(auction.solve(cost)), 1e-5 * (1 + Math.abs(cost.total(auction.solve(cost)))));
            }
        }
    }

    @Test
    void greedyFollowsItsRulesAndGivesAValidAllocation() {
        for (AllocationCost cost : new AllocationCost[] {RandomAllocationCosts.zipfian(500, 21), random(5, 2, 3, 22),
            random(9, 3, 3, 23)}) {
            cost.check(new GreedyAllocationSolver().solve(cost));
        }
        // Priorities (mean row cost − min): word 0: 0.5, word 1: 5, word 2: 2. Word 1 takes row 0, column 0;
        // word 2 takes the last cell of row 0 (column 1: column 0 is taken though it ties); row 0 is full, so
        // word 0 goes to row 1, column 0.
        AllocationCost cost = new AllocationCost(3, 2, 2, new float[] {0, 1, 0, 10, 0, 4}, new float[] {0, 1, 0, 1, 0, 0});
        assertArrayEquals(new int[] {2, 0, 1}, new GreedyAllocationSolver().solve(cost));
    }

    @Test
    void everySolverByNameGivesAValidAllocation() {
        AllocationCost cost = RandomAllocationCosts.zipfian(120, 31);
        for (String name : AllocationSolvers.NAMES) {
            AllocationSolver s = AllocationSolvers.byName(name);
            assertEquals(name, s.name());
            cost.check(s.solve(cost));
        }
        assertThrows(IllegalArgumentException.class, () -> AllocationSolvers.byName("hungarian"));
    }

    @Test
    void badInputGetsClearExceptions() {
        for (String name : AllocationSolvers.NAMES) {
            assertThrows(NullPointerException.class, () -> AllocationSolvers.byName(name).solve(null));
        }
        assertThrows(NullPointerException.class, () -> AllocationSolvers.byName(null));
        assertThrows(IllegalArgumentException.class, () -> new AuctionAllocationSolver(0));
        assertThrows(IllegalArgumentException.class, () -> new AuctionAllocationSolver(Double.NaN));
        AllocationCost cost = random(3, 2, 2, 1);
        AllocationDual dual = new ExactAllocationSolver().solveWithDual(cost).dual();
        assertThrows(IllegalArgumentException.class, () -> dual.verify(cost, new int[] {0, 1}, TOL));
        assertThrows(IllegalArgumentException.class, () -> dual.verify(cost, new int[] {0, 1, 1}, TOL));
        assertThrows(IllegalArgumentException.class, () -> new AllocationDual(new double[2], new double[4]).verify(cost,
                new int[] {0, 1, 2}, TOL));
        assertThrows(IllegalArgumentException.class, () -> RandomAllocationCosts.uniform(0, 1));
    }
}

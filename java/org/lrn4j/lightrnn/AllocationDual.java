package org.lrn4j.lightrnn;

import java.util.Objects;

/**
 * A dual solution of the word-to-cell assignment: a potential u(w) per word and v(c) per cell. It proves an
 * allocation optimal when (the linear-programming certificate of the rectangular assignment problem)
 * <ul>
 *   <li>it is feasible: u(w) + v(c) ≤ cost(w, c) for every word and cell, and v(c) ≤ 0 for every cell;</li>
 *   <li>complementary slackness holds: u(w) + v(c) = cost(w, c) where word w sits in cell c, and v(c) = 0
 *       for every cell that stays empty.</li>
 * </ul>
 * Feasibility alone makes {@link #value()} = Σu + Σv a lower bound on every allocation's cost; with
 * slackness, the allocation's cost equals that bound.
 *
 * @param wordPotential u, one per word
 * @param cellPotential v, one per cell (row-major)
 */
public record AllocationDual(double[] wordPotential, double[] cellPotential) {

    public AllocationDual {
        Objects.requireNonNull(wordPotential, "wordPotential");
        Objects.requireNonNull(cellPotential, "cellPotential");
    }

    /** Σu + Σv: a lower bound on the cost of every allocation when the dual is feasible. */
    public double value() {
        double sum = 0;
        for (double u : wordPotential) {
            sum += u;
        }
        for (double v : cellPotential) {
            sum += v;
        }
        return sum;
    }

    /**
     * Checks the certificate for {@code cellOfWord}: throws an {@link IllegalStateException} naming the
     * first violated condition. A condition holds within {@code tolerance·(1 + |cost(w, c)|)}.
     */
    public void verify(AllocationCost cost, int[] cellOfWord, double tolerance) {
        Objects.requireNonNull(cost, "cost");
        cost.check(cellOfWord);
        if (wordPotential.length != cost.words() || cellPotential.length != cost.cells()) {
            throw new IllegalArgumentException("the dual has " + wordPotential.length + " word and " + cellPotential.length
                    + " cell potentials, the cost " + cost.words() + " words and " + cost.cells() + " cells");
        }
        boolean[] taken = new boolean[cost.cells()];
        for (int w = 0; w < cost.words(); w++) {
            taken[cellOfWord[w]] = true;
        }
        for (int c = 0; c < cost.cells(); c++) {
            double v = cellPotential[c];
            if (v > tolerance || (!taken[c] && v < -tolerance)) {
                throw new IllegalStateException("cell " + c + (taken[c] ? " (taken)" : " (empty)") + " has potential " + v
                        + ": it must be <= 0, and 0 where the cell is empty");
            }
        }
        for (int w = 0; w < cost.words(); w++) {
            double u = wordPotential[w];
            for (int c = 0; c < cost.cells(); c++) {
                double cwc = cost.cost(w, c);
                double reduced = cwc - u - cellPotential[c];
                double tol = tolerance * (1 + Math.abs(cwc));
                if (reduced < -tol) {
                    throw new IllegalStateException("word " + w + ", cell " + c + ": reduced cost " + reduced + " < 0");
                }
                if (c == cellOfWord[w] && reduced > tol) {
                    throw new IllegalStateException("word " + w + " sits in cell " + c + " with reduced cost " + reduced
                            + " > 0 (complementary slackness fails)");
                }
            }
        }
    }
}

package org.lrn4j.lightrnn;

/**
 * Assigns the words of a LightRNN table to cells so that the total {@link AllocationCost} is small (exact
 * solvers: minimal), each word in its own cell.
 */
public interface AllocationSolver {

    /** The name the command line knows it by ("exact", "auction", "greedy", ...). */
    String name();

    /**
     * The cell (row-major index {@code i·cols + j}) of every word: distinct cells of the table, one per word.
     * The cost is not changed.
     */
    int[] solve(AllocationCost cost);
}

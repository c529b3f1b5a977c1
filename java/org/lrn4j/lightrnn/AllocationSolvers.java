package org.lrn4j.lightrnn;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/** The allocation solvers by the names the command line knows them by. */
public final class AllocationSolvers {
    /** The known names: "exact", "auction", "auction-cold", "greedy". */
    public static final List<String> NAMES = List.of("exact", "auction", "auction-cold", "greedy");

    private AllocationSolvers() {
    }

    /** A new solver of that name (case-insensitive), with its default settings. */
    public static AllocationSolver byName(String name) {
        Objects.requireNonNull(name, "name");
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "exact" -> new ExactAllocationSolver();
            case "auction" -> new AuctionAllocationSolver();
            case "auction-cold" -> new AuctionAllocationSolver(0.002, false);
            case "greedy" -> new GreedyAllocationSolver();
            default -> throw new IllegalArgumentException("unknown allocation solver '" + name + "' (known: " + NAMES + ")");
        };
    }
}

package org.lrn4j.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import com.google.gson.GsonBuilder;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.lrn4j.lightrnn.AllocationCost;
import org.lrn4j.lightrnn.AllocationCostIO;
import org.lrn4j.lightrnn.AllocationSolver;
import org.lrn4j.lightrnn.AllocationSolvers;
import org.lrn4j.lightrnn.ExactAllocationSolver;
import org.lrn4j.lightrnn.RandomAllocationCosts;

/**
 * {@code lrn4j bench matching}: the LightRNN word-allocation solvers on random and saved costs. For every
 * instance it runs each solver, checks that the result is an allocation, and reports its total cost, the
 * ratio to the optimum (where the exact solver ran; else to the best cost any solver found), its time and
 * the ratio of its time to the exact solver's, and the process CPU time of the run (all threads; steadier than
 * wall time on a shared machine). Where the exact solver ran, its optimality certificate is
 * checked too (docs/MATCHING.md).
 */
@Command(name = "matching", mixinStandardHelpOptions = true,
        description = "LightRNN word-to-cell allocation solvers: cost against the optimum, and time.")
final class MatchingBenchCommand implements Callable<Integer> {
    @Option(names = "--words", split = ",", defaultValue = "500,1000,2000,5000,10000,50000,100000",
            description = "Vocabulary sizes of the random instances, in a ceil(sqrt V) square table (default: ${DEFAULT-VALUE}).")
    List<Integer> words;

    @Option(names = "--kinds", split = ",", defaultValue = "uniform,zipfian",
            description = "Random instance kinds: uniform, zipfian (default: ${DEFAULT-VALUE}).")
    List<String> kinds;

    @Option(names = "--cost", description = "A saved cost file (AllocationCostIO) to solve as well; repeatable.")
    List<Path> costFiles = new ArrayList<>();

    @Option(names = "--solvers", split = ",", defaultValue = "exact,auction,auction-cold,greedy",
            description = "Solvers (default: ${DEFAULT-VALUE}).")
    List<String> solvers;

    @Option(names = "--exact-max", defaultValue = "5000",
            description = "Run the exact solver only up to this many words (default: ${DEFAULT-VALUE}).")
    int exactMax;

    @Option(names = "--cold-max", defaultValue = "10000",
            description = "Run auction-cold (the auction from zero prices) only up to this many words (default: ${DEFAULT-VALUE}).")
    int coldMax;

    @Option(names = "--repeats", defaultValue = "1", description = "Timed runs per solver, median reported (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the random instances (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", description = "Print one JSON object per line instead of a table.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        if (repeats < 1) {
            throw new IllegalArgumentException("--repeats must be >= 1, got " + repeats);
        }
        List<AllocationSolver> list = new ArrayList<>();
        for (String s : solvers) {
            list.add(AllocationSolvers.byName(s));
        }
        for (String k : kinds) {
            instance(k, 1, seed);
        }
        warmUp(list);
        if (!json) {
            System.out.printf("%-28s %7s %-12s %18s %10s %11s %10s %10s %10s%n", "instance", "words", "solver", "cost", "vs",
                    "ratio", "ms", "ms/exact", "cpu ms");
        }
        for (Path file : costFiles) {
            report(file.getFileName().toString(), AllocationCostIO.read(file), list);
        }
        for (String k : kinds) {
            for (int v : words) {
                report(k, instance(k, v, seed + v), list);
            }
        }
        return 0;
    }

    private static AllocationCost instance(String kind, int words, long seed) {
        return switch (kind.toLowerCase(Locale.ROOT)) {
            case "uniform" -> RandomAllocationCosts.uniform(words, seed);
            case "zipfian" -> RandomAllocationCosts.zipfian(words, seed);
            default -> throw new IllegalArgumentException("unknown instance kind '" + kind + "' (known: uniform, zipfian)");
        };
    }

    /** Runs every solver a few times on a small instance first, so that the timed runs use compiled code. */
    private static void warmUp(List<AllocationSolver> list) {
        AllocationCost small = RandomAllocationCosts.zipfian(1000, 0);
        for (int k = 0; k < 3; k++) {
            for (AllocationSolver s : list) {
                small.check(s.solve(small));
            }
        }
    }

    private record Run(AllocationSolver solver, double cost, double ms, double cpuMs, Double lowerBound) {
    }

    private void report(String instance, AllocationCost cost, List<AllocationSolver> list) {
        List<Run> runs = new ArrayList<>();
        for (AllocationSolver s : list) {
            if (s instanceof ExactAllocationSolver && cost.words() > exactMax
                    || s.name().equals("auction-cold") && cost.words() > coldMax) {
                continue;
            }
            runs.add(time(s, cost));
        }
        Run exact = runs.stream().filter(r -> r.solver() instanceof ExactAllocationSolver).findFirst().orElse(null);
        double reference = exact != null ? exact.cost() : runs.stream().mapToDouble(Run::cost).min().orElse(Double.NaN);
        String versus = exact != null ? "optimum" : "best";
        for (Run r : runs) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("name", "matching");
            out.put("instance", instance);
            out.put("words", cost.words());
            out.put("rows", cost.rows());
            out.put("cols", cost.cols());
            out.put("solver", r.solver().name());
            out.put("cost", r.cost());
            out.put("versus", versus);
            out.put("ratio", r.cost() / reference);
            out.put("ms", r.ms());
            out.put("cpu_ms", r.cpuMs());
            out.put("time_ratio_to_exact", exact == null ? null : r.ms() / exact.ms());
            if (r.lowerBound() != null) {
                out.put("dual_bound", r.lowerBound());
            }
            out.put("repeats", repeats);
            if (json) {
                System.out.println(new GsonBuilder().disableHtmlEscaping().serializeNulls().create().toJson(out));
            } else {
                System.out.printf(Locale.ROOT, "%-28s %7d %-12s %18.4f %10s %11.6f %10.1f %10s %10.1f%n", instance, cost.words(),
                        r.solver().name(), r.cost(), versus, r.cost() / reference, r.ms(),
                        exact == null ? "-" : String.format(Locale.ROOT, "%.4f", r.ms() / exact.ms()), r.cpuMs());
            }
            System.out.flush();
        }
    }

    /** The JVM's CPU time (all its threads), which, unlike wall time, other jobs on the machine hardly change. */
    private static final com.sun.management.OperatingSystemMXBean PROCESS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /**
     * Median wall time and median process CPU time of {@code repeats} runs, each one call (a large instance takes seconds, far above the
     * clock's resolution). The exact solver's certificate (which
     * {@code solve} computes anyway) is checked outside the timed region.
     */
    private Run time(AllocationSolver s, AllocationCost cost) {
        double[] ms = new double[repeats];
        double[] cpu = new double[repeats];
        int[] cells = null;
        ExactAllocationSolver.Solution solution = null;
        for (int k = 0; k < repeats; k++) {
            long c0 = PROCESS.getProcessCpuTime();
            long t0 = System.nanoTime();
            if (s instanceof ExactAllocationSolver exact) {
                solution = exact.solveWithDual(cost);
                cells = solution.cellOfWord();
            } else {
                cells = s.solve(cost);
            }
            ms[k] = (System.nanoTime() - t0) / 1e6;
            cpu[k] = (PROCESS.getProcessCpuTime() - c0) / 1e6;
        }
        double total = cost.total(cells);
        Double bound = null;
        if (solution != null) {
            solution.dual().verify(cost, cells, 1e-9);
            bound = solution.dual().value();
        }
        return new Run(s, total, median(ms), median(cpu), bound);
    }

    private static double median(double[] a) {
        Arrays.sort(a);
        int n = a.length;
        return n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
    }
}

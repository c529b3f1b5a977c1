package org.lrn4j.cli;

import picocli.CommandLine.Command;

/** {@code lrn4j bench ...}: benchmarks reported against their hardware floor. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks, each reported against its floor from the performance model.",
        subcommands = {LrnBenchCommand.class, CpuBenchCommand.class, LmBenchCommand.class, LmuBenchCommand.class,
            MatchingBenchCommand.class})
final class BenchCommand {
}

package org.lrn4j.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The options of {@code lrn4j train --task fashion-mnist|mackey-glass} beyond the common ones, and the task
 * defaults that replace the common options' defaults when those are not given.
 */
final class LmuTaskOptions {
    @Option(names = "--order", description = "fashion-mnist, mackey-glass: order d of the Legendre memory "
            + "(default: 784 for fashion-mnist, 32 for mackey-glass).")
    Integer order;

    @Option(names = "--theta", description = "fashion-mnist, mackey-glass: window θ of the memory in steps "
            + "(default: 784 for fashion-mnist, 32 for mackey-glass).")
    Double theta;

    @Option(names = "--permutation-seed", defaultValue = "92916",
            description = "fashion-mnist: seed of the fixed pixel permutation (default: ${DEFAULT-VALUE}).")
    long permutationSeed;

    @Option(names = "--raw-pixels", description = "fashion-mnist: pixels scaled to [0, 1] only (default: standardised "
            + "with the training pixels' mean and deviation).")
    boolean rawPixels;

    @Option(names = "--window", defaultValue = "128",
            description = "mackey-glass: steps per training and evaluation window (default: ${DEFAULT-VALUE}).")
    int window;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /** Whether the option was given on the command line (so a task default must not replace it). */
    boolean given(String name) {
        return command != null && command.commandLine() != null && command.commandLine().getParseResult() != null
                && command.commandLine().getParseResult().hasMatchedOption(name);
    }
}

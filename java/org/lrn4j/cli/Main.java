package org.lrn4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code lrn4j} command. */
@Command(name = "lrn4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Lightweight recurrent networks on the JVM with native AVX2/FMA and CUDA kernels.",
        subcommands = {InfoCommand.class, TrainCommand.class, EvalCommand.class, GenerateCommand.class, ExplainCommand.class,
            BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    /** Reads the version from the jar manifest (or "dev" when run from classes). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"lrn4j " + version()};
        }
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("lrn4j: " + e.getMessage());
            return 1;
        });
        System.exit(cli.execute(args));
    }
}

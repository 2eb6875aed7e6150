package dev.graft.cli;

import dev.graft.GraftException;
import dev.graft.peft.RecordedBase;
import dev.graft.runtime.Engines;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine;

/**
 * {@code graft}: transfer learning for the JVM from the command line. Exit codes: 0 ok, 1 failure, 2 usage error.
 */
@Command(name = "graft", mixinStandardHelpOptions = true, versionProvider = GraftCli.Version.class,
        description = "Transfer learning for the JVM: embed with, convert, and fine-tune pretrained encoders.",
        subcommands = {ModelsCommand.class, MethodsCommand.class, EmbedCommand.class, ConvertCommand.class, TuneCommand.class, FuseCommand.class,
            DistillCommand.class, CarryCommand.class, EvalCommand.class, PredictCommand.class, CompareCommand.class, ExportCommand.class,
            RankCommand.class, FeaturesCommand.class, MergeCommand.class, FisherCommand.class, AtlasCommand.class, QuickstartCommand.class,
            ServeCommand.class,
            CommandLine.HelpCommand.class},
        footer = {"", "Examples:", "  graft quickstart", "  graft models", "  graft embed --model bge-small-en-v1.5 --input docs.txt --output vectors.npy",
            "  graft tune --model all-minilm-l6-v2 --train train.csv --eval dev.csv --method lora --output my-adapter"})
public final class GraftCli implements Runnable {
    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print stack traces with errors.")
    static boolean verbose;

    @Option(names = "--quiet", scope = ScopeType.INHERIT, description = "No progress output on stderr.")
    static boolean quiet;

    @Option(names = "--threads", scope = ScopeType.INHERIT, paramLabel = "N",
            description = "Compute threads (default: all cores).")
    void threads(int n) {
        Engines.configure(n);
    }

    @Option(names = "--strict", scope = ScopeType.INHERIT,
            description = "Refuse an adapter loaded onto another base than the one it records (default: a warning).")
    void strict(boolean strict) {
        RecordedBase.defaultPolicy(strict ? RecordedBase.Policy.REFUSE : RecordedBase.Policy.WARN);
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs a command line; returns the exit code. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        System.setProperty("java.awt.headless", "true");
        verbose = false; // picocli sets these again if given; a previous in-process run must not leak them
        quiet = false;
        RecordedBase.defaultPolicy(RecordedBase.Policy.WARN);
        CommandLine cl = new CommandLine(new GraftCli());
        addHelpOptions(cl); // without it "graft tune --help" fails on the missing required options
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, line, parse) -> {
            if (ex instanceof GraftException) {
                err.println("graft: " + ex.getMessage());
            } else {
                err.println("graft: unexpected error: " + ex + (verbose ? "" : " (rerun with --verbose for details)"));
            }
            if (verbose) {
                ex.printStackTrace(err);
            }
            err.flush();
            return 1;
        });
        // picocli skips its checks when --help is given: "graft tnue --help" would print the top-level help and exit 0
        cl.setExecutionStrategy(parse -> {
            if (!parse.hasSubcommand() && !parse.unmatched().isEmpty()) {
                throw new CommandLine.UnmatchedArgumentException(parse.commandSpec().commandLine(), parse.unmatched());
            }
            return new CommandLine.RunLast().execute(parse);
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("graft: " + unknownCommand(ex).orElse(ex.getMessage()));
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for usage.");
            err.flush();
            return 2;
        });
        return cl.execute(args);
    }

    /** "unknown command 'x'" when the first word after graft's options is no command. */
    static java.util.Optional<String> unknownCommand(CommandLine.ParameterException ex) {
        if (!(ex instanceof CommandLine.UnmatchedArgumentException u) || ex.getCommandLine().getParent() != null
                || u.getUnmatched().isEmpty() || u.getUnmatched().get(0).startsWith("-")) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of("unknown command '" + u.getUnmatched().get(0) + "'");
    }

    /** Gives every command without its own help option -h/--help and -V/--version, as graft itself has. */
    private static void addHelpOptions(CommandLine command) {
        for (CommandLine sub : command.getSubcommands().values()) {
            if (sub.getCommandSpec().findOption("--help") == null) {
                sub.getCommandSpec().mixinStandardHelpOptions(true).versionProvider(new Version());
            }
            addHelpOptions(sub);
        }
    }

    /** Version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"graft " + dev.graft.io.Provenance.graftVersion()};
        }
    }
}

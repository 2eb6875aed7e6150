package dev.graft.cli;

import dev.graft.GraftException;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.train.Budget;
import dev.graft.train.Example;
import dev.graft.train.ExampleFiles;
import dev.graft.train.Holdout;
import dev.graft.train.Task;
import dev.graft.train.TrainingConfig;
import dev.graft.train.TrainingResult;
import dev.graft.tune.Search;
import dev.graft.tune.Tuning;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The options {@code graft tune} and {@code graft fuse} share, and their run: parse, hand everything to
 * {@link Tuning}, print its result. The method flags are added by {@link MethodFlags}.
 */
final class TuneOptions {
    @Option(names = "--model", required = true, paramLabel = "ID|DIR")
    String model;

    @Option(names = "--train", required = true, paramLabel = "FILE", description = "Training data (.csv, .tsv, .jsonl).")
    Path train;

    @Option(names = "--eval", paramLabel = "FILE", description = "Evaluation data; selects the best checkpoint and stops early."
            + " Default: " + Holdout.PERCENT + "%% of --train held out (stratified by class).")
    Path eval;

    @Option(names = "--method", description = "PEFT method. Default: lora (fuse: scalearn).")
    String method;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Adapter directory (created).")
    Path output;

    @Option(names = "--task", defaultValue = "classification", description = "classification, multi-label, regression or retrieval.")
    String task;

    @Option(names = "--pooling", description = "cls, mean or pooler (default: the model's).")
    String pooling;

    @Mixin
    TrainingFlags training = new TrainingFlags();

    @Option(names = "--resume", description = "Continue from the checkpoint in --output.")
    boolean resume;

    @Option(names = "--auto", description = "Search: train with 3 learning rates (--search N) around the method's default (or --lr), "
            + "3x apart, and twice the budget for the best if it was still improving; each judged on the holdout or --eval data; "
            + "keep the best adapter, with search.json and search.png beside it.")
    boolean auto;

    @Option(names = "--search", paramLabel = "N", description = "With --auto: how many learning rates to try (default 3).")
    Integer search;

    @Option(names = "--reference", paramLabel = "DIR", description = "The old model's adapter: add focal distillation"
            + " toward it (positive-congruent training, Yan et al. 2021), weighted up where it was right, so the new"
            + " model breaks fewer of its correct predictions (negative flips; measure with graft compare).")
    Path reference;

    @Option(names = "--reference-model", paramLabel = "ID|DIR", description = "Base model of --reference (default: the one it records).")
    String referenceModel;

    @Option(names = "--focal-alpha", defaultValue = "1.0", description = "With --reference: weight of every example's"
            + " distillation term. Default: ${DEFAULT-VALUE}.")
    double focalAlpha;

    @Option(names = "--focal-beta", defaultValue = "5.0", description = "With --reference: extra weight where the old"
            + " model is right. Default: ${DEFAULT-VALUE}.")
    double focalBeta;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Mixin
    DataOptions data = new DataOptions();

    /**
     * Trains and prints the summary.
     *
     * @param spec    the command (for its method flags and output)
     * @param sources source adapters to compose (graft fuse), or null
     */
    int run(CommandSpec spec, List<Path> sources) {
        Task t = Task.parse(task);
        boolean retrieval = t == Task.RETRIEVAL;
        List<Example> trainSet = ExampleFiles.read(train, data.textColumn, data.pairColumn, data.labelColumn, !retrieval);
        TrainingConfig.Builder config = training.config();
        PrintWriter out = spec.commandLine().getOut();
        try (EncoderModel base = EncoderModel.load(model)) {
            // the learning rate is resolved by Tuning: --lr, else the method's default
            java.util.function.Consumer<Tuning> settings = tuning -> {
                tuning.options(MethodFlags.values(spec)).task(t).train(trainSet, train)
                        .config(config.build()).learningRate(training.lr).progress(new ConsoleProgress(1)).resume(resume)
                        .holdout(!training.noHoldout).probeInit(!training.noProbeInit);
                if (method != null) {
                    tuning.method(method);
                }
                if (sources != null) {
                    tuning.sources(sources);
                }
                if (eval != null) {
                    tuning.eval(ExampleFiles.read(eval, data.textColumn, data.pairColumn, data.labelColumn, !retrieval), eval);
                }
                if (pooling != null) {
                    tuning.pooling(Pooling.parse(pooling));
                }
            };
            if (reference != null) {
                if (auto || resume) {
                    throw new GraftException("--reference trains once toward the old model; leave out --auto and --resume");
                }
                // positive-congruent training: the labels plus focal distillation toward the old model
                dev.graft.distill.Distill.Result r = dev.graft.distill.Distill.of(base,
                                dev.graft.distill.Teacher.of(reference.toString(), referenceModel))
                        .labelled(trainSet, train).focal(focalAlpha, focalBeta).tuning(settings)
                        .progress(new ConsoleProgress(1)).run(output);
                print(out, base, trainSet.size(), r.tuning(), null);
                return 0;
            }
            Tuning tuning = Tuning.of(base);
            settings.accept(tuning);
            if (auto || search != null) {
                if (!auto) {
                    throw new GraftException("--search sets how many learning rates --auto tries; add --auto");
                }
                PrintWriter log = json ? spec.commandLine().getErr() : out;
                Search.Result found = Search.of(tuning).learningRates(search != null ? search : Search.DEFAULT_LEARNING_RATES)
                        .log(log::println).run(output);
                print(out, base, trainSet.size(), found.adapter(), found);
            } else {
                print(out, base, trainSet.size(), tuning.run(output), null);
            }
        }
        return 0;
    }

    /** E.g. "budget: 140 of 300 updates (auto: 10 epochs, at least 300, at most 3000); stopped early, best at update 65". */
    static String budgetLine(TrainingResult t) {
        Budget b = t.budget();
        String rule = switch (b.rule()) {
            case AUTO -> "auto: " + Budget.EPOCHS + " epochs, at least " + Budget.FLOOR + ", at most " + Budget.CAP;
            case EPOCHS -> "--epochs";
            case UPDATES -> "--updates";
        };
        String end = t.stoppedEarly() ? "stopped early, best at update " + t.bestStep()
                : t.history().stream().anyMatch(h -> h.containsKey("eval")) ? "best at update " + t.bestStep() : "kept the last";
        return "budget: " + t.steps() + " of " + b.updates() + " updates (" + rule + "); " + end;
    }

    private void print(PrintWriter out, EncoderModel base, int examples, Tuning.Result r, Search.Result search) {
        print(out, base, examples, r, search, json, output);
    }

    /** The run's summary: JSON, or lines for people. */
    static void print(PrintWriter out, EncoderModel base, int examples, Tuning.Result r, Search.Result search, boolean json,
                      Path output) {
        TrainingResult training = r.training();
        if (json) {
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("output", output.toString());
            summary.put("method", r.method());
            summary.put("trainable_parameters", r.trainableParameters());
            summary.put("method_parameters", r.methodParameters());
            summary.put("trainable_percent", r.trainablePercent());
            summary.put("adapter_bytes", r.adapterBytes());
            summary.put("metrics", r.metrics());
            if (r.probe() != null) {
                summary.put("linear_probe", r.probe().provenance());
            }
            summary.put("best_step", training.bestStep());
            summary.put("updates", training.steps());
            summary.put("seconds", training.seconds());
            summary.put("examples_per_second", training.examplesPerSecond());
            summary.put("tokens_per_second", training.tokensPerSecond());
            // weights the transformer layers apply to every token (embeddings are lookups), for FLOP estimates
            summary.put("layer_parameters", base.encoder().namedParameterShapes().entrySet().stream()
                    .filter(e -> e.getKey().startsWith("encoder.")).mapToLong(e -> e.getValue().size()).sum());
            summary.put("budget", training.budgetSummary());
            summary.put("selection", r.selection().summary());
            if (search != null) {
                summary.put("search", Map.of("metric", search.metric(), "best", search.best(), "trials", search.trials()));
            }
            Output.json(out, summary);
            return;
        }
        if (r.probe() != null) {
            boolean refit = r.probe().examples() > r.selection().train().size();
            out.println(r.probe().summary() + (refit ? "; refit on all " + r.probe().examples()
                    + " examples, since fine-tuning did not beat it on the holdout" : ""));
        }
        out.printf(Locale.ROOT, "trained %s on %d examples: %s trainable parameters (%.2f%% of %s), %d updates in %.1f s (%.1f examples/s)%n",
                r.method(), examples, Output.count(r.trainableParameters()), r.trainablePercent(),
                Output.count(base.info().parameters()), training.steps(), training.seconds(), training.examplesPerSecond());
        out.println(budgetLine(training));
        if (r.selection().describe() != null) {
            out.println(r.selection().describe());
        }
        if (!r.metrics().isEmpty()) {
            out.println("eval (best at update " + training.bestStep() + "): " + TuneCommand.formatMetrics(r.metrics()));
        }
        if (search != null) {
            Search.Trial best = search.trials().get(search.best());
            out.printf(Locale.ROOT, "search: trial %d of %d kept (lr %.2e, budget %s); search.json and search.png beside the adapter%n",
                    best.index() + 1, search.trials().size(), best.learningRate(), best.budget());
        }
        out.printf("adapter: %s (%s), metrics.jsonl and training.png beside it%n", output, Output.bytes(r.adapterBytes()));
    }
}

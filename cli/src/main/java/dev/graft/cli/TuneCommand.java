package dev.graft.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.peft.AdapterFiles;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import dev.graft.train.Example;
import dev.graft.train.ExampleFiles;
import dev.graft.train.LearningRateSchedule;
import dev.graft.train.Task;
import dev.graft.train.TrainingConfig;
import dev.graft.train.TrainingResult;
import dev.graft.tune.Tuning;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "tune", description = "Fine-tune a model on labelled data with a PEFT method; write a PEFT-layout adapter.",
        footer = {"", "Methods: lora, adapter, parallel-adapter, prefix, prompt, ia3, bitfit, lst, head (linear probing), full",
            "Tasks: classification (default), multi-label (labels joined by , or ;), regression, retrieval (text + text_pair)",
            "", "Examples:",
            "  graft tune --model all-minilm-l6-v2 --train train.csv --eval dev.csv --method lora --output my-adapter",
            "  graft tune --model bge-small-en-v1.5 --train pairs.jsonl --task retrieval --method lora --r 16 --output retr",
            "  graft tune --model all-minilm-l6-v2 --train train.csv --method adapter --adapter-config houlsby --output a",
            "  graft tune ... --output my-adapter --resume      (continue a run that was stopped)"})
class TuneCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "ID|DIR")
    String model;

    @Option(names = "--train", required = true, paramLabel = "FILE", description = "Training data (.csv, .tsv, .jsonl).")
    Path train;

    @Option(names = "--eval", paramLabel = "FILE", description = "Evaluation data; selects the best checkpoint.")
    Path eval;

    @Option(names = "--method", description = "PEFT method. Default: lora (fuse: scalearn).")
    String method;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Adapter directory (created).")
    Path output;

    @Option(names = "--task", defaultValue = "classification", description = "classification, multi-label, regression or retrieval.")
    String task;

    @Option(names = "--pooling", description = "cls, mean or pooler (default: the model's).")
    String pooling;

    @Option(names = "--epochs", defaultValue = "3")
    int epochs;

    @Option(names = "--lr", description = "Peak learning rate (default depends on the method: lora 3e-3, full 5e-5, adapters 1e-3, ...).")
    Double lr;

    @Option(names = "--batch-size", defaultValue = "16")
    int batchSize;

    @Option(names = "--accumulation", defaultValue = "1", description = "Batches per update (gradient accumulation).")
    int accumulation;

    @Option(names = "--max-length", defaultValue = "128", description = "Token limit per example. Default: ${DEFAULT-VALUE}.")
    int maxLength;

    @Option(names = "--seed", defaultValue = "42")
    long seed;

    @Option(names = "--weight-decay", defaultValue = "0.01")
    double weightDecay;

    @Option(names = "--warmup", defaultValue = "0.06", description = "Warm-up fraction of the updates.")
    double warmup;

    @Option(names = "--schedule", defaultValue = "linear", description = "linear, cosine or constant.")
    String schedule;

    @Option(names = "--max-grad-norm", defaultValue = "1.0", description = "Global gradient-norm clip (0 = off).")
    double maxGradNorm;

    @Option(names = "--eval-every", defaultValue = "0", description = "Evaluate every N updates (0 = each epoch).")
    int evalEvery;

    @Option(names = "--patience", defaultValue = "0", description = "Early stop after N evaluations without improvement (0 = off).")
    int patience;

    @Option(names = "--class-weights", description = "Weight classes by inverse frequency.")
    boolean classWeights;

    @Option(names = "--metric", description = "Metric that selects the best checkpoint (default: accuracy / micro_f1 / spearman / mrr).")
    String metric;

    @Option(names = "--resume", description = "Continue from the checkpoint in --output.")
    boolean resume;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Mixin
    DataOptions data = new DataOptions();

    @ArgGroup(exclusive = false, heading = "Method options:%n")
    MethodOptions methodOptions = new MethodOptions();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Task t = Task.parse(task);
        PeftMethod m = PeftMethods.byName(methodName());
        if (Files.exists(output.resolve(AdapterFiles.CONFIG)) && !resume) {
            throw new GraftException(output + ": already holds an adapter; choose another --output, or --resume a stopped run");
        }
        boolean retrieval = t == Task.RETRIEVAL;
        List<Example> trainSet = ExampleFiles.read(train, data.textColumn, data.pairColumn, data.labelColumn, !retrieval);
        List<Example> evalSet = eval == null ? List.of() : ExampleFiles.read(eval, data.textColumn, data.pairColumn, data.labelColumn, !retrieval);
        TrainingConfig config = new TrainingConfig(epochs, batchSize, accumulation,
                lr != null ? lr : TrainingConfig.defaultLearningRate(m.name()), weightDecay, warmup,
                LearningRateSchedule.Kind.parse(schedule), maxGradNorm, maxLength, seed, evalEvery, patience, classWeights,
                metric, 0.05);
        PrintWriter out = spec.commandLine().getOut();
        try (EncoderModel base = EncoderModel.load(model)) {
            Tuning tuning = Tuning.of(base).method(m.name()).options(methodOverrides(base)).task(t)
                    .train(trainSet, train).config(config).progress(new ConsoleProgress(1)).resume(resume)
                    .check(methodConfig -> checkBase(base, m, methodConfig))
                    .provenance(this::addProvenance);
            if (eval != null) {
                tuning.eval(evalSet, eval);
            }
            if (pooling != null) {
                tuning.pooling(Pooling.parse(pooling));
            }
            Tuning.Result r = tuning.run(output);
            TrainingResult training = r.training();
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("output", output.toString());
            summary.put("method", m.name());
            summary.put("trainable_parameters", r.trainableParameters());
            summary.put("method_parameters", r.methodParameters());
            summary.put("trainable_percent", r.trainablePercent());
            summary.put("adapter_bytes", r.adapterBytes());
            summary.put("metrics", r.metrics());
            summary.put("best_step", training.bestStep());
            summary.put("updates", training.steps());
            summary.put("seconds", training.seconds());
            summary.put("examples_per_second", training.examplesPerSecond());
            summary.put("tokens_per_second", training.tokensPerSecond());
            // weights the transformer layers apply to every token (embeddings are lookups), for FLOP estimates
            summary.put("layer_parameters", base.encoder().namedParameterShapes().entrySet().stream()
                    .filter(e -> e.getKey().startsWith("encoder.")).mapToLong(e -> e.getValue().size()).sum());
            if (json) {
                Output.json(out, summary);
            } else {
                out.printf(Locale.ROOT, "trained %s on %d examples: %s trainable parameters (%.2f%% of %s), %d updates in %.1f s (%.1f examples/s)%n",
                        m.name(), trainSet.size(), Output.count(r.trainableParameters()), r.trainablePercent(),
                        Output.count(base.info().parameters()), training.steps(), training.seconds(), training.examplesPerSecond());
                if (!r.metrics().isEmpty()) {
                    out.println("eval (best at update " + training.bestStep() + "): " + formatMetrics(r.metrics()));
                }
                out.printf("adapter: %s (%s), metrics.jsonl and training.png beside it%n", output, Output.bytes(r.adapterBytes()));
            }
        }
        return 0;
    }

    /** The PEFT method's CLI name. */
    String methodName() {
        return method == null ? "lora" : method;
    }

    /** The method's options (adapter_config.json keys) from the command line. */
    ObjectNode methodOverrides(EncoderModel base) {
        return methodOptions == null ? Output.JSON.createObjectNode() : methodOptions.toConfig();
    }

    /** Checks, before training, that what the method builds on fits {@code base}. */
    void checkBase(EncoderModel base, PeftMethod m, ObjectNode methodConfig) {
    }

    /** Adds method-specific records to {@code graft_provenance.json}. */
    void addProvenance(ObjectNode record) {
    }

    static String formatMetrics(Map<String, Double> metrics) {
        StringBuilder sb = new StringBuilder();
        metrics.forEach((k, v) -> {
            if (!k.equals("examples")) {
                sb.append(sb.length() == 0 ? "" : ", ").append(k).append(' ').append(String.format(Locale.ROOT, "%.4f", v));
            }
        });
        return sb.toString();
    }
}

package dev.graft.cli;

import dev.graft.GraftException;
import dev.graft.merge.FisherEstimator;
import dev.graft.model.EncoderModel;
import dev.graft.train.Example;
import dev.graft.train.ExampleFiles;
import dev.graft.train.TaskModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "fisher", mixinStandardHelpOptions = true,
        description = "Estimate the diagonal Fisher information of a fine-tuned classifier (base + adapter) on a data file, for"
                + " Fisher-weighted merging (merge_method: fisher).",
        footer = {"", "Examples:",
            "  graft fisher --model all-minilm-l6-v2 --adapter sentiment-lora --data dev.csv --output sentiment.fisher.safetensors",
            "  graft fisher --model ./base --adapter topic-lora --data dev.csv --label gold --max-examples 500 --output topic.fisher.safetensors"})
final class FisherCommand implements Runnable {
    @Mixin
    AdapterOptions adapter = new AdapterOptions();

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Examples (csv, tsv or jsonl).")
    Path data;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "Where to write the Fisher (safetensors, the model's tensor names).")
    Path output;

    @Option(names = "--label", defaultValue = "predicted", description = "predicted (the model's own argmax) or gold. Default: ${DEFAULT-VALUE}.")
    String label;

    @Option(names = "--max-examples", defaultValue = "1000", description = "Use at most this many examples. Default: ${DEFAULT-VALUE}.")
    int maxExamples;


    @Mixin
    DataOptions columns = new DataOptions();

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        FisherEstimator.Label which = switch (label) {
            case "predicted" -> FisherEstimator.Label.PREDICTED;
            case "gold" -> FisherEstimator.Label.GOLD;
            default -> throw new GraftException("--label: expected predicted or gold, got '" + label + "'");
        };
        try (EncoderModel base = EncoderModel.load(adapter.baseModel());
             TaskModel model = adapter.load(base)) {
            List<Example> examples = ExampleFiles.read(data, columns.textColumn, columns.pairColumn, columns.labelColumn,
                    which == FisherEstimator.Label.GOLD);
            if (examples.size() > maxExamples) {
                examples = examples.subList(0, maxExamples);
            }
            Map<String, float[]> f = FisherEstimator.estimate(model, examples, model.maxLength(), which, new ConsoleProgress(50));
            FisherEstimator.write(output, f, FisherEstimator.shapes(model), Map.of("examples", Integer.toString(examples.size()),
                    "label", label, "adapter", adapter.adapter.toString()));
            PrintWriter out = spec.commandLine().getOut();
            out.println("wrote the diagonal Fisher of " + f.size() + " tensors over " + examples.size() + " examples to " + output);
        }
    }
}

package dev.graft.cli;

import dev.graft.model.EncoderModel;
import dev.graft.train.Evaluator;
import dev.graft.train.Example;
import dev.graft.train.ExampleFiles;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "eval", description = "Evaluate an adapter on labelled data.",
        footer = {"", "Examples:", "  graft eval --model all-minilm-l6-v2 --adapter my-adapter --data test.csv",
            "  graft eval --model all-minilm-l6-v2 --adapter my-adapter --data test.csv --json"})
final class EvalCommand implements Runnable {
    @Mixin
    AdapterOptions adapter = new AdapterOptions();

    @Option(names = "--data", required = true, paramLabel = "FILE")
    Path data;

    @Option(names = "--batch-size", defaultValue = "64", description = "Most examples per forward pass. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Mixin
    TokenBudgetOption budget = new TokenBudgetOption();

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Mixin
    DataOptions columns = new DataOptions();

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        try (EncoderModel base = EncoderModel.load(adapter.baseModel());
             TaskModel model = adapter.load(base)) {
            List<Example> examples = ExampleFiles.read(data, columns.textColumn, columns.pairColumn, columns.labelColumn,
                    model.task() != Task.RETRIEVAL);
            Map<String, Double> metrics = Evaluator.evaluate(model, examples, model.maxLength(), budget.batcher(batchSize));
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("adapter", adapter.adapter.toString());
                r.put("data", data.toString());
                r.put("metrics", metrics);
                Output.json(out, r);
            } else {
                out.println(data + " (" + examples.size() + " examples): " + TuneCommand.formatMetrics(metrics));
            }
        }
    }
}

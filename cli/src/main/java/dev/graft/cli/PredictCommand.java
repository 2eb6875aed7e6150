package dev.graft.cli;

import dev.graft.GraftException;
import dev.graft.io.AtomicFiles;
import dev.graft.model.EncoderModel;
import dev.graft.train.Prediction;
import dev.graft.train.Predictions;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "predict", description = "Predict labels (with probabilities) for texts with an adapter; writes JSONL.",
        footer = {"", "Examples:", "  graft predict --model all-minilm-l6-v2 --adapter my-adapter --input new.csv --output predictions.jsonl"})
final class PredictCommand implements Callable<Integer> {
    @Mixin
    AdapterOptions adapter = new AdapterOptions();

    @Option(names = "--input", required = true, paramLabel = "FILE", description = ".txt, .csv, .tsv or .jsonl")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "Predictions as JSONL.")
    Path output;

    @Option(names = "--batch-size", defaultValue = "64", description = "Most examples per forward pass. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Mixin
    TokenBudgetOption budget = new TokenBudgetOption();

    @Mixin
    DataOptions columns = new DataOptions();

    @Mixin
    EngineOption engine = new EngineOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        try (EncoderModel base = EncoderModel.load(adapter.baseModel());
             TaskModel model = adapter.load(base)) {
            if (model.task() == Task.RETRIEVAL) {
                throw new GraftException(adapter.adapter + ": a retrieval adapter predicts embeddings; use it with graft embed after export --merge");
            }
            List<Prediction> predictions = Predictions.of(model).batchSize(batchSize).maxBatchTokens(budget.maxBatchTokens)
                    .engine(engine.choice()).columns(columns.reader()).run(input);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < predictions.size(); i++) {
                sb.append(Output.COMPACT.writeValueAsString(row(i, predictions.get(i)))).append('\n');
            }
            AtomicFiles.writeString(output, sb.toString());
            PrintWriter out = spec.commandLine().getOut();
            out.println("wrote " + predictions.size() + " predictions to " + output);
        }
        return 0;
    }

    /** One JSONL line: index, text, then the task's fields. */
    private static Map<String, Object> row(int index, Prediction p) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("index", index);
        row.put("text", p.example().text());
        switch (p.task()) {
            case CLASSIFICATION -> {
                row.put("label", p.label());
                row.put("probability", p.probability());
                row.put("probabilities", p.probabilities());
            }
            case MULTI_LABEL -> {
                row.put("labels", p.labels());
                row.put("probabilities", p.probabilities());
            }
            default -> row.put("value", p.value());
        }
        return row;
    }
}

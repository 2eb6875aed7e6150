package dev.graft.cli;

import dev.graft.GraftException;
import dev.graft.io.AtomicFiles;
import dev.graft.model.EncoderModel;
import dev.graft.train.Example;
import dev.graft.train.ExampleFiles;
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

    @Option(names = "--batch-size", defaultValue = "64")
    int batchSize;

    @Mixin
    DataOptions columns = new DataOptions();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        try (EncoderModel base = EncoderModel.load(adapter.baseModel());
             TaskModel model = adapter.load(base)) {
            if (model.task() == Task.RETRIEVAL) {
                throw new GraftException(adapter.adapter + ": a retrieval adapter predicts embeddings; use it with graft embed after export --merge");
            }
            List<Example> examples = ExampleFiles.read(input, columns.textColumn, columns.pairColumn, columns.labelColumn, false);
            float[][] p = model.predict(examples, batchSize);
            List<String> names = model.labels().names();
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < examples.size(); i++) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("index", i);
                row.put("text", examples.get(i).text());
                switch (model.task()) {
                    case CLASSIFICATION -> {
                        int best = 0;
                        Map<String, Float> probs = new LinkedHashMap<>();
                        for (int c = 0; c < p[i].length; c++) {
                            probs.put(names.get(c), p[i][c]);
                            if (p[i][c] > p[i][best]) {
                                best = c;
                            }
                        }
                        row.put("label", names.get(best));
                        row.put("probability", p[i][best]);
                        row.put("probabilities", probs);
                    }
                    case MULTI_LABEL -> {
                        List<String> on = new java.util.ArrayList<>();
                        Map<String, Float> probs = new LinkedHashMap<>();
                        for (int c = 0; c < p[i].length; c++) {
                            probs.put(names.get(c), p[i][c]);
                            if (p[i][c] > 0.5f) {
                                on.add(names.get(c));
                            }
                        }
                        row.put("labels", on);
                        row.put("probabilities", probs);
                    }
                    default -> row.put("value", p[i][0]);
                }
                sb.append(Output.COMPACT.writeValueAsString(row)).append('\n');
            }
            AtomicFiles.writeString(output, sb.toString());
            PrintWriter out = spec.commandLine().getOut();
            out.println("wrote " + examples.size() + " predictions to " + output);
        }
        return 0;
    }
}

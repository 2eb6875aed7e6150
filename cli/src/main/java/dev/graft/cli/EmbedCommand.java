package dev.graft.cli;

import dev.graft.GraftException;
import dev.graft.io.AtomicFiles;
import dev.graft.io.npy.NpyWriter;
import dev.graft.io.safetensors.SafetensorsWriter;
import dev.graft.model.BundledModel;
import dev.graft.model.EmbedOptions;
import dev.graft.model.Embedder;
import dev.graft.model.EncoderModel;
import dev.graft.model.InferenceEngine;
import dev.graft.model.engine.InferenceEngines;
import dev.graft.model.Pooling;
import dev.graft.text.DataFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "embed", description = "Embed texts with a model; write .jsonl, .npy or .safetensors.",
        footer = {"", "Examples:", "  graft embed --model all-minilm-l6-v2 --input quotes.txt --output vectors.npy",
            "  graft embed --model e5-small-v2 --query --input questions.csv --text-column question --output q.safetensors",
            "  graft embed --model ./my-hf-model --input docs.jsonl --output docs.jsonl.out.jsonl --batch-size 64"})
final class EmbedCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "ID|DIR", description = "Bundled model id or HF model directory.")
    String model;

    @Option(names = "--input", required = true, paramLabel = "FILE", description = "Texts: .txt (one per line), .csv, .tsv or .jsonl.")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "Vectors: .jsonl, .npy or .safetensors.")
    Path output;

    @Option(names = "--text-column", defaultValue = "text", description = "Column holding the text (csv/tsv/jsonl). Default: ${DEFAULT-VALUE}.")
    String textColumn;

    @Option(names = "--batch-size", defaultValue = "32", description = "Most texts per forward pass. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Mixin
    TokenBudgetOption budget = new TokenBudgetOption();

    @Option(names = "--max-length", description = "Token limit per text (default: the model's).")
    Integer maxLength;

    @Option(names = "--pooling", description = "cls, mean or pooler (default: the model's).")
    String pooling;

    @Option(names = "--normalize", negatable = true, description = "L2-normalise vectors (default: the model's choice).")
    Boolean normalize;

    @Option(names = "--prefix", description = "Text prepended to every input.")
    String prefix;

    @Option(names = "--query", description = "Prepend the model's query prefix (E5, BGE retrieval).")
    boolean query;

    @Option(names = "--passage", description = "Prepend the model's passage prefix (E5).")
    boolean passage;

    @Option(names = "--json", description = "Print a JSON summary.")
    boolean json;

    @picocli.CommandLine.Mixin
    EngineOption engine = new EngineOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        String ext = extension(output);
        if (!List.of("jsonl", "npy", "safetensors").contains(ext)) {
            throw new GraftException(output + ": unsupported output type '." + ext + "'; expected .jsonl, .npy or .safetensors");
        }
        List<String> texts = DataFiles.texts(input, textColumn);
        long start = System.nanoTime();
        try (EncoderModel m = EncoderModel.load(model)) {
            EmbedOptions o = EmbedOptions.defaults(m).withBatchSize(batchSize).withMaxBatchTokens(budget.maxBatchTokens);
            if (maxLength != null) {
                o = o.withMaxLength(maxLength);
            }
            if (pooling != null) {
                o = o.withPooling(Pooling.parse(pooling));
            }
            if (normalize != null) {
                o = o.withNormalize(normalize);
            }
            o = o.withPrefix(prefix(m));
            float[][] vectors;
            String engineName;
            try (InferenceEngine e = InferenceEngines.open(m, engine.choice(), o.pooling(), false)) {
                vectors = new Embedder(m, o, e).embed(texts, new ConsoleProgress(512));
                engineName = e.name();
            }
            write(vectors, m.info().id(), o);
            double seconds = (System.nanoTime() - start) / 1e9;
            PrintWriter out = spec.commandLine().getOut();
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("model", m.info().id());
            summary.put("texts", texts.size());
            summary.put("dimensions", m.info().hiddenSize());
            summary.put("pooling", o.pooling().cliName());
            summary.put("normalize", o.normalize());
            summary.put("output", output.toString());
            summary.put("engine", engineName);
            summary.put("seconds", Math.round(seconds * 100) / 100.0);
            if (json) {
                Output.json(out, summary);
            } else {
                out.printf(Locale.ROOT, "embedded %d texts with %s (%d dims, %s%s) in %.1f s -> %s%n", texts.size(),
                        m.info().id(), m.info().hiddenSize(), o.pooling().cliName(), o.normalize() ? ", normalised" : "",
                        seconds, output);
            }
        }
        return 0;
    }

    private String prefix(EncoderModel m) {
        if ((query || passage) && prefix != null) {
            throw new GraftException("use either --prefix or --query/--passage, not both");
        }
        if (query && passage) {
            throw new GraftException("use either --query or --passage, not both");
        }
        if (query || passage) {
            BundledModel b = m.bundled().orElseThrow(() -> new GraftException("--query/--passage need a bundled model id"
                    + " (their prefixes come from its model card); use --prefix for a directory"));
            return query ? b.queryPrefix() : b.passagePrefix();
        }
        return prefix == null ? "" : prefix;
    }

    private void write(float[][] vectors, String modelId, EmbedOptions o) throws IOException {
        switch (extension(output)) {
            case "npy" -> NpyWriter.writeFloat32(output, vectors);
            case "safetensors" -> new SafetensorsWriter().metadata("model", modelId).metadata("pooling", o.pooling().cliName())
                    .metadata("normalize", Boolean.toString(o.normalize()))
                    .addRows("embeddings", vectors).write(output);
            default -> {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < vectors.length; i++) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("index", i);
                    row.put("embedding", vectors[i]);
                    sb.append(Output.COMPACT.writeValueAsString(row)).append('\n');
                }
                AtomicFiles.writeString(output, sb.toString());
            }
        }
    }

    static String extension(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }
}

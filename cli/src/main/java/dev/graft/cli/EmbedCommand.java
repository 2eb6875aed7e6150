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
import dev.graft.model.engine.OnnxModelDirectory;
import dev.graft.model.engine.OrtEngine;
import dev.graft.model.BundledModels;
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
    @Option(names = "--model", required = true, paramLabel = "ID|DIR", description = "Bundled model id, HF model directory, or a directory graft export --format onnx wrote (runs on ONNX Runtime alone).")
    String model;

    @Option(names = "--adapter", paramLabel = "DIR", description = "A retrieval adapter on --model (graft tune --task retrieval,"
            + " or graft distill from an embedding model): embed with it. Runs on PyTorch.")
    Path adapter;

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
        Path dir = Path.of(model);
        if (OnnxModelDirectory.isExport(dir)) {
            return embedExport(dir, texts, start);
        }
        if (adapter != null) {
            return embedAdapter(texts, start);
        }
        try (EncoderModel m = EncoderModel.load(model)) {
            EmbedOptions o = options(EmbedOptions.defaults(m)).withPrefix(prefix(m.bundled().orElse(null), m.info().id()));
            float[][] vectors;
            String engineName;
            try (InferenceEngine e = InferenceEngines.open(m, engine.choice(), o.pooling(), false)) {
                vectors = new Embedder(m, o, e).embed(texts, new ConsoleProgress(512));
                engineName = e.name();
            }
            write(vectors, m.info().id(), o);
            report(m.info().id(), texts.size(), m.info().hiddenSize(), o, engineName, start);
        }
        return 0;
    }

    /**
     * Embeds with an ONNX export directory on ONNX Runtime alone (it holds no PyTorch weights): its tokenizer, and its
     * pooling, normalisation and token limit from onnx_export.json unless the options override them.
     */
    private int embedExport(Path dir, List<String> texts, long start) throws IOException {
        if (engine.choice() == dev.graft.model.engine.EngineChoice.PYTORCH) {
            throw new GraftException(dir + ": an ONNX export runs on ONNX Runtime only; drop --engine pytorch (or use the"
                    + " model it was exported from)");
        }
        try (OnnxModelDirectory m = OnnxModelDirectory.open(dir)) {
            // --query/--passage: the prefixes of the bundled model the export was made from
            BundledModel b = m.baseModel() == null ? null : BundledModels.find(m.baseModel()).orElse(null);
            EmbedOptions o = options(m.embedOptions()).withPrefix(prefix(b, dir + " (exported from " + m.baseModel() + ")"));
            float[][] vectors;
            String engineName;
            try (OrtEngine e = m.openEngine()) {
                vectors = m.embedder(o, e).embed(texts, new ConsoleProgress(512));
                engineName = e.name();
            }
            write(vectors, m.id(), o);
            report(m.id(), texts.size(), m.hiddenSize(), o, engineName, start);
        }
        return 0;
    }

    /** Embeds with a retrieval adapter: its pooling and token limit unless the options override them. */
    private int embedAdapter(List<String> texts, long start) throws IOException {
        if (engine.choice() == dev.graft.model.engine.EngineChoice.ONNXRUNTIME) {
            throw new GraftException("--adapter runs on PyTorch; drop --engine onnxruntime (or embed an ONNX export of the"
                    + " adapter: graft export --format onnx)");
        }
        try (EncoderModel m = EncoderModel.load(model);
             dev.graft.train.TaskModel tm = dev.graft.tune.TaskModelFiles.load(m, adapter)) {
            if (tm.task() != dev.graft.train.Task.RETRIEVAL) {
                throw new GraftException(adapter + ": a " + tm.task().cliName() + " adapter; graft predict runs it (embed takes"
                        + " retrieval adapters)");
            }
            EmbedOptions o = options(EmbedOptions.defaults(m).withPooling(tm.pooling()).withMaxLength(tm.maxLength()))
                    .withPrefix(prefix(m.bundled().orElse(null), m.info().id()));
            List<dev.graft.train.Example> examples = new java.util.ArrayList<>(texts.size());
            for (int i = 0; i < texts.size(); i++) {
                examples.add(new dev.graft.train.Example(o.prefix() + texts.get(i), null, null, input + ":" + (i + 1)));
            }
            float[][] vectors = tm.embed(examples, o.maxLength(), o.batcher());
            if (o.normalize()) {
                Pooling.normalizeRows(vectors);
            }
            String id = m.info().id() + " + " + adapter.getFileName();
            write(vectors, id, o);
            report(id, texts.size(), m.info().hiddenSize(), o, "pytorch", start);
        }
        return 0;
    }

    /** The model's defaults with --batch-size, --max-batch-tokens, --max-length, --pooling and --normalize applied. */
    private EmbedOptions options(EmbedOptions o) {
        o = o.withBatchSize(batchSize).withMaxBatchTokens(budget.maxBatchTokens);
        if (maxLength != null) {
            o = o.withMaxLength(maxLength);
        }
        if (pooling != null) {
            o = o.withPooling(Pooling.parse(pooling));
        }
        if (normalize != null) {
            o = o.withNormalize(normalize);
        }
        return o;
    }

    private void report(String id, int count, int dims, EmbedOptions o, String engineName, long start) {
        double seconds = (System.nanoTime() - start) / 1e9;
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("model", id);
        summary.put("texts", count);
        summary.put("dimensions", dims);
        summary.put("pooling", o.pooling().cliName());
        summary.put("normalize", o.normalize());
        summary.put("output", output.toString());
        summary.put("engine", engineName);
        summary.put("seconds", Math.round(seconds * 100) / 100.0);
        if (json) {
            Output.json(out, summary);
        } else {
            out.printf(Locale.ROOT, "embedded %d texts with %s (%d dims, %s%s) in %.1f s -> %s%n", count, id, dims,
                    o.pooling().cliName(), o.normalize() ? ", normalised" : "", seconds, output);
        }
    }

    /**
     * --prefix, or the bundled model's query/passage prefix.
     *
     * @param b the bundled model the prefixes come from, or null (a model directory)
     * @param what the model, for the message when --query/--passage cannot be served
     */
    private String prefix(BundledModel b, String what) {
        if ((query || passage) && prefix != null) {
            throw new GraftException("use either --prefix or --query/--passage, not both");
        }
        if (query && passage) {
            throw new GraftException("use either --query or --passage, not both");
        }
        if (query || passage) {
            if (b == null) {
                throw new GraftException("--query/--passage need a bundled model (their prefixes come from its model card)"
                        + " and " + what + " is not one; use --prefix");
            }
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

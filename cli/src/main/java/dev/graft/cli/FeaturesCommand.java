package dev.graft.cli;

import dev.graft.features.FeatureCache;
import dev.graft.features.FeatureFileWriter;
import dev.graft.features.LabelledTexts;
import dev.graft.features.LayerFeatures;
import dev.graft.model.EmbedOptions;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Exports the features `graft rank` scores, so users can check the estimators elsewhere (NumPy, LogME's reference). */
@Command(name = "features", description = "Export the pooled features (and labels) that `graft rank` scores, as .safetensors or .npy.",
        footer = {"", "Output:",
            "  .safetensors  tensors 'layer.<i>' [n, hidden] (with --layers: 0 = embeddings .. L; else one, the final"
                + " representation) and 'labels' [n] int64; metadata: model, pooling, class names",
            "  .npy          one layer [n, hidden] float32 (the final one, or --layer N), labels in <name>.labels.npy",
            "", "Examples:",
            "  graft features --model all-minilm-l6-v2 --data train.csv --output feats.npy",
            "  graft features --model bge-small-en-v1.5 --data train.csv --layers --output feats.safetensors",
            "  python3 -c \"import numpy as np; f = np.load('feats.npy'); y = np.load('feats.labels.npy')\""})
final class FeaturesCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "ID|DIR")
    String model;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Labelled texts (.csv, .tsv, .jsonl).")
    Path data;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = ".safetensors or .npy")
    Path output;

    @Option(names = "--layers", description = "Every layer's features (safetensors), not just the final representation.")
    boolean layers;

    @Option(names = "--layer", paramLabel = "N", description = "With .npy: which layer (0 = embeddings .. L).")
    Integer layer;

    @Option(names = "--pooling", description = "cls, mean or pooler (default: the model's).")
    String pooling;

    @Option(names = "--max-length", description = "Token limit per text (default: the model's).")
    Integer maxLength;

    @Mixin
    TokenBudgetOption budget = new TokenBudgetOption();

    @Option(names = "--sample", paramLabel = "N", description = "Use a stratified random subset of N examples.")
    Integer sample;

    @Option(names = "--seed", defaultValue = "42")
    long seed;

    @Option(names = "--json", description = "Print a JSON summary.")
    boolean json;

    @Mixin
    DataOptions columns = new DataOptions();

    @Mixin
    EngineOption engine = new EngineOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        FeatureFileWriter.format(output);
        LabelledTexts texts = LabelledTexts.read(data, columns.reader());
        if (sample != null) {
            texts = texts.sample(sample, seed);
        }
        try (EncoderModel m = EncoderModel.load(model)) {
            EmbedOptions o = EmbedOptions.defaults(m, pooling == null ? null : Pooling.parse(pooling), maxLength)
                    .withMaxBatchTokens(budget.maxBatchTokens);
            LayerFeatures f = new FeatureCache().withEngine(engine.choice()).get(m, texts.texts(), o, layers || layer != null, new ConsoleProgress(512));
            FeatureFileWriter.of(f, texts, o).allLayers(layers).layer(layer).write(output);
            PrintWriter out = spec.commandLine().getOut();
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("model", m.info().id());
            summary.put("examples", texts.size());
            summary.put("classes", texts.numClasses());
            summary.put("dimensions", m.info().hiddenSize());
            summary.put("layers", layers ? f.layers().size() : 1);
            summary.put("output", output.toString());
            if (json) {
                Output.json(out, summary);
            } else {
                out.printf(Locale.ROOT, "wrote features of %d examples (%d classes, %d dims%s) from %s to %s%n", texts.size(),
                        texts.numClasses(), m.info().hiddenSize(), layers ? ", " + f.layers().size() + " layers" : "", m.info().id(), output);
            }
        }
        return 0;
    }
}

package dev.graft.cli;

import dev.graft.GraftException;
import dev.graft.merge.Merger;
import dev.graft.runtime.Engines;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "merge", mixinStandardHelpOptions = true, description = {"Merge fine-tuned models or LoRA adapters of one base into one, from a mergekit-shaped YAML config.",
    "Methods: linear, task_arithmetic, ties, dare_linear, dare_ties, magnitude_prune, breadcrumbs, breadcrumbs_ties, slerp,"
        + " fisher, pcb, layer_swap; for adapters also peft_linear, peft_cat, peft_svd, peft_ties, peft_dare_linear,"
        + " peft_dare_ties, peft_magnitude_prune. Streams tensor by tensor: memory stays bounded by the largest tensor."},
        footer = {"", "Examples:",
            "  graft merge --config ties.yml --output merged-model",
            "  graft merge --config ties.yml --output merged-model --out-shard-size 2GB --threads 4",
            "", "ties.yml:",
            "  models:",
            "    - model: ./finetuned-sentiment",
            "      parameters: {weight: 1.0, density: 0.5}",
            "    - model: ./base+./topic-lora        # a LoRA folded into its base first",
            "      parameters: {weight: [0.5, 1.0], density: 0.5}   # a gradient across layers",
            "  base_model: ./base",
            "  merge_method: ties",
            "  parameters: {lambda: 1.0}",
            "", "See docs/merging.md for every method, parameter and equation."})
final class MergeCommand implements Runnable {
    private static final Pattern SIZE = Pattern.compile("(?i)\\s*([0-9]+(?:\\.[0-9]+)?)\\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?\\s*");

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The merge config (YAML).")
    Path config;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Where to write the merged model or adapter (must not exist, or be empty).")
    Path output;

    @Option(names = "--out-shard-size", paramLabel = "SIZE", defaultValue = "5GB",
            description = "Largest output shard, e.g. 500MB, 2GB (default: ${DEFAULT-VALUE}).")
    String shardSize;

    @Option(names = "--no-input-hashes", description = "Skip the SHA-256 of every input in graft_provenance.json (saves re-reading large inputs).")
    boolean noHashes;

    @Option(names = "--json", description = "Print a JSON summary.")
    boolean json;

    @Spec
    CommandSpec spec;

    /** Parses 2GB, 500MB, 1.5GiB, 1048576 (decimal units are powers of 1000, binary ones of 1024). */
    static long parseSize(String s) {
        Matcher m = SIZE.matcher(s);
        if (!m.matches()) {
            throw new GraftException("--out-shard-size: '" + s + "' is not a size like 500MB or 2GB");
        }
        double v = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        double mult = switch (unit) {
            case "kb" -> 1e3;
            case "mb" -> 1e6;
            case "gb" -> 1e9;
            case "tb" -> 1e12;
            case "kib" -> 1024.0;
            case "mib" -> 1024.0 * 1024;
            case "gib" -> 1024.0 * 1024 * 1024;
            case "tib" -> 1024.0 * 1024 * 1024 * 1024;
            default -> 1;
        };
        long bytes = (long) (v * mult);
        if (bytes <= 0) {
            throw new GraftException("--out-shard-size: must be positive, got '" + s + "'");
        }
        return bytes;
    }

    @Override
    public void run() {
        int threads = Engines.configuredThreadCount() > 0 ? Engines.configuredThreadCount() : Runtime.getRuntime().availableProcessors();
        Merger.Options options = new Merger.Options(parseSize(shardSize), threads, !noHashes, new ConsoleProgress(64L << 20));
        long start = System.nanoTime();
        Merger.Result r = Merger.run(config, output, options);
        double secs = (System.nanoTime() - start) / 1e9;
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("output", r.output().toString());
            s.put("kind", r.kind());
            s.put("tensors", r.tensors());
            s.put("bytes", r.bytes());
            s.put("shards", r.shards());
            s.put("seconds", secs);
            Output.json(out, s);
        } else {
            out.printf("merged %d tensors (%s) into the %s %s in %.1f s%s%n", r.tensors(), Output.bytes(r.bytes()),
                    r.kind().equals("adapter") ? "LoRA adapter" : "HF model directory", r.output(), secs,
                    r.shards() > 1 ? " (" + r.shards() + " shards)" : "");
        }
    }
}

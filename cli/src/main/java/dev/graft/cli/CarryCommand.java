package dev.graft.cli;

import dev.graft.carry.Agreement;
import dev.graft.carry.Carry;
import dev.graft.distill.Distill;
import dev.graft.distill.Teacher;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code graft carry}: a thin shell over {@link Carry}, and with {@code --distill} over {@link Distill} (teacher: the
 * source on its base; student: a new adapter on B, trained on the texts: Trans-LoRA).
 */
@Command(name = "carry", description = {"Carry an adapter or a fine-tuned model trained on one base to a new version of that base,"
        + " without training: method adapters (LoRA, (IA)3, adapters, ...) are copied unchanged (PortLLM's patch transfer);"
        + " full fine-tunes and model directories become B + s*(A_ft - A) (Lin et al. 2025, fine-tuning transfer).",
        "The bases must share architecture, weight shapes and vocabulary. With --texts, the carried copy on B is compared"
        + " with the source on A (classifiers: share of identical predictions, default minimum " + Agreement.DEFAULT_MIN_PREDICTIONS
        + "; embeddings: mean cosine, default minimum " + Agreement.DEFAULT_MIN_EMBEDDINGS + ")."},
        footer = {"", "Examples:",
            "  graft carry --adapter my-lora --to bge-small-en-v1.5 --output my-lora-v1.5",
            "  graft carry --adapter my-lora --to bge-small-en-v1.5 --texts unlabeled.txt --require-agreement --output my-lora-v1.5",
            "  graft carry --adapter my-full-ft --from bge-small-en --to bge-small-en-v1.5 --scale 0.8 --output ft-v1.5",
            "  graft carry --adapter my-lora --to e5-small-v2 --distill --texts unlabeled.txt --output my-lora-e5",
            "  graft carry --adapter my-lora --to all-minilm-l6-v2 --distill --filter-pool docs.txt --seeds few.csv --output small",
            "  graft eval --adapter my-lora-v1.5 --data test.csv"})
final class CarryCommand implements Callable<Integer> {
    @Option(names = "--adapter", required = true, paramLabel = "DIR",
            description = "The adapter (graft tune, PEFT) or fine-tuned model directory (graft merge, export --merge) to carry.")
    Path adapter;

    @Option(names = "--to", required = true, paramLabel = "ID|DIR", description = "The new base, B.")
    String to;

    @Option(names = "--from", paramLabel = "ID|DIR", description = "The base it was trained on, A (default: the one it records).")
    String from;

    @Option(names = "--scale", defaultValue = "1.0", paramLabel = "S",
            description = "s in B + s*(A_ft - A), for full fine-tunes and models. Default: ${DEFAULT-VALUE}.")
    double scale;

    @Option(names = "--texts", paramLabel = "FILE",
            description = "Unlabeled texts (.txt one per line, .csv/.tsv/.jsonl with a text column) to check agreement on.")
    Path texts;

    @Option(names = "--min-agreement", paramLabel = "X", description = "Least agreement accepted (default: "
            + Agreement.DEFAULT_MIN_PREDICTIONS + " identical predictions for classifiers, " + Agreement.DEFAULT_MIN_EMBEDDINGS
            + " mean cosine for embeddings).")
    Double minAgreement;

    @Option(names = "--require-agreement", description = "Below the minimum, write nothing and exit 1 (default: warn).")
    boolean requireAgreement;

    @Option(names = "--distill", description = "Train a new adapter on B to reproduce the source's outputs on --texts"
            + " (and/or texts --filter-pool keeps), instead of moving weights (Trans-LoRA): works across architectures and"
            + " tokenizers, needs no labels; the result's held-out agreement with the source is printed.")
    boolean distill;

    @Option(names = "--method", description = "With --distill: the new adapter's method (default: the source's, or lora).")
    String method;

    @picocli.CommandLine.Mixin
    PoolFilterOptions poolFilter = new PoolFilterOptions();

    @Option(names = "--batch-size", defaultValue = "32", description = "Texts per forward pass of the check. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Where to write the carried copy (must not exist, or be empty).")
    Path output;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Option(names = "--text-column", defaultValue = "text", description = "Text column of --texts. Default: ${DEFAULT-VALUE}.")
    String textColumn;

    @Option(names = "--pair-column", defaultValue = "text_pair", description = "Second-text column for sentence pairs. Default: ${DEFAULT-VALUE}.")
    String pairColumn;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (distill) {
            return distill();
        }
        if (poolFilter.given() || method != null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--filter-pool and --method belong to --distill");
        }
        if (requireAgreement && texts == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--require-agreement needs --texts FILE");
        }
        Carry carry = Carry.of(adapter).from(from).scale(scale).minAgreement(minAgreement).requireAgreement(requireAgreement)
                .batchSize(batchSize).strategy(strategy());
        if (texts != null) {
            carry.texts(texts, dev.graft.train.ExampleFiles.reader().textColumn(textColumn).pairColumn(pairColumn));
        }
        Carry.Report r = carry.run(to, output);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (r.warning() != null) {
            err.println("graft: warning: " + r.warning());
            err.flush();
        }
        if (json) {
            Output.json(out, summary(r));
            return 0;
        }
        out.println("carried " + (r.kind() == Carry.Kind.ADAPTER ? r.method() + " adapter " : "model ") + adapter + " from "
                + describe(r.from(), r.fromSha256()) + " to " + describe(r.to(), r.toSha256()) + " by " + r.strategy()
                + (r.transferredTensors() > 0 ? String.format(Locale.ROOT, " (%d tensors, scale %s)", r.transferredTensors(), r.scale()) : "")
                + ": " + r.output());
        if (r.agreement() == null) {
            out.println("agreement not checked (no --texts): give unlabeled texts to see whether it carries");
        } else {
            out.println(r.agreement().describe() + String.format(Locale.ROOT, "; minimum %.4f: %s", r.minAgreement(),
                    r.belowMinimum() ? "below" : "ok"));
        }
        return 0;
    }

    /**
     * The carry strategy the flags ask for; null lets {@link Carry} choose (fine-tuning transfer for whole weights,
     * patch transfer otherwise). A {@code --distill} flag returns the distillation strategy here (it needs --texts).
     */
    private dev.graft.carry.CarryStrategy strategy() {
        return null;
    }

    /** Trans-LoRA: the source on A teaches a new adapter on B from unlabeled texts. */
    private int distill() {
        if (texts == null && !poolFilter.given()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--distill learns from texts: give --texts FILE"
                    + " or --filter-pool POOL --seeds FILE");
        }
        if (scale != 1.0 || requireAgreement || minAgreement != null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--scale and the agreement options apply to"
                    + " training-free carrying; --distill reports the held-out agreement of what it trained");
        }
        dev.graft.io.AtomicDirectory.checkTarget(output);
        PrintWriter out = spec.commandLine().getOut();
        dev.graft.train.ExampleFiles.Reader reader = dev.graft.train.ExampleFiles.reader().textColumn(textColumn).pairColumn(pairColumn);
        Teacher teacher = Teacher.of(adapter.toString(), from);
        java.util.List<dev.graft.train.Example> transfer = texts == null ? java.util.List.of() : reader.readUnlabelled(texts);
        java.util.List<dev.graft.train.Example> kept = poolFilter.select(teacher, reader, batchSize, new ConsoleProgress(256),
                json ? spec.commandLine().getErr() : out);
        String studentMethod = method != null ? method : sourceMethod();
        try (dev.graft.model.EncoderModel student = dev.graft.model.EncoderModel.load(to)) {
            Distill d = Distill.of(student, teacher).unlabelled(transfer, texts).filteredPool(kept, poolFilter.pool)
                    .progress(new ConsoleProgress(1)).tuning(t -> t.method(studentMethod));
            Distill.Result r = dev.graft.io.AtomicDirectory.write(output, d::run);
            Map<String, Double> m = r.tuning().metrics();
            Double agreement = m.containsKey("accuracy") ? m.get("accuracy") : m.get(dev.graft.train.Distillation.TEACHER_COSINE);
            if (json) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("output", output.toString());
                j.put("strategy", "distillation");
                j.put("source", adapter.toString());
                j.put("to", to);
                j.put("method", r.tuning().method());
                j.put("transfer_texts", r.transferExamples());
                j.put("held_out_agreement", agreement);
                j.put("metrics", m);
                Output.json(out, j);
            } else {
                out.printf(Locale.ROOT, "distilled %s onto %s as a new %s adapter from %d texts: %s; held-out agreement with"
                        + " the source %s%n", adapter, to, r.tuning().method(), r.transferExamples(), output,
                        agreement == null ? "not measured (too few texts to hold out)" : String.format(Locale.ROOT, "%.4f", agreement));
            }
        }
        return 0;
    }

    /** The source adapter's method when it can train a new adapter, else lora. */
    private String sourceMethod() {
        java.nio.file.Path config = adapter.resolve(dev.graft.peft.AdapterFiles.CONFIG);
        if (!java.nio.file.Files.isRegularFile(config)) {
            return "lora";
        }
        String m = dev.graft.peft.AdapterFiles.readConfig(adapter).path("graft_method").asText("lora");
        return dev.graft.peft.PeftMethods.all().stream().anyMatch(p -> p.name().equals(m)
                && !(p instanceof dev.graft.peft.fusion.Composition)) ? m : "lora";
    }

    private static String describe(String id, String sha) {
        return id + (sha == null || sha.equals("unknown") ? "" : " (sha256 " + sha.substring(0, Math.min(12, sha.length())) + "…)");
    }

    private static Map<String, Object> summary(Carry.Report r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("output", r.output().toString());
        m.put("kind", r.kind().name().toLowerCase(Locale.ROOT));
        m.put("method", r.method());
        m.put("strategy", r.strategy());
        m.put("source", r.source().toString());
        m.put("from", Map.of("id", r.from(), "weights_sha256", r.fromSha256()));
        m.put("to", Map.of("id", r.to(), "weights_sha256", r.toSha256()));
        m.put("scale", r.scale());
        m.put("transferred_tensors", r.transferredTensors());
        if (r.agreement() == null) {
            m.put("agreement", null);
        } else {
            Agreement a = r.agreement();
            Map<String, Object> g = new LinkedHashMap<>();
            g.put("measure", a.measure());
            g.put("texts", a.texts());
            if (a.measure().equals(Agreement.PREDICTIONS)) {
                g.put("agreement", a.agreement());
                g.put("mean_total_variation", a.meanTotalVariation());
            } else {
                g.put("mean_cosine", a.meanCosine());
                g.put("p5_cosine", a.p5Cosine());
            }
            g.put("min_agreement", r.minAgreement());
            g.put("below_minimum", r.belowMinimum());
            m.put("agreement", g);
        }
        m.put("warning", r.warning());
        return m;
    }
}

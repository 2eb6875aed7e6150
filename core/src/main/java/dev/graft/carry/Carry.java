package dev.graft.carry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.io.AtomicDirectory;
import dev.graft.io.Provenance;
import dev.graft.io.safetensors.SafetensorsStore;
import dev.graft.model.EmbedOptions;
import dev.graft.model.BundledModels;
import dev.graft.model.Embedder;
import dev.graft.model.EncoderModel;
import dev.graft.peft.AdapterFiles;
import dev.graft.peft.RecordedBase;
import dev.graft.train.Example;
import dev.graft.train.ExampleFiles;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.tune.TaskModelFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Carries an adaptation trained on base A to a new version of the base, B, without training:
 *
 * <pre>{@code
 * Carry.Report r = Carry.of(Path.of("my-lora"))          // trained on bge-small-en (as it records)
 *         .texts(Path.of("unlabeled.txt"))              // optional: check that B + carried agrees with A + source
 *         .run("bge-small-en-v1.5", Path.of("my-lora-v1.5"));
 * }</pre>
 *
 * <ol>
 *   <li>A and B must be versions of one network ({@link BaseCompatibility}); the first difference is refused.</li>
 *   <li>An adapter of a method that stores a patch (LoRA, (IA)³, adapters, prompts, ...) is copied byte for byte
 *       ({@link PatchTransfer}); a full fine-tune or a model directory becomes B + s·(A_ft − A)
 *       ({@link FineTuningTransfer}). The head comes along unchanged.</li>
 *   <li>The output records B as its base (so it loads onto B by default) and a provenance record naming the source,
 *       A, B and both bases' weight SHA-256.</li>
 *   <li>Given unlabeled texts, the source on A and the carried copy on B are compared ({@link Agreement}); below the
 *       minimum the report carries a warning recommending distillation, or with {@link #requireAgreement(boolean)}
 *       nothing is written.</li>
 * </ol>
 * The output directory must not exist or be empty; it is written beside itself and renamed into place at the end, so a
 * failure leaves nothing. A training carry (distillation) is a further {@link CarryStrategy}.
 */
public final class Carry {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** What the warning below the minimum recommends: distillation, Graft's training carry. */
    public static final String DISTILL_ADVICE = "distil it onto the new base instead (graft distill) or retrain it";

    /** What is carried. */
    public enum Kind {
        /** An adapter directory (adapter_config.json, adapter_model.safetensors). */
        ADAPTER,
        /** A Hugging Face model directory (config.json, model.safetensors): a merged or exported fine-tune. */
        MODEL
    }

    private final Path source;
    private String from;
    private double scale = 1.0;
    private List<Example> texts = List.of();
    private Path textsFile;
    private Double minAgreement;
    private boolean requireAgreement;
    private int batchSize = 32;
    private CarryStrategy strategy;

    private Carry(Path source) {
        this.source = source;
    }

    /** Starts a carry of the adapter or model directory {@code source}. */
    public static Carry of(Path source) {
        return new Carry(source);
    }

    /** Base A, an id or directory (default: the base the source records). */
    public Carry from(String idOrDirectory) {
        this.from = idOrDirectory;
        return this;
    }

    /** s in B + s·(A_ft − A) (default 1); only for fine-tuning transfer. */
    public Carry scale(double s) {
        if (!Double.isFinite(s)) {
            throw new GraftException("scale must be a finite number, got " + s);
        }
        this.scale = s;
        return this;
    }

    /** Unlabeled texts for the agreement check (none: no check). */
    public Carry texts(List<Example> examples) {
        this.texts = List.copyOf(examples);
        this.textsFile = null;
        return this;
    }

    /** Reads the agreement texts from a .txt (one per line), .csv, .tsv or .jsonl file (column {@code text}). */
    public Carry texts(Path file) {
        return texts(file, ExampleFiles.reader());
    }

    /** As {@link #texts(Path)} with other column names; labels are never needed. */
    public Carry texts(Path file, ExampleFiles.Reader columns) {
        this.texts = columns.labelsRequired(false).read(file);
        if (texts.isEmpty()) {
            throw new GraftException(file + ": no texts");
        }
        this.textsFile = file;
        return this;
    }

    /** The least agreement accepted (default {@link Agreement#defaultMinimum()}: 0.9 for classifiers, 0.95 for embeddings). */
    public Carry minAgreement(Double minimum) {
        if (minimum != null && !(minimum >= -1 && minimum <= 1)) {
            throw new GraftException("minimum agreement must be in [-1, 1], got " + minimum);
        }
        this.minAgreement = minimum;
        return this;
    }

    /** Refuse (write nothing) when the agreement is below the minimum; needs texts. */
    public Carry requireAgreement(boolean require) {
        this.requireAgreement = require;
        return this;
    }

    /** Texts per forward pass of the agreement check (default 32). */
    public Carry batchSize(int n) {
        if (n < 1) {
            throw new GraftException("batch size must be at least 1, got " + n);
        }
        this.batchSize = n;
        return this;
    }

    /** How to carry (default: fine-tuning transfer for full fine-tunes and model directories, patch transfer otherwise). */
    public Carry strategy(CarryStrategy s) {
        this.strategy = s;
        return this;
    }

    /**
     * What was done.
     *
     * @param output             the written directory
     * @param kind               adapter or model directory
     * @param method             the adapter's method ("lora", "full", ...) or "model"
     * @param strategy           the {@link CarryStrategy#name()}
     * @param source             the source directory
     * @param from               base A's id or directory
     * @param fromSha256         SHA-256 of A's weights ("unknown" for a model built in memory)
     * @param to                 base B's id or directory
     * @param toSha256           SHA-256 of B's weights
     * @param scale              s (fine-tuning transfer)
     * @param transferredTensors tensors recomputed as B + s·(A_ft − A) (0 for a patch transfer)
     * @param agreement          the check's result; null when no texts were given
     * @param minAgreement       the threshold applied (NaN without a check)
     * @param warning            a one-line warning (agreement below the minimum), or null
     */
    public record Report(Path output, Kind kind, String method, String strategy, Path source, String from,
                         String fromSha256, String to, String toSha256, double scale, int transferredTensors,
                         Agreement agreement, double minAgreement, String warning) {
        /** True when an agreement was measured and is below the minimum. */
        public boolean belowMinimum() {
            return agreement != null && agreement.value() < minAgreement;
        }
    }

    /** Loads A (given, or as recorded) and {@code to}, and carries the source onto {@code to}. */
    public Report run(String to, Path output) {
        AtomicDirectory.checkTarget(output);
        Source src = inspect();
        String fromId = from != null ? from : bundledId(RecordedBase.of(source).id());
        if (fromId == null) {
            throw new GraftException(source + ": records no base model; give the base it was trained on (--from ID|DIR)");
        }
        try (EncoderModel a = EncoderModel.load(fromId); EncoderModel b = EncoderModel.load(to)) {
            return run(src, a, fromId, b, to, output);
        }
    }

    /**
     * Carries the source from the loaded base {@code from} to the loaded {@code to}, recorded under their
     * {@code info().id()}. A full fine-tune's agreement check loads it into {@code from}'s and the carried copy into
     * {@code to}'s weights: use the models for nothing else afterwards.
     */
    public Report run(EncoderModel from, EncoderModel to, Path output) {
        AtomicDirectory.checkTarget(output);
        return run(inspect(), from, from.info().id(), to, to.info().id(), output);
    }

    private Report run(Source src, EncoderModel a, String fromId, EncoderModel b, String toId, Path output) {
        if (requireAgreement && texts.isEmpty()) {
            throw new GraftException("requiring agreement needs unlabeled texts to measure it on (--texts FILE)");
        }
        BaseCompatibility.check(a, b);
        RecordedBase.check(source, a); // what was not trained on A would be carried wrongly: warn, or refuse under --strict
        CarryStrategy s = strategy != null ? strategy : src.wholeWeights() ? new FineTuningTransfer() : new PatchTransfer();
        if (scale != 1.0 && s instanceof PatchTransfer) {
            throw new GraftException(source + ": --scale applies to fine-tuning transfer (full fine-tunes, model directories);"
                    + " a " + src.method() + " adapter is carried unchanged");
        }
        String fromSha = a.weightsSha256();
        String toSha = b.weightsSha256();
        CarryStrategy.Input in = new CarryStrategy.Input(source, src.kind(), src.method(), a, fromId, b, toId, scale, texts);
        return AtomicDirectory.write(output, tmp -> {
            int transferred = s.write(in, tmp);
            Agreement agreement = texts.isEmpty() ? null : measure(src, a, b, tmp);
            double min = agreement == null ? Double.NaN : minAgreement != null ? minAgreement : agreement.defaultMinimum();
            String warning = null;
            if (agreement != null && agreement.value() < min) {
                warning = String.format(java.util.Locale.ROOT, "%s carried to %s agrees with the source only %.4f (%s; minimum %.4f):"
                        + " it does not carry well; %s", source, toId, agreement.value(),
                        agreement.measure().equals(Agreement.PREDICTIONS) ? "share of identical predictions" : "mean embedding cosine",
                        min, DISTILL_ADVICE);
                if (requireAgreement) {
                    throw new GraftException(warning + "; nothing written");
                }
            }
            Report report = new Report(output.toAbsolutePath().normalize(), src.kind(), src.method(), s.name(), source,
                    fromId, fromSha, toId, toSha, scale, transferred, agreement, min, warning);
            Provenance.write(tmp, provenance(report, s, tmp));
            return report;
        });
    }

    /** A PEFT adapter records the Hugging Face repo ("BAAI/bge-small-en"): the bundled model of that repo, if any. */
    private static String bundledId(String recorded) {
        if (recorded == null) {
            return null;
        }
        return BundledModels.all().stream().filter(m -> m.hfRepo().equalsIgnoreCase(recorded)).map(m -> m.id())
                .findFirst().orElse(recorded);
    }

    /** What the source directory is. */
    private record Source(Kind kind, String method) {
        boolean wholeWeights() {
            return kind == Kind.MODEL || method.equals("full");
        }
    }

    private Source inspect() {
        if (!Files.isDirectory(source)) {
            throw new GraftException(source + ": adapter or model directory does not exist");
        }
        if (Files.isRegularFile(source.resolve(AdapterFiles.CONFIG))) {
            if (!Files.isRegularFile(source.resolve(AdapterFiles.WEIGHTS))) {
                throw new GraftException(source + ": no " + AdapterFiles.WEIGHTS + " (adapter_model.bin is not supported: it is a pickle)");
            }
            ObjectNode c = AdapterFiles.readConfig(source);
            String method = c.hasNonNull("graft_method") ? c.get("graft_method").asText()
                    : c.path("peft_type").asText("").toLowerCase(java.util.Locale.ROOT);
            if (method.isEmpty()) {
                throw new GraftException(source.resolve(AdapterFiles.CONFIG) + ": field 'peft_type' is missing");
            }
            return new Source(Kind.ADAPTER, method);
        }
        if (Files.isRegularFile(source.resolve("config.json")) && (Files.isRegularFile(source.resolve(SafetensorsStore.SINGLE))
                || Files.isRegularFile(source.resolve(SafetensorsStore.INDEX)))) {
            return new Source(Kind.MODEL, "model");
        }
        throw new GraftException(source + ": expected an adapter directory (" + AdapterFiles.CONFIG + ", " + AdapterFiles.WEIGHTS
                + ") or a model directory (config.json, model.safetensors)");
    }

    /**
     * Source on A against carried on B, over the texts. Loads the source first: a full fine-tune's weights replace
     * A's own, after the transfer has read them.
     */
    private Agreement measure(Source src, EncoderModel a, EncoderModel b, Path carried) {
        if (src.kind() == Kind.MODEL) {
            List<String> strings = texts.stream().map(Example::text).toList();
            float[][] x;
            float[][] y;
            try (EncoderModel m = EncoderModel.load(source.toString())) {
                x = new Embedder(m, EmbedOptions.defaults(m).withBatchSize(batchSize)).embed(strings);
            }
            try (EncoderModel m = EncoderModel.load(carried.toString())) {
                y = new Embedder(m, EmbedOptions.defaults(m).withBatchSize(batchSize)).embed(strings);
            }
            return Agreement.ofEmbeddings(x, y);
        }
        float[][] x;
        float[][] y;
        Task task;
        try (TaskModel m = TaskModelFiles.load(a, source, null, RecordedBase.Policy.IGNORE)) {
            task = m.task();
            x = outputs(m);
        }
        try (TaskModel m = TaskModelFiles.load(b, carried, null, RecordedBase.Policy.IGNORE)) {
            y = outputs(m);
        }
        return task == Task.CLASSIFICATION || task == Task.MULTI_LABEL
                ? Agreement.ofPredictions(x, y, task == Task.CLASSIFICATION) : Agreement.ofEmbeddings(x, y);
    }

    /** Class probabilities [n][C] for a classifier, the head's input [n][H] otherwise. */
    private float[][] outputs(TaskModel m) {
        return m.task() == Task.CLASSIFICATION || m.task() == Task.MULTI_LABEL ? m.predict(texts, batchSize) : m.embed(texts, batchSize);
    }

    private ObjectNode provenance(Report r, CarryStrategy s, Path out) {
        Map<String, Path> inputs = new LinkedHashMap<>();
        Path weights = r.kind() == Kind.ADAPTER ? source.resolve(AdapterFiles.WEIGHTS)
                : Files.isRegularFile(source.resolve(SafetensorsStore.SINGLE)) ? source.resolve(SafetensorsStore.SINGLE)
                : source.resolve(SafetensorsStore.INDEX);
        inputs.put("source_weights", weights);
        if (textsFile != null) {
            inputs.put("texts", textsFile);
        }
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("strategy", s.name());
        config.put("reference", s.reference());
        config.put("source", source.toAbsolutePath().normalize().toString());
        config.put("method", r.method());
        config.put("from", Map.of("id", r.from(), "weights_sha256", r.fromSha256()));
        config.put("to", Map.of("id", r.to(), "weights_sha256", r.toSha256()));
        config.put("scale", r.scale());
        config.put("transferred_tensors", r.transferredTensors());
        Map<String, Object> metrics = new LinkedHashMap<>();
        if (r.agreement() != null) {
            metrics.put("agreement", r.agreement());
            metrics.put("min_agreement", r.minAgreement());
        }
        ObjectNode record = Provenance.create(r.kind() == Kind.ADAPTER ? "carried-adapter" : "carried-model", r.to(),
                r.toSha256(), inputs, config, 0, metrics);
        Path old = source.resolve(Provenance.FILE);
        if (Files.isRegularFile(old)) {
            JsonNode n = AdapterFiles.readJson(old);
            record.set("source_provenance", n);
        }
        return record;
    }
}

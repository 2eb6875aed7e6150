package dev.graft.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.io.AtomicDirectory;
import dev.graft.io.AtomicFiles;
import dev.graft.io.Provenance;
import dev.graft.io.onnx.OnnxGraphBuilder;
import dev.graft.io.onnx.OnnxModelWriter;
import dev.graft.model.Architecture;
import dev.graft.model.Architectures;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.model.nn.OnnxExport;
import dev.graft.train.Task;
import dev.graft.train.TaskHead;
import dev.graft.train.TaskModel;
import dev.graft.tune.TaskModelFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a model Graft can run for inference — a plain encoder, or a task model with its PEFT method and head — as an
 * ONNX model directory: {@code model.onnx} (opset {@value OnnxGraphBuilder#OPSET}), {@code tokenizer.json},
 * {@code onnx_export.json} (what the inputs and outputs are), {@code README.md} and {@code graft_provenance.json}
 * (plus {@code graft_task.json} for a task model).
 *
 * <p>Graph inputs: {@code input_ids}, {@code attention_mask}, {@code token_type_ids}, int64 [batch, sequence].
 * Outputs, in this order: {@value #LAST_HIDDEN_STATE} [batch, sequence, H] first (what langchain4j's
 * {@code OnnxEmbeddingModel} and other sentence-transformers consumers read and pool themselves), then
 * {@value #SENTENCE_EMBEDDING} [batch, H] (Graft's pooling and, where Graft normalises, L2 normalisation), and for a
 * task model with a head {@value #LOGITS} [batch, C] and, for classification and multi-label tasks,
 * {@value #PROBABILITIES} [batch, C] (softmax or sigmoid).
 *
 * <p>Methods whose change folds into the weights (LoRA, DoRA, (IA)³, BitFit, full fine-tuning, a head alone) are
 * merged into the graph's copy of the weights — the in-memory model is left exactly as it was (bit for bit, hooks
 * included), so the same base can serve other adapters or keep training after an export; methods with modules of
 * their own (bottleneck and parallel adapters, prefix and prompt tuning, ScaLearn and AdapterFusion) become graph
 * nodes. Any other method is refused with its name.
 */
public final class OnnxExporter {
    public static final String MODEL_FILE = dev.graft.model.engine.OnnxModelDirectory.MODEL_FILE;
    public static final String DESCRIPTION_FILE = dev.graft.model.engine.OnnxModelDirectory.DESCRIPTION_FILE;
    public static final String TOKENIZER_FILE = dev.graft.model.engine.OnnxModelDirectory.TOKENIZER_FILE;
    public static final String LAST_HIDDEN_STATE = "last_hidden_state";
    public static final String SENTENCE_EMBEDDING = "sentence_embedding";
    public static final String LOGITS = "logits";
    public static final String PROBABILITIES = "probabilities";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EncoderModel base;
    private final TaskModel model;
    private Boolean normalize;
    private Map<String, Path> inputs = Map.of();
    private boolean int8;
    private java.util.List<String> calibration;
    private Int8Quantizer.Settings int8Settings = Int8Quantizer.Settings.defaults();
    private Int8Quantizer.Outcome int8Outcome;

    private OnnxExporter(EncoderModel base, TaskModel model) {
        this.base = base;
        this.model = model;
    }

    /** Exports the base encoder alone, with its own pooling and normalisation. */
    public static OnnxExporter of(EncoderModel base) {
        return new OnnxExporter(base, null);
    }

    /** Exports a task model: its encoder with the method's change, its pooling and its head. */
    public static OnnxExporter of(TaskModel model) {
        return new OnnxExporter(model.base(), model);
    }

    /** Overrides whether {@value #SENTENCE_EMBEDDING} is L2-normalised (default: as Graft embeds with this model). */
    public OnnxExporter normalize(boolean n) {
        this.normalize = n;
        return this;
    }

    /**
     * Stores the encoder's dense weights as int8 with per-column scales and quantises activations at run time
     * (dynamic quantisation, see {@link dev.graft.io.onnx.Int8MatMul}); attention products, norms and a task head stay
     * fp32. The export calibrates on {@linkplain #calibration texts}: it smooths activation outliers into the weights
     * (SmoothQuant), keeps the products with the largest measured error in fp32 until the worst cosine to the fp32
     * graph reaches 0.997, and records that cosine ({@link #int8Report}).
     */
    public OnnxExporter int8(boolean on) {
        this.int8 = on;
        return this;
    }

    /** The texts int8 calibrates and checks on (default: {@link Int8Calibration#builtIn}). */
    public OnnxExporter calibration(java.util.List<String> texts) {
        if (texts.isEmpty()) {
            throw new GraftException("the int8 calibration texts are empty");
        }
        this.calibration = java.util.List.copyOf(texts);
        return this;
    }

    /** Overrides how int8 quantises (for measurements; the defaults are what the CLI uses). */
    OnnxExporter int8Settings(Int8Quantizer.Settings s) {
        this.int8Settings = s;
        return this;
    }

    /** After an int8 {@link #write}: the cosine of the int8 graph's sentence embeddings to fp32 on the calibration texts. */
    public CosineStats int8Report() {
        if (int8Outcome == null) {
            throw new IllegalStateException("no int8 export was written");
        }
        return int8Outcome.cosine();
    }

    /** Input files to record with their SHA-256 in the provenance (e.g. the adapter's weights). */
    public OnnxExporter inputs(Map<String, Path> files) {
        this.inputs = Map.copyOf(files);
        return this;
    }

    /**
     * What was written.
     *
     * @param directory the export directory
     * @param outputs   the graph's output names, in order
     * @param merged    whether the method was folded into the weights (false: graph nodes, or no method)
     */
    public record Result(Path directory, java.util.List<String> outputs, boolean merged) {
        public Path modelFile() {
            return directory.resolve(MODEL_FILE);
        }
    }

    /**
     * The fp32 graph and its description, before quantisation (folds a mergeable method into the weights).
     *
     * @param graph       the ONNX graph
     * @param description what onnx_export.json says
     * @param outputs     the graph's output names, in order
     * @param merged      whether the method was folded into the weights
     */
    public record Built(OnnxGraphBuilder graph, ObjectNode description, java.util.List<String> outputs, boolean merged,
                        boolean normalize, Pooling pooling) {
    }

    /**
     * Builds the fp32 graph (what {@link #write} writes without {@link #int8}).
     *
     * @throws GraftException when the method or architecture has no ONNX form, naming it
     */
    public Built build() {
        MergeRestore restore = prepare();
        try {
            return build(restore != null);
        } finally {
            if (restore != null) {
                restore.close(); // the in-memory model is exactly as before: the graph holds its own copies
            }
        }
    }

    private Built build(boolean merged) {
        Pooling pooling = model != null ? model.pooling() : base.defaultPooling();
        boolean norm = normalize != null ? normalize
                : base.defaultNormalize() || model != null && model.task() == Task.RETRIEVAL;
        OnnxGraphBuilder g = new OnnxGraphBuilder();
        OnnxExport export = new OnnxExport(g);
        Architecture arch = Architectures.byName(base.info().architecture());
        Architecture.EncoderGraph enc = arch.exportOnnx(base.encoder(), export);
        int hidden = base.info().hiddenSize();
        ObjectNode description = describe(pooling, norm, merged);
        ArrayNode outs = description.putArray("outputs");
        java.util.List<String> names = new java.util.ArrayList<>();

        names.add(g.output(enc.lastHiddenState(), LAST_HIDDEN_STATE, OnnxGraphBuilder.FLOAT, "batch", "sequence", (long) hidden));
        outs.addObject().put("name", LAST_HIDDEN_STATE).put("shape", "[batch, sequence, " + hidden + "]")
                .put("description", "the encoder's last hidden state for every token (padding rows included); pool it"
                        + " yourself, or read " + SENTENCE_EMBEDDING);
        String pooled = pooling.exportOnnx(g, enc.lastHiddenState(), enc.attentionMask(), enc.pooled());
        String sentence = norm ? Pooling.exportNormalize(g, pooled) : pooled;
        names.add(g.output(sentence, SENTENCE_EMBEDDING, OnnxGraphBuilder.FLOAT, "batch", (long) hidden));
        outs.addObject().put("name", SENTENCE_EMBEDDING).put("shape", "[batch, " + hidden + "]")
                .put("description", pooling.cliName() + " pooling" + (norm ? ", L2-normalised" : ", not normalised")
                        + (model != null && model.head() != null ? " (the head reads the vector before normalisation)" : ""));
        if (model != null && model.head() != null) {
            int c = model.head().outFeatures();
            String logits;
            try (var s = g.scope(TaskHead.NAME)) {
                logits = model.head().exportOnnx(export, TaskHead.NAME, pooled);
            }
            names.add(g.output(logits, LOGITS, OnnxGraphBuilder.FLOAT, "batch", (long) c));
            outs.addObject().put("name", LOGITS).put("shape", "[batch, " + c + "]")
                    .put("description", model.task() == Task.REGRESSION ? "the predicted value" : "the head's scores, one per label");
            String probs = switch (model.task()) {
                case CLASSIFICATION -> g.softmax(logits, -1);
                case MULTI_LABEL -> g.op("Sigmoid", logits);
                default -> null;
            };
            if (probs != null) {
                names.add(g.output(probs, PROBABILITIES, OnnxGraphBuilder.FLOAT, "batch", (long) c));
                outs.addObject().put("name", PROBABILITIES).put("shape", "[batch, " + c + "]")
                        .put("description", model.task() == Task.CLASSIFICATION ? "softmax of the logits"
                                : "sigmoid of each logit (independent labels)");
            }
        }
        return new Built(g, description, java.util.List.copyOf(names), merged, norm, pooling);
    }

    /**
     * Builds the graph and writes the directory atomically.
     *
     * @param directory must not exist, or be empty
     * @throws GraftException when the method or architecture has no ONNX form (naming it), or on a write failure
     */
    public Result write(Path directory) {
        AtomicDirectory.checkTarget(directory);
        Built built = build();
        OnnxGraphBuilder g = int8 ? quantize(built) : built.graph();
        ObjectNode description = built.description();
        java.util.List<String> names = built.outputs();
        boolean merged = built.merged();
        boolean norm = built.normalize();
        Pooling pooling = built.pooling();
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("graft.pooling", pooling.cliName());
        metadata.put("graft.normalize", Boolean.toString(norm));
        metadata.put("graft.base_model", base.info().id());
        metadata.put("graft.quantization", int8 ? "int8" : "none");
        if (model != null) {
            metadata.put("graft.method", model.method().name());
        }
        AtomicDirectory.write(directory, tmp -> {
            OnnxModelWriter.write(tmp.resolve(MODEL_FILE), g, "graft " + Provenance.graftVersion(), metadata);
            AtomicFiles.write(tmp.resolve(TOKENIZER_FILE), Files.readAllBytes(base.tokenizer().file()));
            AtomicFiles.write(tmp.resolve(DESCRIPTION_FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(description));
            AtomicFiles.writeString(tmp.resolve("README.md"), ExportReadme.text(description));
            if (model != null && model.head() != null) {
                TaskModelFiles.writeTask(model, tmp);
            }
            Provenance.write(tmp, Provenance.create("onnx-model", base.info().id(), base.weightsSha256(), inputs,
                    description, 0, Map.of()));
            return null;
        });
        return new Result(directory.toAbsolutePath().normalize(), java.util.List.copyOf(names), merged);
    }

    /** The int8 graph of {@code built}, calibrated on the texts; records what was measured in the description. */
    private OnnxGraphBuilder quantize(Built built) {
        java.util.List<String> texts = calibration != null ? calibration : Int8Calibration.builtIn();
        int maxLength = Math.min(model != null ? model.maxLength() : 256, base.info().maxPositions());
        var tokens = base.tokenizer().encodeAll(texts, maxLength);
        String head = dev.graft.train.TaskHead.NAME + ".";
        int8Outcome = Int8Quantizer.quantize(built.graph(), w -> !w.startsWith(head), tokens, int8Settings);
        ObjectNode q = built.description().putObject("quantization");
        q.put("method", "int8 dynamic: weights 8 bits per output channel, activations uint8 per tensor at run time");
        q.put("smoothquant_alpha", int8Settings.alpha());
        q.put("products", int8Outcome.products());
        ArrayNode kept = q.putArray("fp32_products");
        int8Outcome.fp32Weights().forEach(kept::add);
        ObjectNode c = q.putObject("cosine_to_fp32");
        c.put("texts", calibration != null ? "calibration file" : "built-in sample");
        c.put("count", int8Outcome.cosine().count());
        c.put("min", int8Outcome.cosine().min());
        c.put("mean", int8Outcome.cosine().mean());
        return int8Outcome.graph();
    }

    /**
     * Refuses a method without an ONNX form; folds a mergeable one into the weights.
     *
     * @return what restores the model after the graph is built, or null if nothing was merged
     */
    private MergeRestore prepare() {
        if (model == null) {
            return null;
        }
        var adaptation = model.adaptation();
        if (!adaptation.exportsToOnnx()) {
            throw new GraftException("method '" + model.method().name() + "' cannot be exported to ONNX: it runs its own"
                    + " forward pass, which has no graph form; export methods that fold into the weights or add modules instead");
        }
        if (adaptation.canMerge()) {
            MergeRestore restore = MergeRestore.capture(base.encoder());
            try {
                adaptation.merge();
            } catch (RuntimeException e) {
                restore.close();
                throw e;
            }
            return restore;
        }
        return null;
    }

    private ObjectNode describe(Pooling pooling, boolean norm, boolean merged) {
        ObjectNode d = JSON.createObjectNode();
        d.put("format", "onnx");
        d.put("model", MODEL_FILE);
        d.put("tokenizer", TOKENIZER_FILE);
        d.put("opset", OnnxGraphBuilder.OPSET);
        d.put("ir_version", OnnxModelWriter.IR_VERSION);
        d.put("base_model", base.info().id());
        d.put("architecture", base.info().architecture());
        d.put("hidden_size", base.info().hiddenSize());
        d.put("max_positions", base.info().maxPositions());
        d.put("pooling", pooling.cliName());
        d.put("normalize", norm);
        if (!int8) {
            d.put("quantization", "none");
        }
        if (model == null) {
            // the token limit Graft embeds with, so that a consumer of the directory truncates as Graft does
            d.put("max_length", dev.graft.model.EmbedOptions.defaults(base).maxLength());
        }
        if (model != null) {
            d.put("method", model.method().name());
            d.put("method_form", merged ? "merged into the weights" : "graph nodes");
            d.put("task", model.task().cliName());
            d.put("max_length", model.maxLength());
            ArrayNode labels = d.putArray("labels");
            model.labels().names().forEach(labels::add);
        }
        ArrayNode in = d.putArray("inputs");
        for (String name : new String[] {"input_ids", "attention_mask", "token_type_ids"}) {
            in.addObject().put("name", name).put("type", "int64").put("shape", "[batch, sequence]");
        }
        return d;
    }

    /** Checks that a directory holds a written export (for tools that consume it). */
    public static boolean isExport(Path dir) {
        return dev.graft.model.engine.OnnxModelDirectory.isExport(dir);
    }
}

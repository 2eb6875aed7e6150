package dev.graft.cli;

import dev.graft.GraftException;
import dev.graft.export.CosineStats;
import dev.graft.export.Int8Calibration;
import dev.graft.export.OnnxExporter;
import dev.graft.io.Provenance;
import dev.graft.model.EncoderModel;
import dev.graft.peft.AdapterFiles;
import dev.graft.train.TaskHead;
import dev.graft.train.TaskModel;
import dev.graft.tune.TaskModelFiles;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "export", description = {"Write a model, with its adapter, for other tools: a standard HF model directory"
        + " with the adapter folded into the weights (--format hf --merge), or an ONNX model with its tokenizer,"
        + " pooling and head in the graph (--format onnx)."},
        footer = {"", "Examples:", "  graft export --model all-minilm-l6-v2 --adapter my-adapter --merge --output merged-model",
            "  graft export --adapter my-adapter --format onnx --output my-model-onnx",
            "  graft export --model all-minilm-l6-v2 --format onnx --output minilm-onnx",
            "", "ONNX outputs: last_hidden_state [batch, sequence, hidden] first (langchain4j's OnnxEmbeddingModel reads it),"
                + " sentence_embedding [batch, hidden], and with a classifier head logits and probabilities;"
                + " onnx_export.json in the output directory describes them."})
final class ExportCommand implements Runnable {
    @Option(names = "--model", paramLabel = "ID|DIR",
            description = "The base model (default: the one the adapter records).")
    String model;

    @Option(names = "--adapter", paramLabel = "DIR", description = "Adapter directory written by graft tune (or by PEFT);"
            + " optional with --format onnx.")
    Path adapterDir;

    @Option(names = "--labels", split = ",", description = "Label names for a PEFT adapter without graft_task.json (in class-index order).")
    List<String> labels;

    @Option(names = "--max-length", description = "Token limit recorded with the export (default: the adapter's).")
    Integer maxLength;

    @Option(names = "--format", defaultValue = "hf", paramLabel = "hf|onnx",
            description = "hf: a Hugging Face model directory (needs --merge); onnx: model.onnx + tokenizer.json. Default: ${DEFAULT-VALUE}.")
    String format;

    @Option(names = "--merge", description = "Merge the adapter into the base weights (required with --format hf).")
    boolean merge;

    @Option(names = "--normalize", negatable = true,
            description = "ONNX: L2-normalise sentence_embedding (default: as graft embeds with this model).")
    Boolean normalize;

    @Option(names = "--quantize", paramLabel = "int8", description = "ONNX: int8 dynamic quantisation of the encoder's"
            + " dense weights (per output channel), calibrated on texts; prints and records (onnx_export.json) the cosine"
            + " of the int8 sentence embeddings to fp32.")
    String quantize;

    @Option(names = "--calibration", paramLabel = "FILE", description = "With --quantize int8: texts to calibrate and"
            + " check on, one per line (default: a built-in sample of varied texts).")
    Path calibration;

    @Option(names = "--output", required = true, paramLabel = "DIR")
    Path output;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        String f = format.trim().toLowerCase(Locale.ROOT);
        switch (f) {
            case "hf" -> {
                if (quantize != null) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--quantize needs --format onnx");
                }
                if (!merge) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--format hf writes the merged weights: add --merge");
                }
                if (adapterDir == null) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--format hf needs --adapter DIR"
                            + " (graft convert writes a plain model)");
                }
                exportHf();
            }
            case "onnx" -> {
                if (quantize != null && !quantize.equalsIgnoreCase("int8")) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--quantize must be int8, got '" + quantize + "'");
                }
                if (calibration != null && quantize == null) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--calibration needs --quantize int8");
                }
                exportOnnx();
            }
            default -> throw new CommandLine.ParameterException(spec.commandLine(), "--format must be hf or onnx, got '" + format + "'");
        }
    }

    private AdapterOptions adapterOptions() {
        AdapterOptions a = new AdapterOptions();
        a.model = model;
        a.adapter = adapterDir;
        a.labels = labels;
        a.maxLength = maxLength;
        return a;
    }

    private void exportHf() {
        AdapterOptions adapter = adapterOptions();
        try (EncoderModel base = EncoderModel.load(adapter.baseModel());
             TaskModel model = adapter.load(base)) {
            if (!model.adaptation().canMerge()) {
                throw new GraftException(model.method().name() + " adds modules the base architecture does not have, so it"
                        + " cannot be folded into the weights; only lora, ia3, bitfit, head and full can be exported with --merge"
                        + " (--format onnx exports the others as graph nodes)");
            }
            model.adaptation().merge();
            // a classifier keeps its head: its tensors beside the encoder's, and graft_task.json (labels, pooling), so
            // that graft merge can give each task its own head on the merged backbone
            Map<String, ai.djl.nn.Parameter> head = model.head() == null ? Map.of()
                    : model.head().namedParameters(TaskHead.NAME);
            base.saveAsHuggingFace(output, head);
            if (model.head() != null) {
                TaskModelFiles.writeTask(model, output);
            }
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("adapter", adapter.adapter.toString());
            config.put("method", model.method().name());
            config.put("method_config", model.methodConfig());
            Provenance.write(output, Provenance.create("merged-model", base.info().id(), base.weightsSha256(),
                    Map.of("adapter_weights", adapter.adapter.resolve(AdapterFiles.WEIGHTS)), config, 0, Map.of()));
            PrintWriter out = spec.commandLine().getOut();
            out.println("merged " + model.method().name() + " adapter " + adapter.adapter + " into " + base.info().id()
                    + " and wrote the HF model directory " + output);
        }
    }

    private void exportOnnx() {
        if (adapterDir == null && model == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give --model ID|DIR, --adapter DIR, or both");
        }
        AdapterOptions adapter = adapterOptions();
        PrintWriter out = spec.commandLine().getOut();
        try (EncoderModel base = EncoderModel.load(adapterDir == null ? model : adapter.baseModel())) {
            if (adapterDir == null) {
                OnnxExporter e = OnnxExporter.of(base).int8(quantize != null);
                if (normalize != null) {
                    e.normalize(normalize);
                }
                calibrate(e);
                OnnxExporter.Result r = e.write(output);
                out.println("wrote " + base.info().id() + " as ONNX to " + r.modelFile() + " (outputs " + String.join(", ", r.outputs()) + ")");
                report(e, out);
                return;
            }
            try (TaskModel task = adapter.load(base)) {
                OnnxExporter e = OnnxExporter.of(task).inputs(Map.of("adapter_weights", adapterDir.resolve(AdapterFiles.WEIGHTS)))
                        .int8(quantize != null);
                if (normalize != null) {
                    e.normalize(normalize);
                }
                calibrate(e);
                OnnxExporter.Result r = e.write(output);
                out.println("wrote " + base.info().id() + " with the " + task.method().name() + " adapter " + adapterDir
                        + (r.merged() ? " (merged into the weights)" : " (as graph nodes)") + " as ONNX to " + r.modelFile()
                        + " (outputs " + String.join(", ", r.outputs()) + ")");
                report(e, out);
            }
        }
    }

    private void calibrate(OnnxExporter e) {
        if (calibration != null) {
            e.calibration(Int8Calibration.read(calibration));
        }
    }

    /** After an int8 export: how close its sentence embeddings stay to fp32's. */
    private void report(OnnxExporter e, PrintWriter out) {
        if (quantize != null) {
            CosineStats c = e.int8Report();
            out.printf("int8 cosine to fp32 on %d %s texts: min %.5f, mean %.5f (recorded in %s)%n", c.count(),
                    calibration != null ? "calibration" : "built-in", c.min(), c.mean(), OnnxExporter.DESCRIPTION_FILE);
        }
    }
}

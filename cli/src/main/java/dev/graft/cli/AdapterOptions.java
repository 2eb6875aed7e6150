package dev.graft.cli;

import dev.graft.GraftException;
import dev.graft.model.EncoderModel;
import dev.graft.peft.AdapterFiles;
import dev.graft.train.TaskModel;
import dev.graft.tune.TaskModelFiles;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The base model and adapter an eval/predict/export command works on. */
final class AdapterOptions {
    @Option(names = "--model", paramLabel = "ID|DIR",
            description = "The base model the adapter was trained on (default: the one the adapter records).")
    String model;

    @Option(names = "--adapter", required = true, paramLabel = "DIR", description = "Adapter directory written by graft tune (or by PEFT).")
    Path adapter;

    @Option(names = "--labels", split = ",", description = "Label names for a PEFT adapter without graft_task.json (in class-index order).")
    java.util.List<String> labels;

    @Option(names = "--max-length", description = "Token limit per example (default: the one the adapter was trained with).")
    Integer maxLength;

    /** Loads the adapter onto {@code base}, at --max-length if given. */
    TaskModel load(EncoderModel base) {
        refuseOnnxExport();
        TaskModel model = TaskModelFiles.load(base, adapter, labels);
        if (maxLength != null) {
            try {
                model.maxLength(maxLength);
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
        }
        return model;
    }

    /** --model, else the base model the adapter records (a merged model's head names its backbone). */
    String baseModel() {
        refuseOnnxExport();
        if (model != null) {
            return model;
        }
        String recorded = AdapterFiles.baseModelOf(adapter);
        if (recorded == null) {
            throw new GraftException(adapter + ": records no base model; give it with --model ID|DIR");
        }
        return recorded;
    }

    /** An ONNX export is not an adapter: say what to pass instead of failing on its missing adapter_config.json. */
    private void refuseOnnxExport() {
        if (dev.graft.model.engine.OnnxModelDirectory.isExport(adapter)
                && !java.nio.file.Files.isRegularFile(adapter.resolve(dev.graft.peft.AdapterFiles.CONFIG))) {
            throw new GraftException(adapter + ": an ONNX export, not an adapter; pass the adapter directory it was exported"
                    + " from (predict runs an adapter on ONNX Runtime itself: --engine onnxruntime)");
        }
    }
}

package dev.graft.cli;

import dev.graft.GraftException;
import dev.graft.io.Provenance;
import dev.graft.model.EncoderModel;
import dev.graft.peft.AdapterFiles;
import dev.graft.train.TaskHead;
import dev.graft.train.TaskModel;
import dev.graft.tune.TaskModelFiles;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "export", description = "Fold an adapter (LoRA, (IA)³, full fine-tuning) into the base weights and write a standard HF model directory.",
        footer = {"", "Examples:", "  graft export --model all-minilm-l6-v2 --adapter my-adapter --merge --output merged-model"})
final class ExportCommand implements Runnable {
    @Mixin
    AdapterOptions adapter = new AdapterOptions();

    @Option(names = "--merge", required = true, description = "Merge the adapter into the base weights.")
    boolean merge;

    @Option(names = "--output", required = true, paramLabel = "DIR")
    Path output;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        try (EncoderModel base = EncoderModel.load(adapter.baseModel());
             TaskModel model = adapter.load(base)) {
            if (!model.adaptation().canMerge()) {
                throw new GraftException(model.method().name() + " adds modules the base architecture does not have, so it"
                        + " cannot be folded into the weights; only lora, ia3 and full can be exported with --merge");
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
}

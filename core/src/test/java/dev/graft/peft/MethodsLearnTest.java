package dev.graft.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.model.EmbedOptions;
import dev.graft.model.Embedder;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.testing.TinyBert;
import dev.graft.train.Example;
import dev.graft.train.LabelSpace;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.train.ToyTasks;
import dev.graft.train.Trainer;
import dev.graft.train.TrainingConfig;
import dev.graft.train.TrainingResult;
import dev.graft.tune.TaskModelFiles;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every registered method, through the real trainer and adapter files: fits a separable task, saves and loads to
 * identical outputs, and (where it can) merges into the base weights with the same outputs.
 */
class MethodsLearnTest {
    @TempDir
    Path dir;

    static ObjectNode options(String json) throws Exception {
        return json == null || json.isEmpty() ? JsonNodeFactory.instance.objectNode()
                : (ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.replace('\'', '"'));
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
        "lora|{'r': 4, 'target_modules': ['query', 'value', 'output.dense']}|0.005|60",
        "lora|{'r': 4, 'use_dora': true, 'target_modules': ['query', 'value', 'output.dense']}|0.005|60",
        "lora|{'r': 4, 'use_rslora': true, 'target_modules': ['query', 'value', 'output.dense']}|0.005|60",
        "bitfit||0.05|60",
        "ia3||0.05|60",
        "adapter|{'config': 'houlsby', 'reduction_factor': 4}|0.01|100",
        "parallel-adapter|{'bottleneck_size': 16}|0.01|40",
        "prompt|{'num_virtual_tokens': 16}|0.3|120",
        "prefix|{'num_virtual_tokens': 8}|0.01|60",
        "prefix|{'num_virtual_tokens': 8, 'prefix_projection': false}|0.05|60",
        "lst|{'reduction_factor': 4, 'cache_activations': true}|0.01|60",
        "lst|{'reduction_factor': 4, 'init': 'random', 'cache_activations': false}|0.01|60",
        "full||0.01|25"})
    void fitsSavesLoadsAndMerges(String method, String json, double lr, int epochs) throws Exception {
        List<Example> train = ToyTasks.sentiment(48, 1);
        float[][] predictions;
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 11, 0.2)) {
            PeftMethod m = PeftMethods.byName(method);
            ObjectNode cfg = m.resolveConfig(base.encoder(), options(json));
            LabelSpace labels = LabelSpace.fromTraining(Task.CLASSIFICATION, train);
            Path adapter = dir.resolve("adapter");
            try (TaskModel model = new TaskModel(base, m, cfg, labels, Pooling.MEAN, 3)) {
                TrainingConfig tc = TrainingConfig.defaults().withEpochs(epochs).withBatchSize(8).withLearningRate(lr)
                        .withMaxLength(16).withWarmupRatio(0);
                TrainingResult r = new Trainer(model, tc, null, null).train(train, train, false);
                assertEquals(1.0, r.finalMetrics().get("accuracy"), 1e-9, method + " fits the task: " + r.finalMetrics());
                predictions = model.predict(train, 16, 16);
                TaskModelFiles.save(model, adapter);
                if (model.adaptation().canMerge() && !method.equals("full")) {
                    model.adaptation().merge();
                    float[][] merged = model.predict(train, 16, 16);
                    for (int i = 0; i < merged.length; i++) {
                        assertArrayEquals(predictions[i], merged[i], 1e-5f, method + " merged equals hooked");
                    }
                }
            }
            if (!method.equals("full") && !(method.equals("lora") || method.equals("ia3"))) {
                // base weights untouched by a non-merging method: loading the adapter onto the same base reproduces it
                try (TaskModel loaded = TaskModelFiles.load(base, adapter, null)) {
                    float[][] again = loaded.predict(train, 16, 16);
                    for (int i = 0; i < again.length; i++) {
                        assertArrayEquals(predictions[i], again[i], 1e-6f, method + " save -> load");
                    }
                }
            }
        }
        if (method.equals("lora")) {
            // LoRA was merged into that base above: load a fresh base and the saved adapter instead
            try (EncoderModel fresh = TinyBert.create(dir.resolve("fresh"), 11, 0.2);
                 TaskModel loaded = TaskModelFiles.load(fresh, dir.resolve("adapter"), null)) {
                float[][] again = loaded.predict(train, 16, 16);
                for (int i = 0; i < again.length; i++) {
                    assertArrayEquals(predictions[i], again[i], 1e-5f, "LoRA save -> load on a fresh copy of the base");
                }
            }
        }
    }
}

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
import dev.graft.peft.fusion.Composition;
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
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

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

    /**
     * Options, learning rate, epochs (and accuracy to reach, 1 unless given) that fit the toy task on the tiny model, by
     * method; several rows test a method's variants. A registered method without rows here is tested with its defaults (no options, its default
     * learning rate, 60 epochs), so registering it is enough to have it tested.
     */
    private static final Map<String, List<String>> SETTINGS = Map.ofEntries(
            Map.entry("lora", List.of(
                    "{'r': 4, 'target_modules': ['query', 'value', 'output.dense']}|0.005|60",
                    "{'r': 4, 'use_dora': true, 'target_modules': ['query', 'value', 'output.dense']}|0.005|60",
                    "{'r': 4, 'use_rslora': true, 'target_modules': ['query', 'value', 'output.dense']}|0.005|60")),
            Map.entry("bitfit", List.of("|0.05|60")),
            Map.entry("ia3", List.of("|0.05|60")),
            Map.entry("adapter", List.of("{'config': 'houlsby', 'reduction_factor': 4}|0.01|100")),
            Map.entry("parallel-adapter", List.of("{'bottleneck_size': 16}|0.01|40")),
            Map.entry("prompt", List.of("{'num_virtual_tokens': 16}|0.3|120")),
            Map.entry("prefix", List.of("{'num_virtual_tokens': 8}|0.01|60",
                    "{'num_virtual_tokens': 8, 'prefix_projection': false}|0.05|60")),
            Map.entry("lst", List.of("{'reduction_factor': 4, 'cache_activations': true}|0.01|60",
                    "{'reduction_factor': 4, 'init': 'random', 'cache_activations': false}|0.01|60")),
            // a linear probe of a random tiny encoder's features cannot separate the task fully; it must still learn
            Map.entry("head", List.of("|0.05|60|0.75")),
            Map.entry("full", List.of("|0.01|25")));

    /** Every registered method but the compositions, which need trained sources (see fusion.CompositionTest). */
    static Stream<Arguments> methods() {
        return PeftMethods.all().stream().filter(m -> !(m instanceof Composition)).flatMap(m ->
                SETTINGS.getOrDefault(m.name(), List.of("|" + m.defaultLearningRate() + "|60")).stream().map(row -> {
                    String[] f = row.split("\\|", -1);
                    double accuracy = f.length > 3 ? Double.parseDouble(f[3]) : 1.0;
                    return Arguments.of(m.name(), f[0], Double.parseDouble(f[1]), Integer.parseInt(f[2]), accuracy);
                }));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("methods")
    void fitsSavesLoadsAndMerges(String method, String json, double lr, int epochs, double accuracy) throws Exception {
        List<Example> train = ToyTasks.sentiment(48, 1);
        float[][] predictions;
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 11, 0.2)) {
            PeftMethod m = PeftMethods.byName(method);
            ObjectNode cfg = m.resolveConfig(base.encoder(), options(json));
            LabelSpace labels = LabelSpace.fromTraining(Task.CLASSIFICATION, train);
            Path adapter = dir.resolve("adapter");
            try (TaskModel model = new TaskModel(base, m, cfg, labels, Pooling.MEAN, 3)) {
                TrainingConfig tc = TrainingConfig.builder().epochs(epochs).batchSize(8).learningRate(lr)
                        .maxLength(16).warmupRatio(0).build();
                TrainingResult r = new Trainer(model, tc, null, null).train(train, train, false);
                if (accuracy == 1.0) {
                    assertEquals(1.0, r.finalMetrics().get("accuracy"), 1e-9, method + " fits the task: " + r.finalMetrics());
                } else {
                    assertTrue(r.finalMetrics().get("accuracy") >= accuracy, method + " learns the task: " + r.finalMetrics());
                }
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

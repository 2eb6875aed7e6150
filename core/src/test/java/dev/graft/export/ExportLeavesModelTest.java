package dev.graft.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.nn.Parameter;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import dev.graft.testing.TinyBert;
import dev.graft.text.TokenizedText;
import dev.graft.train.LabelSpace;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.tune.TaskModelFiles;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Exporting a method that folds into the weights must leave the in-memory model exactly as it was: the base's tensors
 * bit for bit, and the task model's PyTorch outputs, so that the same base can serve another adapter or keep training.
 */
class ExportLeavesModelTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"lora", "ia3", "bitfit", "full"})
    void exportLeavesTheBaseAndThePytorchOutputsBitIdentical(String method) throws Exception {
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 11, 0.2);
             TaskModel model = taskModel(base, method, 5)) {
            List<TokenizedText> tokens = model.tokenize(ExportParity.examples(), 32);
            Map<String, int[]> before = bits(base.encoder().namedParameters());
            Map<String, float[]> outputs = ExportParity.graft(model, tokens, false);

            Path file = new OnnxExportCache(dir.resolve("cache")).export(model);

            Map<String, int[]> after = bits(base.encoder().namedParameters());
            assertEquals(before.keySet(), after.keySet());
            before.forEach((name, v) -> assertArrayEquals(v, after.get(name), method + ": " + name + " changed"));
            Map<String, float[]> again = ExportParity.graft(model, tokens, false);
            outputs.forEach((name, v) -> assertArrayEquals(v, again.get(name), method + ": PyTorch " + name + " changed"));
            // and the graph still computes the adapted model (the merge reached the graph)
            ExportParity.assertClose(outputs, ExportParity.onnx(file, tokens), tokens, OnnxExporterTest.TOL, method);
            // a second export of the same model is the same graph (merging again after the restore folds it once)
            Path second = OnnxExporter.of(model).write(dir.resolve("again")).modelFile();
            ExportParity.assertClose(outputs, ExportParity.onnx(second, tokens), tokens, OnnxExporterTest.TOL, method + " again");
        }
    }

    /** The server's case: adapters exported one after the other on one base each compute their own model. */
    @Test
    void twoLoraAdaptersExportedInTurnOnOneBaseEachMatchTheirOwnOutputs() throws Exception {
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 11, 0.2)) {
            Map<String, Map<String, float[]>> expected = new LinkedHashMap<>();
            List<TokenizedText> tokens = null;
            for (int seed : new int[] {1, 2}) {
                try (TaskModel model = taskModel(base, "lora", seed)) {
                    TaskModelFiles.save(model, dir.resolve("lora" + seed));
                    tokens = model.tokenize(ExportParity.examples(), 32);
                    expected.put("lora" + seed, ExportParity.graft(model, tokens, false));
                }
            }
            OnnxExportCache cache = new OnnxExportCache(dir.resolve("cache"));
            for (String name : expected.keySet()) {
                try (TaskModel model = TaskModelFiles.load(base, dir.resolve(name))) {
                    Path file = cache.export(model);
                    ExportParity.assertClose(expected.get(name), ExportParity.onnx(file, tokens), tokens,
                            OnnxExporterTest.TOL, name + " graph");
                    Map<String, float[]> pytorch = ExportParity.graft(model, tokens, false);
                    expected.get(name).forEach((out, v) -> assertArrayEquals(v, pytorch.get(out), name + " PyTorch " + out));
                }
            }
        }
    }

    private static TaskModel taskModel(EncoderModel base, String method, long seed) throws Exception {
        PeftMethod m = PeftMethods.byName(method);
        String options = method.equals("lora") ? "{'r': 4, 'target_modules': ['query', 'value', 'output.dense']}" : "";
        TaskModel model = new TaskModel(base, m, m.resolveConfig(base.encoder(), OnnxExporterTest.options(options)),
                new LabelSpace(Task.CLASSIFICATION, List.of("a", "b", "c")), Pooling.MEAN, seed);
        ExportParity.perturb(model, 0.1, seed);
        return model;
    }

    private static Map<String, int[]> bits(Map<String, Parameter> params) {
        Map<String, int[]> out = new LinkedHashMap<>();
        params.forEach((name, p) -> {
            float[] v = p.getArray().toFloatArray();
            int[] b = new int[v.length];
            for (int i = 0; i < v.length; i++) {
                b[i] = Float.floatToRawIntBits(v[i]);
            }
            out.put(name, b);
        });
        return out;
    }
}

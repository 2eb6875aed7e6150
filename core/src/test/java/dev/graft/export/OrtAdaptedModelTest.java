package dev.graft.export;

import static dev.graft.testing.Differences.maxAbs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.model.EmbedOptions;
import dev.graft.model.Embedder;
import dev.graft.model.EncoderModel;
import dev.graft.model.InferenceEngine;
import dev.graft.model.Pooling;
import dev.graft.model.engine.EngineChoice;
import dev.graft.model.engine.InferenceEngines;
import dev.graft.model.engine.OrtEngine;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import dev.graft.runtime.Progress;
import dev.graft.testing.TinyBert;
import dev.graft.train.Example;
import dev.graft.train.LabelSpace;
import dev.graft.train.Predictions;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.train.ToyTasks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Adapted models and model directories on ONNX Runtime through exports made on demand ({@link OnnxExportCache}):
 * predictions equal PyTorch's within 1e-4 (the whole model, head included, runs on ONNX Runtime), the export is
 * reused while the weights stay the same and redone when they change, and a method without an ONNX form (LST) is
 * refused in one line under {@code onnxruntime} and runs on PyTorch under {@code auto}.
 */
class OrtAdaptedModelTest {
    private static final double TOL = 1e-4;
    private static final LabelSpace LABELS = new LabelSpace(Task.CLASSIFICATION, List.of("negative", "positive"));

    @TempDir
    Path dir;

    static List<Example> examples() {
        List<Example> e = new ArrayList<>(ExportParity.examples());
        e.addAll(ToyTasks.sentiment(12, 3));
        return e;
    }

    private static TaskModel adapted(EncoderModel base, String method, String options, long seed) throws Exception {
        PeftMethod m = PeftMethods.byName(method);
        ObjectNode cfg = m.resolveConfig(base.encoder(), OnnxExporterTest.options(options));
        TaskModel model = new TaskModel(base, m, cfg, LABELS, base.defaultPooling(), seed);
        ExportParity.perturb(model, 0.1, seed + 1); // a fresh method is (nearly) the identity: make it matter
        model.maxLength(32);
        return model;
    }

    /** PyTorch's probabilities first (exporting may fold a method into the base weights), then ONNX Runtime's. */
    private static double parity(TaskModel model, String what) {
        List<Example> examples = examples();
        float[][] pytorch = Predictions.of(model).batchSize(4).engine(EngineChoice.PYTORCH).run(examples).stream()
                .map(p -> toFloats(p.probabilities())).toArray(float[][]::new);
        float[][] ort = Predictions.of(model).batchSize(4).engine(EngineChoice.ONNXRUNTIME).run(examples).stream()
                .map(p -> toFloats(p.probabilities())).toArray(float[][]::new);
        double d = maxAbs(pytorch, ort);
        System.out.printf("predict parity onnxruntime vs pytorch, %s: max abs %.2e%n", what, d);
        assertTrue(d <= TOL, what + ": probabilities differ by " + d);
        return d;
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
        "lora|{'r': 4, 'target_modules': ['query', 'value', 'output.dense']}",
        "adapter|{'bottleneck_size': 8}",
        "prompt|{'num_virtual_tokens': 3}"})
    void adaptedTinyModelsPredictOnOnnxRuntimeAsOnPytorch(String method, String options) throws Exception {
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 21, 0.2);
             TaskModel model = adapted(base, method, options, 5)) {
            parity(model, "tiny " + method);
        }
    }

    @Test
    void loraOnAllMiniLmPredictsOnOnnxRuntimeAsOnPytorch() throws Exception {
        try (EncoderModel base = EncoderModel.load("all-minilm-l6-v2");
             TaskModel model = adapted(base, "lora", "{'r': 8}", 7)) {
            parity(model, "all-minilm-l6-v2 lora");
        }
    }

    @Test
    void theExportIsReusedUntilTheAdapterWeightsChange() throws Exception {
        OnnxExportCache cache = new OnnxExportCache(dir.resolve("cache"));
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 22, 0.2);
             TaskModel model = adapted(base, "adapter", "{'bottleneck_size': 8}", 9)) {
            Path file = cache.export(model);
            FileTime written = Files.getLastModifiedTime(file);
            Object identity = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
            int exports = OnnxExportCache.exportsWritten();
            assertEquals(file, cache.export(model), "same weights, same export");
            assertEquals(exports, OnnxExportCache.exportsWritten(), "the second run does not export again");
            assertEquals(written, Files.getLastModifiedTime(file));
            assertEquals(identity, Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey());

            ExportParity.perturb(model, 0.05, 99); // the adapter's weights change: a new key, a new export
            Path again = cache.export(model);
            assertNotEquals(file.getParent(), again.getParent());
            assertEquals(exports + 1, OnnxExportCache.exportsWritten());
            try (InferenceEngine e = InferenceEngines.openOnnx(dev.graft.model.engine.OnnxGraphSource.read(again), false)) {
                float[][] ort = model.predict(examples(), 32, dev.graft.text.TokenBudgetBatcher.withBatchSize(4), e);
                float[][] pytorch = model.predict(examples(), 32, 4);
                assertTrue(maxAbs(pytorch, ort) <= TOL, "the new export computes the changed adapter: " + maxAbs(pytorch, ort));
            }
        }
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 22, 0.2);
             TaskModel model = adapted(base, "adapter", "{'bottleneck_size': 8}", 9)) {
            int exports = OnnxExportCache.exportsWritten();
            cache.export(model);
            assertEquals(exports, OnnxExportCache.exportsWritten(), "a freshly loaded copy of the same adapter hits the cache");
        }
    }

    @Test
    void lstIsRefusedInOneLineOnOnnxRuntimeAndRunsOnPytorchUnderAuto() throws Exception {
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 23, 0.2);
             TaskModel model = adapted(base, "lst", "{'reduction_factor': 4}", 11)) {
            GraftException e = assertThrows(GraftException.class,
                    () -> Predictions.of(model).engine(EngineChoice.ONNXRUNTIME).run(examples()));
            assertEquals("--engine onnxruntime: the lst method has no ONNX form (it runs its own forward pass);"
                    + " use --engine pytorch or auto", e.getMessage());
            float[][] auto = Predictions.of(model).engine(EngineChoice.AUTO).run(examples()).stream()
                    .map(p -> toFloats(p.probabilities())).toArray(float[][]::new);
            assertEquals(examples().size(), auto.length);
        }
    }

    /** A model directory without a graph of its own: exported once, every layer's state found in the export. */
    @Test
    void aModelWithoutItsOwnGraphIsExportedOnceWithEveryLayer() {
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 24, 0.2)) {
            List<String> texts = examples().stream().map(Example::text).toList();
            EmbedOptions o = EmbedOptions.defaults(base).withBatchSize(4).withMaxLength(32);
            int before;
            try (InferenceEngine ort = InferenceEngines.open(base, EngineChoice.AUTO, Pooling.MEAN, true)) {
                before = OnnxExportCache.exportsWritten();
                assertInstanceOf(OrtEngine.class, ort);
                assertTrue(ort.supportsAllLayers(), "the exporter's LayerNorm biases carry Hugging Face names");
                assertTrue(maxAbs(new Embedder(base, o).embed(texts), new Embedder(base, o, ort).embed(texts)) <= TOL);
                List<float[][]> expected = new Embedder(base, o).embedAllLayers(texts, Progress.NONE);
                List<float[][]> got = new Embedder(base, o, ort).embedAllLayers(texts, Progress.NONE);
                assertEquals(base.info().layers() + 1, got.size());
                for (int l = 0; l < got.size(); l++) {
                    assertTrue(maxAbs(expected.get(l), got.get(l)) <= TOL, "layer " + l);
                }
            }
            try (InferenceEngine pooler = InferenceEngines.open(base, EngineChoice.ONNXRUNTIME, Pooling.POOLER, false)) {
                assertEquals(before, OnnxExportCache.exportsWritten(), "the second open reuses the export");
                EmbedOptions p = o.withPooling(Pooling.POOLER);
                double d = maxAbs(new Embedder(base, p).embed(texts), new Embedder(base, p, pooler).embed(texts));
                assertTrue(d <= TOL, "the pooler, an intermediate value of the export: " + d);
            }
            assertFalse(OnnxExporter.isExport(dir.resolve("m")), "nothing is written beside the model");
        }
    }

    /** The probabilities in label order. */
    static float[] toFloats(java.util.Map<String, Float> probabilities) {
        float[] f = new float[LABELS.names().size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = probabilities.get(LABELS.names().get(i));
        }
        return f;
    }
}

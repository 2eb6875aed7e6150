package dev.graft.model.engine;

import static dev.graft.testing.Differences.maxAbs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.GraftException;
import dev.graft.model.EmbedOptions;
import dev.graft.model.Embedder;
import dev.graft.model.EncoderModel;
import dev.graft.model.InferenceEngine;
import dev.graft.model.Pooling;
import dev.graft.model.PytorchEngine;
import dev.graft.runtime.Progress;
import dev.graft.testing.TinyBert;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ONNX Runtime engine against the PyTorch engine on the bundled models (same weights, two engines): embeddings
 * and every layer's pooled features agree within 1e-4 (max abs); and how {@code --engine} chooses and refuses.
 */
class OrtEngineTest {
    private static final double TOL = 1e-4;

    /** Short, long and multilingual texts in batches of uneven length; the last is truncated. */
    static List<String> texts() {
        List<String> t = new ArrayList<>(List.of("", "word", "Hello, world!", "The quick brown fox jumps over the lazy dog.",
                "Café crème brûlée à la française", "こんにちは世界", "I love pizza 🍕", "SELECT * FROM users WHERE id = 42;",
                "What is the capital of France?", "Paris is the capital and most populous city of France.",
                "don't won't can't shouldn't", "Machine learning on the JVM is practical.", "12345 67890 3.14159"));
        t.add("The history of the JVM spans decades. ".repeat(12));
        t.add("long ".repeat(400) + "end");
        return t;
    }

    @ParameterizedTest
    @ValueSource(strings = {"all-minilm-l6-v2", "bge-small-en-v1.5"})
    void embeddingsAndLayerFeaturesMatchPytorch(String id) {
        List<String> texts = texts();
        try (EncoderModel model = EncoderModel.load(id);
             InferenceEngine ort = InferenceEngines.open(model, EngineChoice.ONNXRUNTIME, model.defaultPooling(), true)) {
            assertInstanceOf(OrtEngine.class, ort);
            assertTrue(ort.supportsAllLayers(), id + ": every layer's state is found in the bundled graph");
            EmbedOptions o = EmbedOptions.defaults(model).withBatchSize(4).withMaxLength(256);
            float[][] expected = new Embedder(model, o).embed(texts);
            float[][] got = new Embedder(model, o, ort).embed(texts);
            assertTrue(maxAbs(expected, got) <= TOL, id + ": embeddings differ from PyTorch's by " + maxAbs(expected, got));

            List<float[][]> expectedLayers = new Embedder(model, o).embedAllLayers(texts, Progress.NONE);
            List<float[][]> gotLayers = new Embedder(model, o, ort).embedAllLayers(texts, Progress.NONE);
            assertEquals(model.info().layers() + 1, gotLayers.size());
            for (int l = 0; l < gotLayers.size(); l++) {
                double d = maxAbs(expectedLayers.get(l), gotLayers.get(l));
                assertTrue(d <= TOL, id + ": layer " + l + " features differ from PyTorch's by " + d);
            }
        }
    }

    @Test
    void poolerOutputAndUnnormalisedMeanMatchPytorch() {
        List<String> texts = texts().subList(0, 8);
        try (EncoderModel model = EncoderModel.load("all-minilm-l6-v2");
             InferenceEngine ort = InferenceEngines.open(model, EngineChoice.AUTO, Pooling.POOLER, false)) {
            assertInstanceOf(OrtEngine.class, ort, "the all-minilm graph has a pooler output");
            for (EmbedOptions o : List.of(EmbedOptions.defaults(model).withPooling(Pooling.POOLER),
                    EmbedOptions.defaults(model).withNormalize(false), EmbedOptions.defaults(model).withPooling(Pooling.CLS))) {
                double d = maxAbs(new Embedder(model, o).embed(texts), new Embedder(model, o, ort).embed(texts));
                assertTrue(d <= TOL, o + ": differs from PyTorch by " + d);
            }
        }
    }

    @Test
    void engineChoiceAndItsMessages(@TempDir Path dir) {
        try (EncoderModel tiny = TinyBert.create(dir, 1)) {
            assertInstanceOf(PytorchEngine.class, InferenceEngines.open(tiny, (OnnxGraphSource) null, EngineChoice.AUTO,
                    Pooling.MEAN, false), "auto falls back to PyTorch without a graph");
            GraftException e = assertThrows(GraftException.class,
                    () -> InferenceEngines.open(tiny, (OnnxGraphSource) null, EngineChoice.ONNXRUNTIME, Pooling.MEAN, false));
            assertEquals("--engine onnxruntime: tiny-bert has no ONNX graph (the bundled models have one; for a model"
                    + " directory export one with graft export --format onnx); use --engine pytorch or auto", e.getMessage());
        }
        try (EncoderModel bge = EncoderModel.load("bge-small-en-v1.5")) {
            assertInstanceOf(PytorchEngine.class, InferenceEngines.open(bge, EngineChoice.PYTORCH, Pooling.CLS, false));
            assertInstanceOf(PytorchEngine.class, InferenceEngines.open(bge, EngineChoice.AUTO, Pooling.POOLER, false),
                    "its graph has no pooler output");
            GraftException e = assertThrows(GraftException.class,
                    () -> InferenceEngines.open(bge, EngineChoice.ONNXRUNTIME, Pooling.POOLER, false));
            assertTrue(e.getMessage().startsWith("--engine onnxruntime: pooling 'pooler' needs a pooler output"), e.getMessage());
            try (InferenceEngine auto = InferenceEngines.open(bge, EngineChoice.AUTO, Pooling.CLS, false)) {
                assertEquals("onnxruntime", auto.name());
                assertTrue(!auto.supportsAllLayers(), "layer outputs are added only when asked for");
                assertThrows(GraftException.class, () -> new Embedder(bge, EmbedOptions.defaults(bge), auto)
                        .embedAllLayers(List.of("x"), Progress.NONE));
            }
        }
        assertEquals(EngineChoice.ONNXRUNTIME, EngineChoice.parse(" OnnxRuntime"));
        GraftException e = assertThrows(GraftException.class, () -> EngineChoice.parse("tensorrt"));
        assertEquals("unknown engine 'tensorrt': expected one of [auto, onnxruntime, pytorch]", e.getMessage());
    }
}

package dev.graft.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.io.onnx.OnnxGraph;
import dev.graft.io.onnx.OnnxModelReader;
import dev.graft.model.EmbedOptions;
import dev.graft.model.Embedder;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import dev.graft.testing.TinyBert;
import dev.graft.text.TokenizedText;
import dev.graft.train.Example;
import dev.graft.train.LabelSpace;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every exportable method on a tiny random BERT: the exported model.onnx, run by ONNX Runtime, equals Graft's own
 * outputs (last hidden state, pooled and normalised embedding, logits, probabilities) within 1e-4 max abs.
 */
class OnnxExporterTest {
    static final double TOL = 1e-4;
    @TempDir
    Path dir;

    static ObjectNode options(String json) throws Exception {
        return json.isEmpty() ? JsonNodeFactory.instance.objectNode()
                : (ObjectNode) new ObjectMapper().readTree(json.replace('\'', '"'));
    }

    /** method, options, task, pooling: every method that exports, the variants whose graphs differ. */
    static Stream<Arguments> methods() {
        return Stream.of(
                Arguments.of("lora", "{'r': 4, 'target_modules': ['query', 'value', 'output.dense']}", "classification", "mean"),
                Arguments.of("lora", "{'r': 4, 'use_dora': true, 'target_modules': ['query', 'key', 'intermediate.dense']}", "classification", "cls"),
                Arguments.of("ia3", "", "classification", "mean"),
                Arguments.of("bitfit", "", "regression", "mean"),
                Arguments.of("full", "", "multi-label", "cls"),
                Arguments.of("head", "", "classification", "pooler"),
                Arguments.of("adapter", "", "classification", "mean"),
                Arguments.of("adapter", "{'config': 'houlsby', 'reduction_factor': 4, 'non_linearity': 'swish'}", "retrieval", "mean"),
                Arguments.of("adapter", "{'non_linearity': 'gelu', 'bottleneck_size': 8}", "classification", "cls"),
                Arguments.of("parallel-adapter", "{'bottleneck_size': 16}", "classification", "mean"),
                Arguments.of("prefix", "{'num_virtual_tokens': 4}", "classification", "mean"),
                Arguments.of("prefix", "{'num_virtual_tokens': 3, 'prefix_projection': false}", "classification", "cls"),
                Arguments.of("prompt", "{'num_virtual_tokens': 5}", "classification", "mean"),
                Arguments.of("prompt", "{'num_virtual_tokens': 2}", "classification", "cls"));
    }

    static LabelSpace labels(Task task) {
        return switch (task) {
            case REGRESSION -> new LabelSpace(task, List.of());
            case RETRIEVAL -> new LabelSpace(task, List.of());
            default -> new LabelSpace(task, List.of("a", "b", "c"));
        };
    }

    @ParameterizedTest(name = "{0} {1} {2} {3}")
    @MethodSource("methods")
    void exportedGraphEqualsGraft(String method, String json, String task, String pooling) throws Exception {
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 11, 0.2)) {
            PeftMethod m = PeftMethods.byName(method);
            ObjectNode cfg = m.resolveConfig(base.encoder(), options(json));
            try (TaskModel model = new TaskModel(base, m, cfg, labels(Task.parse(task)), Pooling.parse(pooling), 3)) {
                ExportParity.perturb(model, 0.1, 5);
                List<TokenizedText> tokens = model.tokenize(ExportParity.examples(), 32);
                boolean normalize = model.task() == Task.RETRIEVAL;
                Map<String, float[]> expected = ExportParity.graft(model, tokens, normalize);
                OnnxExporter.Result r = OnnxExporter.of(model).write(dir.resolve("onnx"));
                assertEquals(List.copyOf(expected.keySet()), r.outputs());
                assertEquals(model.adaptation().canMerge(), r.merged());
                double d = ExportParity.assertClose(expected, ExportParity.onnx(r.modelFile(), tokens), tokens, TOL, method + " " + json);
                System.out.printf("onnx parity %s %s %s %s: max abs %.2e%n", method, json, task, pooling, d);
            }
        }
    }

    /** ScaLearn's four variants and AdapterFusion over two perturbed source adapters (one Houlsby, to vary the sites). */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"scalearn", "scalearn-uniform", "scalearn++", "scalearn-uniform++", "fusion"})
    void compositionsExportAsGraphNodes(String method) throws Exception {
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 11, 0.2)) {
            ObjectNode sources = JsonNodeFactory.instance.objectNode();
            for (int i = 0; i < 2; i++) {
                PeftMethod adapter = PeftMethods.byName("adapter");
                ObjectNode cfg = adapter.resolveConfig(base.encoder(), options("{'bottleneck_size': 8}"));
                try (TaskModel source = new TaskModel(base, adapter, cfg, labels(Task.CLASSIFICATION), Pooling.MEAN, 20 + i)) {
                    ExportParity.perturb(source, 0.2, 30 + i);
                    Path d = dir.resolve("source" + i);
                    dev.graft.tune.TaskModelFiles.save(source, d);
                    sources.withArray("sources").add(d.toString());
                }
            }
            PeftMethod m = PeftMethods.byName(method);
            ObjectNode cfg = m.resolveConfig(base.encoder(), sources);
            try (TaskModel model = new TaskModel(base, m, cfg, labels(Task.CLASSIFICATION), Pooling.MEAN, 3)) {
                ExportParity.perturb(model, 0.3, 5);
                List<TokenizedText> tokens = model.tokenize(ExportParity.examples(), 32);
                Map<String, float[]> expected = ExportParity.graft(model, tokens, false);
                OnnxExporter.Result r = OnnxExporter.of(model).write(dir.resolve("onnx"));
                assertFalse(r.merged());
                double d = ExportParity.assertClose(expected, ExportParity.onnx(r.modelFile(), tokens), tokens, TOL, method);
                System.out.printf("onnx parity %s: max abs %.2e%n", method, d);
            }
        }
    }

    @Test
    void aPlainModelExportsWithItsPoolingAndTheDirectoryDescribesIt() throws Exception {
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 7, 0.2)) {
            OnnxExporter.Result r = OnnxExporter.of(base).normalize(true).write(dir.resolve("plain"));
            assertEquals(List.of("last_hidden_state", "sentence_embedding"), r.outputs());
            List<String> texts = ExportParity.examples().stream().map(Example::text).toList();
            List<TokenizedText> tokens = base.tokenizer().encodeAll(texts, 32);
            float[][] graft = new Embedder(base, EmbedOptions.defaults(base).withNormalize(true)).embed(texts);
            float[] onnx = ExportParity.onnx(r.modelFile(), tokens).get("sentence_embedding");
            int h = base.info().hiddenSize();
            double worst = 0;
            for (int i = 0; i < texts.size(); i++) {
                for (int j = 0; j < h; j++) {
                    worst = Math.max(worst, Math.abs(graft[i][j] - onnx[i * h + j]));
                }
            }
            assertTrue(worst <= TOL, "plain model: " + worst);
            for (String f : new String[] {"model.onnx", "tokenizer.json", "onnx_export.json", "README.md", "graft_provenance.json"}) {
                assertTrue(Files.isRegularFile(r.directory().resolve(f)), f);
            }
            JsonNode d = new ObjectMapper().readTree(r.directory().resolve("onnx_export.json").toFile());
            assertEquals("mean", d.get("pooling").asText());
            assertTrue(d.get("normalize").asBoolean());
            assertEquals("last_hidden_state", d.get("outputs").get(0).get("name").asText());
            // our own reader reads what our writer wrote: weights by HF name, three inputs, the outputs in order
            OnnxGraph g = OnnxModelReader.read(r.modelFile());
            assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), g.inputs());
            assertEquals(r.outputs(), g.outputs());
            assertEquals(base.info().vocabSize() * (long) h,
                    g.initializers().get("embeddings.word_embeddings.weight").elementCount());
        }
    }

    @Test
    void aMethodWithoutAGraphFormIsRefusedByName() throws Exception {
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 11, 0.2)) {
            PeftMethod m = PeftMethods.byName("lst");
            ObjectNode cfg = m.resolveConfig(base.encoder(), options("{'reduction_factor': 4}"));
            try (TaskModel model = new TaskModel(base, m, cfg, labels(Task.CLASSIFICATION), Pooling.MEAN, 3)) {
                GraftException e = assertThrows(GraftException.class, () -> OnnxExporter.of(model).write(dir.resolve("lst")));
                assertTrue(e.getMessage().startsWith("method 'lst' cannot be exported to ONNX"), e.getMessage());
                assertFalse(e.getMessage().contains("\n"));
                assertFalse(Files.exists(dir.resolve("lst")), "nothing written");
            }
        }
    }
}

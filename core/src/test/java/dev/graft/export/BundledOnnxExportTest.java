package dev.graft.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.model.EmbedOptions;
import dev.graft.model.Embedder;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.model.bert.OnnxParityTest;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import dev.graft.text.TokenizedText;
import dev.graft.train.Example;
import dev.graft.train.LabelSpace;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.train.ToyTasks;
import dev.graft.train.Trainer;
import dev.graft.train.TrainingConfig;
import dev.langchain4j.model.embedding.onnx.OnnxEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.PoolingMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bundled all-minilm-l6-v2, fine-tuned with LoRA or fully, exported to ONNX: ONNX Runtime reproduces Graft on the
 * bundled models' parity inputs within 1e-4, and langchain4j's {@code OnnxEmbeddingModel} (a consumer nobody here
 * wrote) gives the same vectors as Graft's embedder.
 */
class BundledOnnxExportTest {
    static final String MODEL = "all-minilm-l6-v2";
    @TempDir
    Path dir;

    /** LoRA's B and every weight of a full fine-tune moved off their start, as training would. */
    @ParameterizedTest
    @ValueSource(strings = {"lora", "full"})
    void exportOfAFineTunedBundledModelEqualsGraft(String method) throws Exception {
        try (EncoderModel base = EncoderModel.load(MODEL)) {
            PeftMethod m = PeftMethods.byName(method);
            ObjectNode cfg = m.resolveConfig(base.encoder(), OnnxExporterTest.options(
                    method.equals("lora") ? "{'r': 8, 'target_modules': ['query', 'key', 'value', 'dense']}" : ""));
            try (TaskModel model = new TaskModel(base, m, cfg, new LabelSpace(Task.CLASSIFICATION, List.of("a", "b", "c")),
                    Pooling.MEAN, 3)) {
                ExportParity.perturb(model, method.equals("lora") ? 0.05 : 0.005, 5);
                List<List<TokenizedText>> batches = batches(model, OnnxParityTest.inputs(false), 256, 8);
                List<Map<String, float[]>> expected = new ArrayList<>();
                for (List<TokenizedText> b : batches) {
                    expected.add(ExportParity.graft(model, b, true));
                }
                OnnxExporter.Result r = OnnxExporter.of(model).write(dir.resolve("onnx"));
                double worst = 0;
                for (int i = 0; i < batches.size(); i++) {
                    worst = Math.max(worst, ExportParity.assertClose(expected.get(i), ExportParity.onnx(r.modelFile(), batches.get(i)),
                            batches.get(i), OnnxExporterTest.TOL, method + " batch " + i));
                }
                System.out.printf("onnx parity %s %s (%d texts): max abs %.2e%n", MODEL, method, OnnxParityTest.inputs(false).size(), worst);
            }
        }
    }

    /** Texts sorted by length and cut into batches, as the embedder pads them. */
    static List<List<TokenizedText>> batches(TaskModel model, List<String> texts, int maxLength, int size) {
        List<Example> examples = texts.stream().map(t -> new Example(t, null, null, null)).toList();
        List<TokenizedText> tokens = new ArrayList<>(model.tokenize(examples, maxLength));
        tokens.sort(Comparator.comparingInt(TokenizedText::length));
        List<List<TokenizedText>> out = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i += size) {
            out.add(tokens.subList(i, Math.min(tokens.size(), i + size)));
        }
        return out;
    }

    @Test
    void langchain4jEmbedsALoraFineTunedExportAsGraftDoes() throws Exception {
        List<String> texts = List.of("Machine learning on the JVM is practical.", "What is the capital of France?",
                "Paris is the capital and most populous city of France.", "I love pizza 🍕", "a",
                "The quick brown fox jumps over the lazy dog.", "query: how much protein should a female eat");
        try (EncoderModel base = EncoderModel.load(MODEL)) {
            float[][] before = new Embedder(base, EmbedOptions.defaults(base)).embed(texts);
            PeftMethod lora = PeftMethods.byName("lora");
            ObjectNode cfg = lora.resolveConfig(base.encoder(), OnnxExporterTest.options("{'r': 8}"));
            List<Example> train = ToyTasks.sentiment(32, 1);
            try (TaskModel model = new TaskModel(base, lora, cfg, LabelSpace.fromTraining(Task.CLASSIFICATION, train), Pooling.MEAN, 3)) {
                TrainingConfig tc = TrainingConfig.builder().epochs(2).batchSize(8).learningRate(1e-2).maxLength(32).warmupRatio(0).build();
                new Trainer(model, tc, null, null).train(train, train, false);
                OnnxExporter.Result r = OnnxExporter.of(model).write(dir.resolve("onnx"));
                // the export merged LoRA into base: Graft's embedder now computes the fine-tuned vectors (graft embed --model merged)
                float[][] graft = new Embedder(base, EmbedOptions.defaults(base)).embed(texts);
                assertTrue(minCosine(before, graft) < 0.9999, "fine-tuning changed the vectors: " + minCosine(before, graft));
                OnnxEmbeddingModel l4j = new OnnxEmbeddingModel(r.modelFile(), r.directory().resolve(OnnxExporter.TOKENIZER_FILE), PoolingMode.MEAN);
                float[][] theirs = new float[texts.size()][];
                for (int i = 0; i < texts.size(); i++) {
                    theirs[i] = l4j.embed(texts.get(i)).content().vector();
                }
                assertEquals(base.info().hiddenSize(), theirs[0].length);
                double maxAbs = 0;
                for (int i = 0; i < texts.size(); i++) {
                    for (int j = 0; j < theirs[i].length; j++) {
                        maxAbs = Math.max(maxAbs, Math.abs(theirs[i][j] - graft[i][j]));
                    }
                }
                double cos = minCosine(graft, theirs);
                System.out.printf("langchain4j OnnxEmbeddingModel vs graft embed (LoRA-fine-tuned %s): min cosine %.7f, max abs %.2e%n",
                        MODEL, cos, maxAbs);
                assertTrue(cos >= 0.9999 && maxAbs <= 1e-4, "langchain4j vectors: min cosine " + cos + ", max abs " + maxAbs);
            }
        }
    }

    static double minCosine(float[][] a, float[][] b) {
        double min = 1;
        for (int i = 0; i < a.length; i++) {
            double dot = 0;
            double na = 0;
            double nb = 0;
            for (int j = 0; j < a[i].length; j++) {
                dot += a[i][j] * b[i][j];
                na += a[i][j] * a[i][j];
                nb += b[i][j] * b[i][j];
            }
            min = Math.min(min, dot / Math.sqrt(na * nb));
        }
        return min;
    }
}

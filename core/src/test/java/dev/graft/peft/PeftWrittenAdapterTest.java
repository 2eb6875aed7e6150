package dev.graft.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.io.TensorSource;
import dev.graft.io.safetensors.SafetensorsWriter;
import dev.graft.io.tensors.TensorFiles;
import dev.graft.model.EmbedOptions;
import dev.graft.model.Embedder;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.model.bert.BertConfig;
import dev.graft.model.bert.BertModel;
import dev.graft.testing.TinyBert;
import dev.graft.text.TextTokenizer;
import dev.graft.train.Example;
import dev.graft.train.TaskModel;
import dev.graft.tune.TaskModelFiles;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A LoRA adapter written by Hugging Face PEFT itself (a {@code bert-base-uncased} SEQ_CLS adapter, r 8, alpha 32; the
 * fixture keeps its real adapter_config.json and its tensor names and shapes) loads into Graft and computes what PEFT
 * defines: {@code W + (alpha / r) B A} on query and value, HF's classifier on the pooler output. The reference is
 * computed independently: the low-rank update folded into a copy of the base weights in plain Java, the classifier
 * applied in plain Java.
 */
class PeftWrittenAdapterTest {
    private static final String FIXTURE = "/peft/bert-base-uncased-lora-seqcls/";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> TEXTS = List.of("the cat sat on the mat", "i love a good movie", "python is not java");

    @TempDir
    static Path tmp;
    static BertConfig config;
    static TensorSource baseWeights;
    static EncoderModel base;

    @BeforeAll
    static void bertBaseShapedModel() {
        // bert-base's widths (hidden 768, 12 layers, 12 heads) so the PEFT tensors fit; a small FFN and vocabulary keep it quick
        config = BertConfig.tiny(TinyBert.vocabulary().size(), 768, 12, 12, 64, 64);
        baseWeights = TinyBert.randomWeights(new BertModel(config, true).namedParameterShapes(), 7, 0.05);
        base = EncoderModel.fromWeights("bert-base-shaped", JSON.valueToTree(config), baseWeights,
                TextTokenizer.load(TinyBert.writeTokenizer(tmp)), Pooling.MEAN, false);
    }

    @AfterAll
    static void close() {
        base.close();
    }

    @Test
    void peftLoraSeqClsAdapterGivesPeftsOutputs() throws Exception {
        Path dir = adapterDir("ok", Map.of());
        Map<String, float[]> adapter = TensorFiles.readAll(dir.resolve(AdapterFiles.WEIGHTS));
        JsonNode cfg = JSON.readTree(dir.resolve(AdapterFiles.CONFIG).toFile());
        double scale = cfg.get("lora_alpha").asDouble() / cfg.get("r").asDouble();

        float[][] got;
        try (TaskModel model = TaskModelFiles.load(base, dir, null)) {
            assertEquals(List.of("LABEL_0", "LABEL_1"), model.labels().names());
            assertEquals(Pooling.POOLER, model.pooling());
            got = model.predict(TEXTS.stream().map(t -> new Example(t, null, null, "test")).toList(), 64, 8);
        }

        float[][] expected = reference(adapter, scale);
        for (int i = 0; i < TEXTS.size(); i++) {
            for (int c = 0; c < 2; c++) {
                assertEquals(expected[i][c], got[i][c], 1e-5, "text " + i + " class " + c);
            }
        }
    }

    @Test
    void keysThatChangeTheMeaningAreRefusedAndHarmlessOnesTolerated() throws Exception {
        Path extra = adapterDir("extra-key", Map.of("some_future_option", JSON.readTree("true")));
        try (TaskModel model = TaskModelFiles.load(base, extra, null)) {
            assertEquals(2, model.labels().names().size());
        }
        for (Map.Entry<String, String> e : Map.of("layers_to_transform", "[0, 1]", "rank_pattern", "{\"query\": 4}",
                "bias", "\"all\"", "fan_in_fan_out", "true").entrySet()) {
            Path dir = adapterDir(e.getKey(), Map.of(e.getKey(), JSON.readTree(e.getValue())));
            GraftException ex = assertThrows(GraftException.class, () -> TaskModelFiles.load(base, dir, null).close());
            assertTrue(ex.getMessage().contains(e.getKey()), ex.getMessage());
        }
    }

    @Test
    void aTensorTheConfigDoesNotExplainIsRefused() throws Exception {
        // a key-only change: the file also adapts "key", but the config targets only query and value
        Path dir = adapterDir("unexplained", Map.of());
        Map<String, float[]> t = TensorFiles.readAll(dir.resolve(AdapterFiles.WEIGHTS));
        SafetensorsWriter w = new SafetensorsWriter();
        Map<String, long[]> shapes = fixtureShapes();
        t.forEach((k, v) -> w.addFloats(k, shapes.get(k), v));
        w.addFloats("base_model.model.bert.encoder.layer.0.attention.self.key.lora_A.weight", new long[] {8, 768}, new float[8 * 768]);
        w.write(dir.resolve(AdapterFiles.WEIGHTS));
        GraftException ex = assertThrows(GraftException.class, () -> TaskModelFiles.load(base, dir, null).close());
        assertTrue(ex.getMessage().contains("attention.self.key.lora_A"), ex.getMessage());
    }

    /** The fixture's config (with {@code changes}) and weights: the real file if GRAFT_PEFT_ADAPTER names it, else random values under its names. */
    private static Path adapterDir(String name, Map<String, JsonNode> changes) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        ObjectNode cfg;
        try (InputStream in = PeftWrittenAdapterTest.class.getResourceAsStream(FIXTURE + AdapterFiles.CONFIG)) {
            cfg = (ObjectNode) JSON.readTree(in);
        }
        changes.forEach(cfg::set);
        Files.writeString(dir.resolve(AdapterFiles.CONFIG), cfg.toPrettyString());
        String real = System.getenv("GRAFT_PEFT_ADAPTER");
        if (real != null && !real.isBlank()) {
            Files.copy(Path.of(real), dir.resolve(AdapterFiles.WEIGHTS));
            return dir;
        }
        SafetensorsWriter w = new SafetensorsWriter();
        Random r = new Random(11);
        for (Map.Entry<String, long[]> e : fixtureShapes().entrySet()) {
            float[] v = new float[Math.toIntExact(e.getValue()[0] * (e.getValue().length > 1 ? e.getValue()[1] : 1))];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (r.nextGaussian() * 0.05);
            }
            w.addFloats(e.getKey(), e.getValue(), v);
        }
        w.metadata("format", "pt");
        w.write(dir.resolve(AdapterFiles.WEIGHTS));
        return dir;
    }

    private static Map<String, long[]> fixtureShapes() throws Exception {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        try (InputStream in = PeftWrittenAdapterTest.class.getResourceAsStream(FIXTURE + "tensors.json")) {
            for (Iterator<Map.Entry<String, JsonNode>> it = JSON.readTree(in).fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                long[] s = new long[e.getValue().size()];
                for (int i = 0; i < s.length; i++) {
                    s[i] = e.getValue().get(i).asLong();
                }
                shapes.put(e.getKey(), s);
            }
        }
        return shapes;
    }

    /** Softmax of HF's classifier over the pooler output of a copy of the base with W + scale·B·A folded in. */
    private static float[][] reference(Map<String, float[]> adapter, double scale) {
        Map<String, float[]> merged = new HashMap<>();
        for (String name : baseWeights.names()) {
            merged.put(name, baseWeights.readFloats(name));
        }
        String prefix = "base_model.model.bert.";
        for (String k : adapter.keySet()) {
            if (!k.endsWith(".lora_A.weight")) {
                continue;
            }
            String module = k.substring(prefix.length(), k.length() - ".lora_A.weight".length());
            float[] a = adapter.get(k);                                           // [r, in]
            float[] b = adapter.get(prefix + module + ".lora_B.weight");          // [out, r]
            float[] w = merged.get(module + ".weight");                           // [out, in]
            int out = 768, in = 768, rank = a.length / in;
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    double d = 0;
                    for (int q = 0; q < rank; q++) {
                        d += (double) b[o * rank + q] * a[q * in + i];
                    }
                    w[o * in + i] += (float) (scale * d);
                }
            }
        }
        TensorSource source = new TensorSource() {
            public Set<String> names() {
                return baseWeights.names();
            }

            public long[] shape(String name) {
                return baseWeights.shape(name);
            }

            public float[] readFloats(String name) {
                return merged.get(name).clone();
            }

            public String description() {
                return "merged by hand";
            }
        };
        float[][] pooled;
        try (EncoderModel m = EncoderModel.fromWeights("reference", JSON.valueToTree(config), source,
                TextTokenizer.load(tmp.resolve("tokenizer.json")), Pooling.POOLER, false)) {
            pooled = new Embedder(m, new EmbedOptions(Pooling.POOLER, false, 8, 64, "")).embed(TEXTS);
        }
        float[] cw = adapter.get("base_model.model.classifier.weight");
        float[] cb = adapter.get("base_model.model.classifier.bias");
        float[][] probs = new float[TEXTS.size()][2];
        for (int t = 0; t < TEXTS.size(); t++) {
            double[] logit = new double[2];
            for (int c = 0; c < 2; c++) {
                logit[c] = cb[c];
                for (int h = 0; h < 768; h++) {
                    logit[c] += (double) cw[c * 768 + h] * pooled[t][h];
                }
            }
            double mx = Math.max(logit[0], logit[1]);
            double z = Math.exp(logit[0] - mx) + Math.exp(logit[1] - mx);
            for (int c = 0; c < 2; c++) {
                probs[t][c] = (float) (Math.exp(logit[c] - mx) / z);
            }
        }
        return probs;
    }
}

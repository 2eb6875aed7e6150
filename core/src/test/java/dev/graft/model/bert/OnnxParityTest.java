package dev.graft.model.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.graft.model.BundledModel;
import dev.graft.model.BundledModels;
import dev.graft.model.EmbedOptions;
import dev.graft.model.Embedder;
import dev.graft.model.EncoderModel;
import dev.graft.model.EncoderOutput;
import dev.graft.text.TokenizedText;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Graft's BERT against ONNX Runtime on the very ONNX files the weights were imported from: the last hidden state
 * must agree within 1e-4 (max abs) on every real token, and the pooled embeddings too.
 */
public class OnnxParityTest {
    private static final double TOL = 1e-4;
    private static OrtEnvironment env;

    @BeforeAll
    static void start() {
        env = OrtEnvironment.getEnvironment();
    }

    @AfterAll
    static void stop() {
    }

    static List<String> models() {
        return BundledModels.all().stream().map(BundledModel::id).toList();
    }

    /** 64 varied inputs; the last ones are long enough to be truncated at 512 tokens. */
    public static List<String> inputs(boolean chinese) {
        List<String> t = new ArrayList<>(List.of(
                "", "word", "Hello", "!!!", "?!.,;:", "...", "   ", "a", "The quick brown fox jumps over the lazy dog.",
                "THE QUICK BROWN FOX", "tHe QuIcK bRoWn FoX", "Café crème brûlée à la française", "naïve coöperation",
                "Ångström Øre Ærø", "Smørrebrød og æbleskiver", "¿Dónde está la biblioteca?", "Grüße aus München",
                "I love pizza 🍕🍕🍕", "😀😃😄😁", "👍 great job 👏", "こんにちは世界", "Привет, мир!", "Γειά σου Κόσμε",
                "مرحبا بالعالم", "שלום עולם", "안녕하세요", "12345 67890", "3.14159 2.71828 1.41421", "2024-01-15T10:30:00Z",
                "https://example.com/path?q=1&r=2", "user@example.com", "C:\\Program Files\\Java", "int main() { return 0; }",
                "SELECT * FROM users WHERE id = 42;", "<html><body>hi</body></html>", "{\"key\": [1, 2, 3]}",
                "e = mc^2", "α β γ δ ε", "∑∫∂√∞≈≠", "$100 €200 £300 ¥400", "#hashtag @mention", "hello\tworld\ttabs",
                "line one\nline two", "don't won't can't shouldn't", "A.B.C.D.E.", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "supercalifragilisticexpialidocious", "antidisestablishmentarianism", "The the the the the the",
                "What is the capital of France?", "Paris is the capital and most populous city of France.",
                "query: how much protein should a female eat", "passage: As a general guideline, the CDC's average"
                        + " requirement of protein for women ages 19 to 70 is 46 grams per day.",
                "Represent this sentence for searching relevant passages: java transfer learning",
                "In 1492, Columbus sailed the ocean blue.", "She sells sea shells by the sea shore.",
                "To be, or not to be, that is the question.", "Machine learning on the JVM is practical.",
                "Numbers like 1,000,000 and 0.0001 matter."));
        if (chinese) {
            t.add("今天天气很好，我们去公园散步吧。");
            t.add("机器学习是人工智能的一个分支。");
            t.add("北京是中华人民共和国的首都。");
        } else {
            t.add("Mixed 中文 and English text");
            t.add("Emoji in the middle 🚀 of a sentence");
            t.add("Tabs\tand\nnewlines\r\nmixed");
        }
        t.add("long ".repeat(700) + "end");
        t.add("The history of the JVM spans decades. ".repeat(80));
        return t;
    }

    @ParameterizedTest
    @MethodSource("models")
    void lastHiddenStateAndPoolingMatchOnnxRuntime(String id) throws Exception {
        BundledModel bundled = BundledModels.find(id).orElseThrow();
        byte[] onnx;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(bundled.resourceName() + ".onnx")) {
            onnx = in.readAllBytes();
        }
        List<String> texts = inputs(id.endsWith("zh"));
        assertTrue(texts.size() >= 64);
        try (EncoderModel model = EncoderModel.load(id);
             OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(2);
            // the registry's facts (shown by `graft models`) are those of the loaded weights
            assertEquals(bundled.layers(), model.info().layers(), "layers");
            assertEquals(bundled.hiddenSize(), model.info().hiddenSize(), "hidden size");
            assertEquals(bundled.heads(), model.info().heads(), "heads");
            assertEquals(bundled.parameters(), model.info().parameters(), "parameters");
            try (OrtSession session = env.createSession(onnx, opts)) {
                List<TokenizedText> tokens = model.tokenizer().encodeAll(texts, 512);
                assertEquals(512, tokens.get(texts.size() - 1).length(), "long input is truncated to 512 tokens");
                List<Integer> order = new ArrayList<>();
                for (int i = 0; i < tokens.size(); i++) {
                    order.add(i);
                }
                order.sort(Comparator.comparingInt(i -> tokens.get(i).length()));
                float[][] expectedMean = new float[texts.size()][];
                float[][] expectedCls = new float[texts.size()][];
                double worst = 0;
                for (int start = 0; start < order.size(); start += 8) {
                    List<Integer> idx = order.subList(start, Math.min(order.size(), start + 8));
                    List<TokenizedText> batch = idx.stream().map(tokens::get).toList();
                    int t = batch.stream().mapToInt(TokenizedText::length).max().orElseThrow();
                    long[][] ids = new long[batch.size()][t];
                    long[][] mask = new long[batch.size()][t];
                    long[][] types = new long[batch.size()][t];
                    for (int b = 0; b < batch.size(); b++) {
                        TokenizedText x = batch.get(b);
                        System.arraycopy(x.ids(), 0, ids[b], 0, x.length());
                        System.arraycopy(x.typeIds(), 0, types[b], 0, x.length());
                        for (int k = 0; k < x.length(); k++) {
                            mask[b][k] = 1;
                        }
                    }
                    float[][][] ort = runOrt(session, ids, mask, types);
                    float[][][] graft = runGraft(model, ids, mask, types);
                    for (int b = 0; b < batch.size(); b++) {
                        int len = batch.get(b).length();
                        double[] mean = new double[ort[b][0].length];
                        for (int k = 0; k < len; k++) {
                            for (int h = 0; h < mean.length; h++) {
                                worst = Math.max(worst, Math.abs(ort[b][k][h] - graft[b][k][h]));
                                mean[h] += ort[b][k][h] / len;
                            }
                        }
                        expectedMean[idx.get(b)] = normalize(mean);
                        expectedCls[idx.get(b)] = normalize(toDouble(ort[b][0]));
                    }
                }
                assertTrue(worst <= TOL, id + ": last hidden state differs from ONNX Runtime by " + worst);

                // Pooled, normalised embeddings through the public Embedder, against pooling done here on ORT's output.
                float[][] expected = bundled.pooling() == dev.graft.model.Pooling.CLS ? expectedCls : expectedMean;
                float[][] got = new Embedder(model, EmbedOptions.defaults(model).withBatchSize(5).withMaxLength(512)).embed(texts);
                double worstPooled = 0;
                for (int i = 0; i < texts.size(); i++) {
                    for (int h = 0; h < got[i].length; h++) {
                        worstPooled = Math.max(worstPooled, Math.abs(got[i][h] - expected[i][h]));
                    }
                }
                assertTrue(worstPooled <= TOL, id + ": pooled embeddings differ from ONNX Runtime by " + worstPooled);
            }
        }
    }

    private static float[][][] runOrt(OrtSession s, long[][] ids, long[][] mask, long[][] types) throws Exception {
        try (OnnxTensor a = OnnxTensor.createTensor(env, ids);
             OnnxTensor m = OnnxTensor.createTensor(env, mask);
             OnnxTensor t = OnnxTensor.createTensor(env, types);
             OrtSession.Result r = s.run(Map.of("input_ids", a, "attention_mask", m, "token_type_ids", t))) {
            return (float[][][]) r.get(0).getValue();
        }
    }

    private static float[][][] runGraft(EncoderModel model, long[][] ids, long[][] mask, long[][] types) {
        try (NDManager scope = model.manager().newSubManager()) {
            NDArray a = scope.create(ids);
            NDArray m = scope.create(mask);
            NDArray t = scope.create(types);
            EncoderOutput out = model.encoder().encode(a, m, t, false, false);
            long[] shape = out.lastHiddenState().getShape().getShape();
            float[] flat = out.lastHiddenState().toFloatArray();
            float[][][] r = new float[(int) shape[0]][(int) shape[1]][(int) shape[2]];
            int k = 0;
            for (float[][] x : r) {
                for (float[] y : x) {
                    System.arraycopy(flat, k, y, 0, y.length);
                    k += y.length;
                }
            }
            return r;
        }
    }

    private static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    private static float[] normalize(double[] x) {
        double n = 0;
        for (double v : x) {
            n += v * v;
        }
        n = Math.sqrt(n);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) (x[i] / n);
        }
        return out;
    }
}

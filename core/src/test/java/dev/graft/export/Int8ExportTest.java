package dev.graft.export;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.graft.model.BundledModels;
import dev.graft.model.EmbedOptions;
import dev.graft.model.Embedder;
import dev.graft.model.EncoderModel;
import dev.graft.model.bert.OnnxParityTest;
import dev.graft.text.TokenizedText;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code --quantize int8} against Graft's fp32 embeddings: the cosine of each parity input's int8 sentence embedding
 * (at 128 tokens) to the fp32 one, worst text against issue 14's floor of 0.995. CI checks two bundled models, the
 * default all-minilm-l6-v2 and bge-small-en-v1.5, the one that does not reach the goal yet (its worst text stays near
 * 0.992 however the 12 fp32 products are chosen), held at 0.99 against regressions; bench/int8.sh and
 * {@code Int8Bench eval} check all five (each export calibrates for a minute or more on 2 cores).
 */
class Int8ExportTest {
    /** Issue 14's goal. */
    static final double GOAL = 0.995;
    @TempDir
    Path dir;

    static List<String> models() {
        return List.of(BundledModels.DEFAULT_ID, "bge-small-en-v1.5");
    }

    @ParameterizedTest
    @MethodSource("models")
    void int8EmbeddingsStayCloseToFp32(String id) throws Exception {
        List<String> texts = OnnxParityTest.inputs(id.endsWith("zh"));
        try (EncoderModel base = EncoderModel.load(id)) {
            EmbedOptions options = EmbedOptions.defaults(base).withMaxLength(128);
            float[][] fp32 = new Embedder(base, options).embed(texts);
            OnnxExporter.Result r = OnnxExporter.of(base).int8(true).write(dir.resolve(id));
            List<TokenizedText> tokens = base.tokenizer().encodeAll(texts, 128);
            Integer[] order = IntStream.range(0, texts.size()).boxed().sorted(Comparator.comparingInt(i -> tokens.get(i).length()))
                    .toArray(Integer[]::new);
            float[][] int8 = new float[texts.size()][];
            int h = base.info().hiddenSize();
            try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
                opts.setIntraOpNumThreads(1);
                try (OrtSession session = OrtEnvironment.getEnvironment().createSession(r.modelFile().toString(), opts)) {
                    for (int s = 0; s < order.length; s += 8) {
                        List<TokenizedText> batch = new ArrayList<>();
                        for (int k = s; k < Math.min(order.length, s + 8); k++) {
                            batch.add(tokens.get(order[k]));
                        }
                        float[] e = ExportParity.run(session, batch).get(OnnxExporter.SENTENCE_EMBEDDING);
                        for (int k = 0; k < batch.size(); k++) {
                            int8[order[s + k]] = java.util.Arrays.copyOfRange(e, k * h, (k + 1) * h);
                        }
                    }
                }
            }
            double worst = 1;
            double sum = 0;
            for (int i = 0; i < texts.size(); i++) {
                double c = BundledOnnxExportTest.minCosine(new float[][] {fp32[i]}, new float[][] {int8[i]});
                worst = Math.min(worst, c);
                sum += c;
            }
            System.out.printf("int8 %s: cosine to fp32 over %d texts: min %.5f, mean %.5f%n", id, texts.size(), worst,
                    sum / texts.size());
            double floor = id.equals("bge-small-en-v1.5") ? 0.99 : GOAL;
            assertTrue(worst >= floor, id + ": int8 cosine to fp32 " + worst + " is below " + floor);
        }
    }
}

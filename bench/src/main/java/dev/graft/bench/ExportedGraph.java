package dev.graft.bench;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * A directory written by {@code graft export --format onnx} (model.onnx and tokenizer.json), run in ONNX Runtime Java
 * as a user of the export would: its own tokenizer, length-sorted batches of exactly {@code batch} texts padded to
 * their longest, all graph optimisations, {@code threads} intra-op threads.
 */
final class ExportedGraph implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;

    ExportedGraph(Path dir, int threads, int maxLength) throws Exception {
        tokenizer = HuggingFaceTokenizer.builder().optTokenizerPath(dir.resolve("tokenizer.json")).optTruncation(true)
                .optPadding(false).optMaxLength(maxLength).build();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(threads);
            o.setInterOpNumThreads(1);
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(dir.resolve("model.onnx").toString(), o);
        }
    }

    /**
     * One output of the graph for every text, in the caller's order.
     *
     * @param output {@code sentence_embedding} ([batch, hidden]) or {@code probabilities} ([batch, classes])
     * @return [texts, width]
     */
    float[][] run(List<String> texts, int batch, String output) throws Exception {
        Encoding[] enc = tokenizer.batchEncode(texts);
        // longest first, so that the first batch allocates ONNX Runtime's largest buffers once
        Integer[] order = IntStream.range(0, enc.length).boxed().sorted(Comparator.comparingInt(i -> -enc[i].getIds().length))
                .toArray(Integer[]::new);
        float[][] out = new float[texts.size()][];
        for (int s = 0; s < order.length; s += batch) {
            int n = Math.min(batch, order.length - s);
            int t = enc[order[s]].getIds().length;
            long[] ids = new long[n * t];
            long[] mask = new long[n * t];
            long[] types = new long[n * t];
            for (int k = 0; k < n; k++) {
                Encoding e = enc[order[s + k]];
                long[] x = e.getIds();
                long[] ty = e.getTypeIds();
                for (int j = 0; j < x.length; j++) {
                    ids[k * t + j] = x[j];
                    mask[k * t + j] = 1;
                    types[k * t + j] = ty[j];
                }
            }
            long[] shape = {n, t};
            try (OnnxTensor a = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
                 OnnxTensor m = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
                 OnnxTensor ty = OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape);
                 OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", m, "token_type_ids", ty),
                         Set.of(output))) {
                float[][] rows = (float[][]) r.get(0).getValue();
                for (int k = 0; k < n; k++) {
                    out[order[s + k]] = rows[k];
                }
            }
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        session.close();
        tokenizer.close();
    }
}

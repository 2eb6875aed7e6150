package dev.graft.export;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.graft.model.Pooling;
import dev.graft.model.TokenBatch;
import dev.graft.runtime.Arrays2;
import dev.graft.text.TokenizedText;
import dev.graft.train.Example;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Graft's outputs for a batch, and the same batch run through an exported model.onnx in ONNX Runtime, flattened so
 * that they compare element by element.
 */
final class ExportParity {
    private ExportParity() {
    }

    /** Texts of different lengths (so the batch is padded) and one pair (token type 1). */
    static List<Example> examples() {
        return List.of(new Example("the cat sat on the mat", null, null, null),
                new Example("a", null, null, null),
                new Example("i love java and python very much , not the bad film", null, null, null),
                new Example("good movie", "terrible film !", null, null),
                new Example("red blue green", null, null, null));
    }

    /** Adds N(0, std²) noise to every trainable parameter, so that a freshly attached method changes the outputs. */
    static void perturb(TaskModel model, double std, long seed) {
        Random r = new Random(seed);
        for (Parameter p : model.trainable().values()) {
            NDArray a = p.getArray();
            float[] v = a.toFloatArray();
            for (int i = 0; i < v.length; i++) {
                v[i] += (float) (r.nextGaussian() * std);
            }
            Arrays2.assign(a, v);
        }
    }

    /** Graft's values for every output the export writes, by output name. */
    static Map<String, float[]> graft(TaskModel model, List<TokenizedText> tokens, boolean normalize) {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDManager scope = model.base().manager().newSubManager()) {
            TokenBatch in = TokenBatch.of(tokens, scope);
            out.put(OnnxExporter.LAST_HIDDEN_STATE, model.adaptation()
                    .encode(model.base().encoder(), in.ids(), in.mask(), in.typeIds(), false).lastHiddenState().toFloatArray());
            NDArray pooled = model.pooled(in, false);
            out.put(OnnxExporter.SENTENCE_EMBEDDING, (normalize ? Pooling.normalizeRows(pooled) : pooled).toFloatArray());
            if (model.head() != null) {
                NDArray logits = model.forward(in, false);
                out.put(OnnxExporter.LOGITS, logits.toFloatArray());
                if (model.task() == Task.CLASSIFICATION) {
                    out.put(OnnxExporter.PROBABILITIES, logits.softmax(1).toFloatArray());
                } else if (model.task() == Task.MULTI_LABEL) {
                    out.put(OnnxExporter.PROBABILITIES, logits.getNDArrayInternal().sigmoid().toFloatArray());
                }
            }
        }
        return out;
    }

    /** Runs model.onnx on the padded batch; returns every output by name, flattened. */
    static Map<String, float[]> onnx(Path modelFile, List<TokenizedText> tokens) throws Exception {
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            try (OrtSession session = OrtEnvironment.getEnvironment().createSession(modelFile.toString(), opts)) {
                return run(session, tokens);
            }
        }
    }

    /** Runs an open session on the padded batch; returns every output by name, flattened. */
    static Map<String, float[]> run(OrtSession session, List<TokenizedText> tokens) throws Exception {
        dev.graft.model.TokenIds padded = dev.graft.model.TokenIds.pad(tokens);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Map<String, float[]> out = new LinkedHashMap<>();
        {
            {
                long[] shape = {padded.batch(), padded.length()};
                Map<String, OnnxTensor> in = new HashMap<>();
                in.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(padded.ids()), shape));
                in.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(padded.mask()), shape));
                in.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(padded.typeIds()), shape));
                try (OrtSession.Result r = session.run(in)) {
                    for (Map.Entry<String, ai.onnxruntime.OnnxValue> e : r) {
                        OnnxTensor v = (OnnxTensor) e.getValue();
                        java.nio.FloatBuffer fb = v.getFloatBuffer();
                        float[] f = new float[fb.remaining()];
                        fb.get(f);
                        out.put(e.getKey(), f);
                    }
                } finally {
                    in.values().forEach(OnnxTensor::close);
                }
            }
        }
        return out;
    }

    /**
     * Asserts the same outputs, in the same order, equal within {@code tol} (max abs; the last hidden state on real
     * tokens only).
     *
     * @return the largest difference seen
     */
    static double assertClose(Map<String, float[]> expected, Map<String, float[]> actual, List<TokenizedText> tokens,
                              double tol, String what) {
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()), what + ": outputs");
        int t = tokens.stream().mapToInt(TokenizedText::length).max().orElseThrow();
        double worst = 0;
        for (Map.Entry<String, float[]> e : expected.entrySet()) {
            float[] a = actual.get(e.getKey());
            assertEquals(e.getValue().length, a.length, what + ": size of " + e.getKey());
            // the hidden states of padding positions mean nothing (nothing attends to them): compare real tokens only
            boolean perToken = e.getKey().equals(OnnxExporter.LAST_HIDDEN_STATE);
            int h = perToken ? a.length / (tokens.size() * t) : 0;
            double d = 0;
            for (int i = 0; i < a.length; i++) {
                if (perToken && (i / h) % t >= tokens.get(i / h / t).length()) {
                    continue;
                }
                d = Math.max(d, Math.abs(a[i] - e.getValue()[i]));
            }
            if (!(d <= tol)) {
                throw new AssertionError(what + ": " + e.getKey() + " differs by " + d + " (max abs), tolerance " + tol);
            }
            worst = Math.max(worst, d);
        }
        return worst;
    }
}

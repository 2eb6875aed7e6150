package dev.graft.export;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.graft.GraftException;
import dev.graft.io.onnx.OnnxGraphBuilder;
import dev.graft.io.onnx.OnnxModelWriter;
import dev.graft.model.TokenIds;
import dev.graft.text.TokenizedText;
import java.io.IOException;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An in-memory graph run in ONNX Runtime (all graph optimisations, one thread unless told), for the export's own
 * checks: calibrating and verifying an int8 graph against its fp32 original.
 */
final class OrtGraphRunner implements AutoCloseable {
    private final OrtSession session;

    /** Writes {@code graph} to a temporary file and opens a session on it (the file is deleted at once). */
    OrtGraphRunner(OnnxGraphBuilder graph, int threads) {
        Path file = null;
        try {
            file = Files.createTempFile("graft-export", ".onnx");
            Files.delete(file);
            OnnxModelWriter.write(file, graph, "graft", Map.of());
            try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
                opts.setIntraOpNumThreads(threads);
                opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                session = OrtEnvironment.getEnvironment().createSession(file.toString(), opts);
            }
        } catch (IOException | OrtException e) {
            throw new GraftException("ONNX Runtime cannot open the exported graph: " + e.getMessage());
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a temporary file left behind is harmless
                }
            }
        }
    }

    /**
     * Runs one padded batch.
     *
     * @param tokens  the batch (padded to its longest text)
     * @param outputs the outputs to fetch
     * @return each output flattened, by name
     */
    Map<String, float[]> run(List<TokenizedText> tokens, Set<String> outputs) {
        TokenIds padded = TokenIds.pad(tokens);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long[] shape = {padded.batch(), padded.length()};
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            in.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(padded.ids()), shape));
            in.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(padded.mask()), shape));
            in.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(padded.typeIds()), shape));
            Map<String, float[]> out = new LinkedHashMap<>();
            try (OrtSession.Result r = session.run(in, outputs)) {
                for (Map.Entry<String, OnnxValue> e : r) {
                    OnnxTensor v = (OnnxTensor) e.getValue();
                    float[] f = new float[(int) v.getInfo().getNumElements()];
                    v.getFloatBuffer().get(f);
                    out.put(e.getKey(), f);
                }
            }
            return out;
        } catch (OrtException e) {
            throw new GraftException("ONNX Runtime failed on the exported graph: " + e.getMessage());
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new GraftException("closing an ONNX Runtime session: " + e.getMessage());
        }
    }
}

package dev.graft.model.engine;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.graft.GraftException;
import dev.graft.model.InferenceEngine;
import dev.graft.model.Pooling;
import dev.graft.model.TokenIds;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The ONNX Runtime path: one {@link OrtSession} on an {@link OnnxGraphSource}, with ONNX Runtime's graph optimisations
 * (attention, LayerNorm and GELU fusion), pooling and normalisation done here on the returned hidden states.
 */
public final class OrtEngine implements InferenceEngine {
    /** The name {@code --engine} uses. */
    public static final String NAME = "onnxruntime";

    /**
     * Session settings.
     *
     * @param threads       intra-op threads (Graft's {@code --threads}); 0 for ONNX Runtime's default (one per core)
     * @param memoryPattern let ONNX Runtime plan allocations from the previous run of the same shape
     * @param cpuArena      allocate from ONNX Runtime's growing arena instead of the system allocator
     */
    public record Settings(int threads, boolean memoryPattern, boolean cpuArena) {
        public Settings {
            if (threads < 0) {
                throw new GraftException("threads must be 0 (all cores) or positive, got " + threads);
            }
        }

        /** {@code threads} with ONNX Runtime's defaults for the allocator (pattern and arena on). */
        public static Settings defaults(int threads) {
            return new Settings(threads, true, true);
        }
    }

    private static final String IDS = "input_ids";
    private static final String MASK = "attention_mask";
    private static final String TYPES = "token_type_ids";

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OnnxGraphSource graph;
    private final OrtSession session;
    private final boolean allLayers;
    /** Graph input name -> whether it takes int32 (else int64). */
    private final Map<String, Boolean> inputs = new HashMap<>();

    private OrtEngine(OnnxGraphSource graph, OrtSession session, boolean allLayers) {
        this.graph = graph;
        this.session = session;
        this.allLayers = allLayers;
    }

    /**
     * Opens a session on {@code graph}.
     *
     * @param allLayers also make every layer's hidden state a graph output, for {@link #embedAllLayers}; costs nothing
     *                  when only {@link #embed} is used, but off keeps the graph as it was written
     * @throws GraftException if ONNX Runtime rejects the graph or its inputs are not the encoder's
     */
    public static OrtEngine open(OnnxGraphSource graph, Settings settings, boolean allLayers) {
        boolean layers = allLayers && graph.layers() > 0;
        byte[] bytes = layers ? GraphOutputs.append(graph.bytes(), missingOutputs(graph)) : graph.bytes();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            o.setIntraOpNumThreads(settings.threads());
            o.setInterOpNumThreads(1);
            o.setMemoryPatternOptimization(settings.memoryPattern());
            o.setCPUArenaAllocator(settings.cpuArena());
            // ONNX Runtime's own warnings (e.g. unused initializers it removes) are noise on Graft's stderr
            o.setSessionLogLevel(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            // the session keeps its own copy of the weights: drop ours
            OrtEngine e = new OrtEngine(graph.outputsOnly(), env.createSession(bytes, o), layers);
            e.checkInputs();
            return e;
        } catch (OrtException e) {
            throw new GraftException(graph.description() + ": ONNX Runtime cannot load the graph (" + e.getMessage() + ")", e);
        }
    }

    /** Layer states that are intermediate values, not yet graph outputs. */
    private static List<String> missingOutputs(OnnxGraphSource graph) {
        Set<String> known = new LinkedHashSet<>(List.of(graph.lastHiddenState()));
        if (graph.pooler() != null) {
            known.add(graph.pooler());
        }
        return graph.layerStates().stream().filter(s -> !known.contains(s)).distinct().toList();
    }

    private void checkInputs() throws OrtException {
        for (Map.Entry<String, NodeInfo> in : session.getInputInfo().entrySet()) {
            String name = in.getKey();
            if (!name.equals(IDS) && !name.equals(MASK) && !name.equals(TYPES)) {
                close();
                throw new GraftException(graph.description() + ": graph input '" + name + "' is not an encoder input;"
                        + " expected input_ids, attention_mask and optionally token_type_ids");
            }
            OnnxJavaType t = ((TensorInfo) in.getValue().getInfo()).type;
            if (t != OnnxJavaType.INT64 && t != OnnxJavaType.INT32) {
                close();
                throw new GraftException(graph.description() + ": graph input '" + name + "' is " + t + "; expected int64 or int32");
            }
            inputs.put(name, t == OnnxJavaType.INT32);
        }
        if (!inputs.containsKey(IDS)) {
            close();
            throw new GraftException(graph.description() + ": the graph has no input_ids input");
        }
    }

    /** Where the graph came from and which outputs it has (without the model bytes). */
    public OnnxGraphSource graph() {
        return graph;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean supports(Pooling pooling) {
        return pooling != Pooling.POOLER || graph.pooler() != null;
    }

    @Override
    public boolean supportsAllLayers() {
        return allLayers;
    }

    @Override
    public float[][] embed(TokenIds batch, Pooling pooling, boolean normalize) {
        String output = pooling == Pooling.POOLER ? pooler() : graph.lastHiddenState();
        Map<String, FloatBuffer> out = run(batch, List.of(output));
        return pool(out.get(output), batch, pooling, normalize);
    }

    @Override
    public List<float[][]> embedAllLayers(TokenIds batch, Pooling pooling, boolean normalize) {
        if (!allLayers) {
            throw new GraftException(graph.description() + ": every layer's hidden state is not available from this"
                    + " ONNX graph; use the pytorch engine for per-layer features");
        }
        List<String> states = graph.layerStates();
        int last = states.size() - 1;
        Set<String> wanted = new LinkedHashSet<>(states);
        if (pooling == Pooling.POOLER) {
            wanted.add(pooler());
        }
        Map<String, FloatBuffer> out = run(batch, List.copyOf(wanted));
        List<float[][]> result = new ArrayList<>(states.size());
        for (int l = 0; l <= last; l++) {
            Pooling p = InferenceEngine.layerPooling(pooling, l, last);
            result.add(pool(out.get(p == Pooling.POOLER ? pooler() : states.get(l)), batch, p, normalize));
        }
        return result;
    }

    private String pooler() {
        if (graph.pooler() == null) {
            throw new GraftException(graph.description() + ": pooling 'pooler' needs the graph's pooler output and it has"
                    + " none; use cls or mean, or the pytorch engine");
        }
        return graph.pooler();
    }

    /** Runs the graph; returns each requested output as a flat row-major copy. */
    private Map<String, FloatBuffer> run(TokenIds batch, List<String> outputs) {
        long[] shape = {batch.batch(), batch.length()};
        Map<String, OnnxTensor> feed = new HashMap<>();
        try {
            for (Map.Entry<String, Boolean> in : inputs.entrySet()) {
                long[] values = switch (in.getKey()) {
                    case IDS -> batch.ids();
                    case MASK -> batch.mask();
                    default -> batch.typeIds();
                };
                feed.put(in.getKey(), in.getValue() ? OnnxTensor.createTensor(env, IntBuffer.wrap(toInts(values)), shape)
                        : OnnxTensor.createTensor(env, LongBuffer.wrap(values), shape));
            }
            try (OrtSession.Result r = session.run(feed, new LinkedHashSet<>(outputs))) {
                Map<String, FloatBuffer> out = new HashMap<>();
                for (String o : outputs) {
                    OnnxTensor t = (OnnxTensor) r.get(o).orElseThrow();
                    out.put(o, t.getFloatBuffer());
                }
                return out;
            }
        } catch (OrtException e) {
            throw new GraftException(graph.description() + ": ONNX Runtime failed on a batch of " + batch.batch() + " x "
                    + batch.length() + " tokens (" + e.getMessage() + ")", e);
        } finally {
            feed.values().forEach(OnnxTensor::close);
        }
    }

    private static int[] toInts(long[] values) {
        int[] r = new int[values.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = Math.toIntExact(values[i]);
        }
        return r;
    }

    /**
     * Pools one output as {@code dev.graft.model.Embedder#pool} does on PyTorch.
     *
     * @param values [B, T, H] hidden states, or [B, H] pooler outputs for {@link Pooling#POOLER}
     * @return [B][H]
     */
    static float[][] pool(FloatBuffer values, TokenIds in, Pooling pooling, boolean normalize) {
        int b = in.batch();
        int t = in.length();
        int h = pooling == Pooling.POOLER ? values.remaining() / b : values.remaining() / (b * t);
        float[][] rows = new float[b][h];
        for (int i = 0; i < b; i++) {
            float[] v = rows[i];
            switch (pooling) {
                case POOLER -> values.get(i * h, v);
                case CLS -> values.get(i * t * h, v);
                case MEAN -> {
                    float count = 0;
                    for (int k = 0; k < t; k++) {
                        if (in.mask()[i * t + k] != 0) {
                            count++;
                            int base = (i * t + k) * h;
                            for (int d = 0; d < h; d++) {
                                v[d] += values.get(base + d);
                            }
                        }
                    }
                    float c = Math.max(count, 1e-9f);
                    for (int d = 0; d < h; d++) {
                        v[d] /= c;
                    }
                }
            }
            if (normalize) {
                double norm = 0;
                for (float x : v) {
                    norm += (double) x * x;
                }
                float n = (float) Math.max(Math.sqrt(norm), 1e-12);
                for (int d = 0; d < h; d++) {
                    v[d] /= n;
                }
            }
        }
        return rows;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new GraftException("cannot close the ONNX Runtime session of " + graph.description() + ": " + e.getMessage(), e);
        }
    }
}

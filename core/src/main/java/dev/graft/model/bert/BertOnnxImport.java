package dev.graft.model.bert;

import dev.graft.GraftException;
import dev.graft.io.TensorSource;
import dev.graft.io.onnx.OnnxGraph;
import dev.graft.io.onnx.OnnxNode;
import dev.graft.io.onnx.OnnxTensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recovers HF-named BERT weights and config from an ONNX export (as in langchain4j's embedding jars).
 *
 * <p>Exporters keep HF names on biases, layer norms and embedding tables, but a dense layer's weight becomes an
 * anonymous MatMul initializer ({@code onnx::MatMul_885}) stored as [in, out], the transpose of HF's [out, in]. It is
 * found from the graph: the MatMul whose output feeds the Add that uses {@code X.bias} holds {@code X.weight}.
 */
public final class BertOnnxImport implements TensorSource {
    private static final Pattern LAYER = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.");

    private final OnnxGraph graph;
    private final String description;
    /** HF name -> (initializer, transposed?) */
    private final Map<String, OnnxTensor> tensors = new HashMap<>();
    private final Set<String> transposed = new TreeSet<>();

    public BertOnnxImport(OnnxGraph graph, String description) {
        this.graph = graph;
        this.description = description;
        for (OnnxTensor t : graph.initializers().values()) {
            String n = t.name();
            if (n.startsWith("embeddings.") || n.startsWith("encoder.") || n.startsWith("pooler.")) {
                if (!n.endsWith("position_ids")) {
                    tensors.put(n, t);
                }
            }
        }
        // Dense weights: MatMul(x, W) -> Add(., X.bias)  or  Add(X.bias, .)
        for (OnnxNode add : graph.nodes()) {
            if (!add.opType().equals("Add")) {
                continue;
            }
            for (String in : add.inputs()) {
                if (!in.endsWith(".bias") || !tensors.containsKey(in)) {
                    continue;
                }
                String weightName = in.substring(0, in.length() - ".bias".length()) + ".weight";
                if (tensors.containsKey(weightName)) {
                    continue;
                }
                for (String other : add.inputs()) {
                    Optional<OnnxNode> mm = graph.producer(other).filter(p -> p.opType().equals("MatMul"));
                    if (mm.isPresent() && mm.get().inputs().size() == 2) {
                        OnnxTensor w = graph.initializers().get(mm.get().inputs().get(1));
                        if (w != null && w.dims().length == 2) {
                            tensors.put(weightName, w);
                            transposed.add(weightName);
                        }
                    }
                }
            }
        }
        // Named weights used by Gemm without transB are stored [in, out] as well.
        for (OnnxNode gemm : graph.nodes()) {
            if (gemm.opType().equals("Gemm") && gemm.inputs().size() >= 2 && gemm.intAttributes().getOrDefault("transB", 0L) == 0L) {
                String w = gemm.inputs().get(1);
                if (tensors.containsKey(w)) {
                    transposed.add(w);
                }
            }
        }
    }

    /**
     * The BERT config implied by the graph.
     *
     * @param fallbackHeads attention heads to use if the graph does not show them (weight shapes cannot)
     */
    public BertConfig config(int fallbackHeads) {
        long[] words = require("embeddings.word_embeddings.weight");
        long[] positions = require("embeddings.position_embeddings.weight");
        long[] types = require("embeddings.token_type_embeddings.weight");
        long[] inter = require("encoder.layer.0.intermediate.dense.bias");
        int layers = 0;
        for (String n : tensors.keySet()) {
            Matcher m = LAYER.matcher(n);
            if (m.find()) {
                layers = Math.max(layers, Integer.parseInt(m.group(1)) + 1);
            }
        }
        boolean erf = graph.nodes().stream().anyMatch(n -> n.opType().equals("Erf"));
        boolean tanhGelu = !erf && graph.nodes().stream().filter(n -> n.opType().equals("Tanh")).count() > 1;
        String act = erf ? "gelu" : tanhGelu ? "gelu_new" : "gelu";
        int heads = attentionHeads((int) words[1]).orElse(fallbackHeads);
        return new BertConfig((int) words[1], layers, heads, (int) inter[0], (int) positions[0], (int) types[0],
                (int) words[0], layerNormEps(), act, 0, "bert", List.of("BertModel"), 0.1, 0.1);
    }

    /**
     * Attention heads, read from the Reshape that splits {@code [B, T, H]} into {@code [B, T, heads, H/heads]}: its
     * target shape is a constant or a Concat ending in two constants whose product is H.
     */
    private Optional<Integer> attentionHeads(int hidden) {
        for (OnnxNode reshape : graph.nodes()) {
            if (!reshape.opType().equals("Reshape") || reshape.inputs().size() < 2) {
                continue;
            }
            String shapeName = reshape.inputs().get(1);
            long[] shape = longs(graph.initializers().get(shapeName));
            if (shape == null) {
                Optional<OnnxNode> concat = graph.producer(shapeName).filter(n -> n.opType().equals("Concat"));
                if (concat.isEmpty() || concat.get().inputs().size() != 4) {
                    continue;
                }
                List<String> parts = concat.get().inputs();
                long[] h = longs(graph.initializers().get(parts.get(2)));
                long[] d = longs(graph.initializers().get(parts.get(3)));
                if (h == null || d == null || h.length != 1 || d.length != 1) {
                    continue;
                }
                shape = new long[] {0, 0, h[0], d[0]};
            }
            if (shape.length == 4 && shape[2] > 0 && shape[2] * shape[3] == hidden) {
                return Optional.of((int) shape[2]);
            }
        }
        return Optional.empty();
    }

    private static long[] longs(OnnxTensor t) {
        if (t == null || t.dataType() != OnnxTensor.INT64) {
            return null;
        }
        java.nio.LongBuffer b = t.data().duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN).asLongBuffer();
        long[] v = new long[b.remaining()];
        b.get(v);
        return v;
    }

    /** Epsilon of the decomposed layer norms: the constant added to the variance before Sqrt; 1e-12 if not found. */
    private double layerNormEps() {
        for (OnnxNode sqrt : graph.nodes()) {
            if (!sqrt.opType().equals("Sqrt")) {
                continue;
            }
            Optional<OnnxNode> add = graph.producer(sqrt.inputs().get(0)).filter(p -> p.opType().equals("Add"));
            if (add.isPresent()) {
                for (String in : add.get().inputs()) {
                    OnnxTensor c = graph.initializers().get(in);
                    if (c != null && c.elementCount() == 1 && c.dataType() == OnnxTensor.FLOAT) {
                        return c.toFloatArray()[0];
                    }
                }
            }
        }
        return 1e-12;
    }

    private long[] require(String name) {
        OnnxTensor t = tensors.get(name);
        if (t == null) {
            throw new GraftException(description + ": no tensor '" + name + "'; this ONNX file is not a BERT encoder export");
        }
        return t.dims();
    }

    @Override
    public Set<String> names() {
        return Set.copyOf(tensors.keySet());
    }

    @Override
    public long[] shape(String name) {
        long[] d = tensor(name).dims();
        return transposed.contains(name) ? new long[] {d[1], d[0]} : d.clone();
    }

    @Override
    public float[] readFloats(String name) {
        OnnxTensor t = tensor(name);
        float[] v = t.toFloatArray();
        if (!transposed.contains(name)) {
            return v;
        }
        int rows = (int) t.dims()[0];
        int cols = (int) t.dims()[1];
        float[] out = new float[v.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = v[r * cols + c];
            }
        }
        return out;
    }

    private OnnxTensor tensor(String name) {
        OnnxTensor t = tensors.get(name);
        if (t == null) {
            throw new GraftException(description + ": no tensor '" + name + "'");
        }
        return t;
    }

    @Override
    public String description() {
        return description;
    }
}

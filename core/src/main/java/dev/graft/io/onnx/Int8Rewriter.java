package dev.graft.io.onnx;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Rewrites an fp32 graph's dense products — {@code MatMul(x, W)} with W a constant float [in, out], and the {@code Add}
 * of a constant bias [out] after it — into dynamic int8 products ({@link Int8MatMul}), leaving the rest of the graph
 * as it was. Which products to quantise, and how to smooth their inputs, is the caller's {@link Plan}.
 *
 * <p>Smoothing (SmoothQuant, Xiao et al. 2023, arXiv:2211.10438): activations with a few channels far larger than the
 * rest lose the small ones to a per-tensor 8-bit scale. Dividing input channel i by {@code s[i]} and multiplying row i
 * of W by it leaves the product unchanged and moves the outliers into the weights, which have a scale per column. The
 * division is a {@code Mul} by {@code 1/s} on the shared input (Q, K and V read one input: one {@code Mul}), because
 * in a post-LayerNorm encoder the normalised value also feeds the residual and cannot absorb it.
 */
public final class Int8Rewriter {
    private Int8Rewriter() {
    }

    /**
     * One quantisable product.
     *
     * @param node   the MatMul node's name
     * @param input  its activation input [..., in]
     * @param weight its weight initializer [in, out]
     * @param biasAdd the Add node adding a constant [out] bias to its output, or null
     * @param bias   that bias initializer, or null
     */
    public record Candidate(String node, String input, String weight, int in, int out, String biasAdd, String bias) {
    }

    /**
     * What to quantise, and how.
     *
     * @param quantize  weight names of the candidates to quantise (the others stay fp32)
     * @param smoothing per activation input name, the per-channel divisor s [in] (absent: none)
     */
    public record Plan(Int8MatMul.Form form, boolean reduceRange, Set<String> quantize, Map<String, float[]> smoothing) {
        public Plan {
            quantize = Set.copyOf(quantize);
            smoothing = Map.copyOf(smoothing);
        }
    }

    /**
     * The graph's quantisable products, in node order.
     *
     * @param eligible which weight names may be quantised (e.g. not a task head's)
     */
    public static List<Candidate> candidates(OnnxGraphBuilder g, Predicate<String> eligible) {
        Map<String, OnnxGraphBuilder.Initializer> inits = initializers(g);
        Map<String, Integer> uses = new HashMap<>();
        Map<String, List<OnnxGraphBuilder.Node>> consumers = new HashMap<>();
        for (OnnxGraphBuilder.Node n : g.nodes()) {
            for (String i : n.inputs()) {
                uses.merge(i, 1, Integer::sum);
                consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
            }
        }
        List<Candidate> out = new ArrayList<>();
        for (OnnxGraphBuilder.Node n : g.nodes()) {
            if (!n.opType().equals("MatMul") || !n.domain().isEmpty()) {
                continue;
            }
            OnnxGraphBuilder.Initializer w = inits.get(n.inputs().get(1));
            if (w == null || w.dataType() != OnnxGraphBuilder.FLOAT || w.dims().length != 2 || uses.get(w.name()) != 1
                    || !eligible.test(w.name())) {
                continue;
            }
            int in = (int) w.dims()[0];
            int o = (int) w.dims()[1];
            String biasAdd = null;
            String bias = null;
            List<OnnxGraphBuilder.Node> next = consumers.getOrDefault(n.outputs().get(0), List.of());
            if (next.size() == 1 && next.get(0).opType().equals("Add") && next.get(0).inputs().get(0).equals(n.outputs().get(0))) {
                OnnxGraphBuilder.Initializer b = inits.get(next.get(0).inputs().get(1));
                if (b != null && b.dataType() == OnnxGraphBuilder.FLOAT && b.dims().length == 1 && b.dims()[0] == o
                        && uses.get(b.name()) == 1) {
                    biasAdd = next.get(0).name();
                    bias = b.name();
                }
            }
            out.add(new Candidate(n.name(), n.inputs().get(0), w.name(), in, o, biasAdd, bias));
        }
        return out;
    }

    /** A weight initializer's values, row-major. */
    public static float[] floats(OnnxGraphBuilder g, String name) {
        OnnxGraphBuilder.Initializer t = initializers(g).get(name);
        float[] v = new float[t.data().remaining() / 4];
        t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    /**
     * A copy of {@code g} with the planned products quantised; initializers no node reads any more are dropped.
     *
     * @param candidates from {@link #candidates} on {@code g}
     */
    public static OnnxGraphBuilder rewrite(OnnxGraphBuilder g, List<Candidate> candidates, Plan plan) {
        Map<String, Candidate> byNode = new HashMap<>();
        Set<String> fusedAdds = new HashSet<>();
        for (Candidate c : candidates) {
            if (plan.quantize().contains(c.weight())) {
                byNode.put(c.node(), c);
                if (c.biasAdd() != null) {
                    fusedAdds.add(c.biasAdd());
                }
            }
        }
        OnnxGraphBuilder out = new OnnxGraphBuilder();
        g.inputs().forEach(out::copyInput);
        g.initializers().forEach(t -> out.reserve(t.name()));
        g.nodes().forEach(n -> {
            out.reserve(n.name());
            n.outputs().forEach(out::reserve);
        });
        Map<String, String> smoothed = new HashMap<>();
        for (OnnxGraphBuilder.Node n : g.nodes()) {
            if (fusedAdds.contains(n.name())) {
                continue;
            }
            Candidate c = byNode.get(n.name());
            if (c == null) {
                out.copy(n);
                continue;
            }
            try (var s = out.scope(c.weight().replaceFirst("\\.weight$", "") + ".int8")) {
                float[] w = floats(g, c.weight());
                String x = c.input();
                float[] sm = plan.smoothing().get(x);
                if (sm != null) {
                    x = smoothed.computeIfAbsent(x, k -> out.mul(k, out.weight(k + "_smooth_inverse", inverse(sm), sm.length)));
                    for (int i = 0; i < c.in(); i++) {
                        for (int j = 0; j < c.out(); j++) {
                            w[i * c.out() + j] *= sm[i];
                        }
                    }
                }
                String y = Int8MatMul.emit(out, c.weight(), w, c.in(), c.out(), c.bias(), x, plan.form(), plan.reduceRange());
                String name = c.biasAdd() != null ? outputOf(g, c.biasAdd()) : n.outputs().get(0);
                out.copy(new OnnxGraphBuilder.Node(out.unique("Identity"), "Identity", List.of(y), List.of(name), List.of()));
            }
        }
        Set<String> read = new HashSet<>();
        out.nodes().forEach(n -> read.addAll(n.inputs()));
        for (OnnxGraphBuilder.Initializer t : g.initializers()) {
            if (read.contains(t.name())) {
                out.copyInitializer(t);
            }
        }
        g.outputs().forEach(out::copyOutput);
        return out;
    }

    /**
     * A copy of {@code g} that also outputs {@code values} (float, shape unstated), to read intermediate activations.
     */
    public static OnnxGraphBuilder withOutputs(OnnxGraphBuilder g, List<String> values) {
        OnnxGraphBuilder out = new OnnxGraphBuilder();
        g.inputs().forEach(out::copyInput);
        g.initializers().forEach(out::copyInitializer);
        g.nodes().forEach(out::copy);
        g.outputs().forEach(out::copyOutput);
        for (String v : new LinkedHashSet<>(values)) {
            out.copyOutput(new OnnxGraphBuilder.ValueInfo(v, OnnxGraphBuilder.FLOAT, null));
        }
        return out;
    }

    private static float[] inverse(float[] s) {
        float[] r = new float[s.length];
        for (int i = 0; i < s.length; i++) {
            r[i] = 1 / s[i];
        }
        return r;
    }

    private static String outputOf(OnnxGraphBuilder g, String node) {
        return g.nodes().stream().filter(n -> n.name().equals(node)).findFirst().orElseThrow().outputs().get(0);
    }

    private static Map<String, OnnxGraphBuilder.Initializer> initializers(OnnxGraphBuilder g) {
        Map<String, OnnxGraphBuilder.Initializer> m = new HashMap<>();
        g.initializers().forEach(t -> m.put(t.name(), t));
        return m;
    }
}

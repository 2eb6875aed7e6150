package dev.graft.peft.fusion;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdapterFusion's combination (Pfeiffer et al., "AdapterFusion: Non-Destructive Task Composition for Transfer
 * Learning", EACL 2021, https://arxiv.org/abs/2005.00247) at one site: attention from the sub-layer output over the
 * source adapters' outputs,
 * <pre>
 *   q = y·W_Qᵀ + b_Q                 [..., H]
 *   kₙ = δₙ·W_Kᵀ + b_K,  vₙ = δₙ·W_Vᵀ + b_V     [..., N, H]
 *   sₙ = softmaxₙ(q · kₙ)            [..., N]
 *   out = y + Σₙ sₙ vₙ              [..., H]
 * </pre>
 * Parameters (saved under {@code <site>.adapter_fusion.}): {@code query}, {@code key}, {@code value}, each a
 * {@code weight} [H, H] and a {@code bias} [H].
 */
final class FusionAttention implements Combiner {
    private final Map<String, Parameter> parameters;
    /** The saved-name prefix of the parameters, naming them in an exported graph. */
    private final String prefix;
    private final Parameter wq;
    private final Parameter bq;
    private final Parameter wk;
    private final Parameter bk;
    private final Parameter wv;
    private final Parameter bv;

    FusionAttention(String prefix, Parameter wq, Parameter bq, Parameter wk, Parameter bk, Parameter wv, Parameter bv) {
        this.wq = wq;
        this.bq = bq;
        this.wk = wk;
        this.bk = bk;
        this.wv = wv;
        this.bv = bv;
        Map<String, Parameter> p = new LinkedHashMap<>();
        p.put(prefix + "query.weight", wq);
        p.put(prefix + "query.bias", bq);
        p.put(prefix + "key.weight", wk);
        p.put(prefix + "key.bias", bk);
        p.put(prefix + "value.weight", wv);
        p.put(prefix + "value.bias", bv);
        this.parameters = java.util.Collections.unmodifiableMap(p);
        this.prefix = prefix;
    }

    /** The graph form of {@link #combine} for [B, T, H] and [B, T, N, H]. */
    @Override
    public String exportOnnx(dev.graft.model.nn.OnnxExport export, String y, String deltas) {
        var g = export.graph();
        String q = g.unsqueeze(export.linear(prefix + "query", wq, bq, y), 2);    // [B, T, 1, H]
        String k = export.linear(prefix + "key", wk, bk, deltas);                   // [B, T, N, H]
        String v = export.linear(prefix + "value", wv, bv, deltas);                 // [B, T, N, H]
        String probs = g.softmax(g.reduceSum(g.mul(q, k), false, 3), -1);          // [B, T, N]
        return g.add(y, g.reduceSum(g.mul(g.unsqueeze(probs, 3), v), false, 2));   // [B, T, H]
    }

    @Override
    public NDArray combine(NDArray y, NDArray deltas) {
        int r = y.getShape().dimension();
        NDArray q = Linear.linear(y, wq.getArray(), bq.getArray()).singletonOrThrow();
        NDArray k = Linear.linear(deltas, wk.getArray(), bk.getArray()).singletonOrThrow();
        NDArray v = Linear.linear(deltas, wv.getArray(), bv.getArray()).singletonOrThrow();
        NDArray qe = q.expandDims(r - 1);                       // [..., 1, H]
        NDArray prod = qe.mul(k);                                // [..., N, H]
        NDArray scores = prod.sum(new int[] {r});                // [..., N]
        NDArray probs = scores.softmax(r - 1);
        NDArray weighted = probs.expandDims(r).mul(v);           // [..., N, H]
        NDArray out = weighted.sum(new int[] {r - 1});           // [..., H]
        for (NDArray t : new NDArray[] {q, k, qe, prod, scores, weighted}) {
            t.close();
        }
        return y.add(out);
    }

    @Override
    public Map<String, Parameter> parameters() {
        return parameters;
    }
}

package dev.graft.model.bert;

import ai.djl.ndarray.NDArray;
import dev.graft.model.nn.AttentionHook;
import dev.graft.model.nn.HfLinear;
import dev.graft.model.nn.HfModule;
import dev.graft.model.nn.OnnxAttentionHook;
import dev.graft.model.nn.OnnxExport;
import dev.graft.runtime.Arrays2;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** HF {@code attention.self}: multi-head scaled dot-product attention with {@code query}, {@code key}, {@code value}. */
public final class BertSelfAttention extends HfModule {
    private final HfLinear query;
    private final HfLinear key;
    private final HfLinear value;
    private final int heads;
    private final int headSize;
    private final float dropout;
    private final List<AttentionHook> hooks = new CopyOnWriteArrayList<>();

    BertSelfAttention(BertConfig c) {
        query = hfChild("query", new HfLinear(c.hiddenSize(), c.hiddenSize(), true));
        key = hfChild("key", new HfLinear(c.hiddenSize(), c.hiddenSize(), true));
        value = hfChild("value", new HfLinear(c.hiddenSize(), c.hiddenSize(), true));
        heads = c.numAttentionHeads();
        headSize = c.headSize();
        dropout = c.attentionDropoutProb().floatValue();
    }

    /**
     * @param x        [B, T, H]
     * @param maskBias [B, 1, 1, T] additive mask: 0 for real tokens, a huge negative number for padding
     * @return the attention context, [B, T, H]
     */
    public NDArray forward(NDArray x, NDArray maskBias, boolean training) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        // Scaling q before the product is cheaper than scaling the [B, heads, T, T] scores, and equal in exact math.
        // Every intermediate is closed as soon as it is consumed (see Arrays2.replace): at batch 32 × 256 tokens the
        // score tensors alone are 100 MB per layer.
        NDArray q = split(query.forward(x, training), b, t);
        q.muli(Arrays2.scalar(q.getManager(), (float) (1.0 / Math.sqrt(headSize))));
        NDArray k = split(key.forward(x, training), b, t);
        NDArray v = split(value.forward(x, training), b, t);
        NDArray mask = maskBias;
        for (AttentionHook hook : hooks) {
            AttentionHook.KeysValues kv = hook.extend(k, v, mask, training);
            k = Arrays2.replace(k, kv.keys());
            v = Arrays2.replace(v, kv.values());
            mask = kv.maskBias();
        }
        NDArray kt = k.transpose(0, 1, 3, 2);
        k.close();
        NDArray scores = q.matMul(kt).addi(mask);
        q.close();
        kt.close();
        if (mask != maskBias) {
            mask.close();
        }
        NDArray probs = scores.softmax(-1);
        scores.close();
        probs = Arrays2.replace(probs, Dropouts.apply(probs, dropout, training));
        NDArray context = probs.matMul(v);
        probs.close();
        v.close();
        NDArray merged = context.transpose(0, 2, 1, 3);
        context.close();
        NDArray out = merged.reshape(b, t, (long) heads * headSize);
        merged.close();
        return out;
    }

    /**
     * The graph form of {@link #forward} at inference.
     *
     * @param name     the module's HF path, e.g. {@code encoder.layer.0.attention.self}
     * @param x        [B, T, H]
     * @param maskBias [B, 1, 1, T]
     * @return [B, T, H]
     * @throws dev.graft.GraftException when a hook has no ONNX form
     */
    public String exportOnnx(OnnxExport export, String name, String x, String maskBias) {
        var g = export.graph();
        String q = g.mul(split(g, query.exportOnnx(export, name + ".query", x)),
                g.scalar((float) (1.0 / Math.sqrt(headSize))));
        String k = split(g, key.exportOnnx(export, name + ".key", x));
        String v = split(g, value.exportOnnx(export, name + ".value", x));
        String mask = maskBias;
        for (AttentionHook hook : hooks) {
            if (!(hook instanceof OnnxAttentionHook o)) {
                throw new dev.graft.GraftException(name + ": the change " + hook.getClass().getSimpleName()
                        + " makes to attention has no ONNX form; it cannot be exported");
            }
            OnnxAttentionHook.Extended kv = o.exportExtend(export, k, v, mask);
            k = kv.keys();
            v = kv.values();
            mask = kv.maskBias();
        }
        String scores = g.add(g.matMul(q, g.transpose(k, 0, 1, 3, 2)), mask);
        String context = g.matMul(g.softmax(scores, -1), v);
        return g.reshape(g.transpose(context, 0, 2, 1, 3), 0, 0, (long) heads * headSize);
    }

    /** [B, T, H] to [B, heads, T, headSize] in the graph. */
    private String split(dev.graft.io.onnx.OnnxGraphBuilder g, String x) {
        return g.transpose(g.reshape(x, 0, 0, heads, headSize), 0, 2, 1, 3);
    }

    public void addHook(AttentionHook hook) {
        hooks.add(hook);
    }

    public boolean removeHook(AttentionHook hook) {
        return hooks.remove(hook);
    }

    /** The installed hooks, in order (a copy). */
    public List<AttentionHook> hooks() {
        return List.copyOf(hooks);
    }

    public int heads() {
        return heads;
    }

    public int headSize() {
        return headSize;
    }

    /** [B, T, H] to [B, heads, T, headSize]. */
    private NDArray split(NDArray x, long b, long t) {
        NDArray r = x.reshape(b, t, heads, headSize);
        x.close();
        NDArray out = r.transpose(0, 2, 1, 3);
        r.close();
        return out;
    }
}

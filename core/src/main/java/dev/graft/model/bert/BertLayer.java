package dev.graft.model.bert;

import ai.djl.ndarray.NDArray;
import dev.graft.model.nn.HfLayerNorm;
import dev.graft.model.nn.HfLinear;
import dev.graft.model.nn.HfModule;
import dev.graft.model.nn.OnnxExport;
import dev.graft.runtime.Arrays2;

/**
 * HF {@code encoder.layer.N}: post-norm transformer layer. Sub-module paths: {@code attention.self.{query,key,value}},
 * {@code attention.output.{dense,LayerNorm}}, {@code intermediate.dense}, {@code output.{dense,LayerNorm}}.
 */
public final class BertLayer extends HfModule {
    private final BertSelfAttention self;
    private final HfLinear attentionDense;
    private final HfLayerNorm attentionNorm;
    private final HfLinear intermediate;
    private final HfLinear outputDense;
    private final HfLayerNorm outputNorm;
    private final String activation;
    private final float dropout;

    /** A layer with unset parameters (the weight loader or the caller sets them by HF name). */
    public BertLayer(BertConfig c) {
        Group attention = hfChild("attention", new Group());
        self = attention.add("self", new BertSelfAttention(c));
        Group attentionOutput = attention.add("output", new Group());
        attentionDense = attentionOutput.add("dense", new HfLinear(c.hiddenSize(), c.hiddenSize(), true));
        attentionNorm = attentionOutput.add("LayerNorm", new HfLayerNorm(c.hiddenSize(), (float) c.layerNormEps()));
        intermediate = hfChild("intermediate", new Group()).add("dense", new HfLinear(c.hiddenSize(), c.intermediateSize(), true));
        Group output = hfChild("output", new Group());
        outputDense = output.add("dense", new HfLinear(c.intermediateSize(), c.hiddenSize(), true));
        outputNorm = output.add("LayerNorm", new HfLayerNorm(c.hiddenSize(), (float) c.layerNormEps()));
        activation = c.hiddenAct();
        dropout = c.hiddenDropoutProb().floatValue();
    }

    /**
     * @param x        [B, T, H]
     * @param maskBias [B, 1, 1, T]
     * @return [B, T, H]
     */
    public NDArray forward(NDArray x, NDArray maskBias, boolean training) {
        NDArray context = self.forward(x, maskBias, training);
        NDArray attended = attentionDense.forward(context, training);
        context.close();
        attended = Arrays2.replace(attended, Dropouts.apply(attended, dropout, training));
        NDArray h = attentionNorm.forward(attended.addi(x));
        attended.close();
        NDArray pre = intermediate.forward(h, training);
        NDArray inner = Activations.apply(activation, pre);
        pre.close();
        NDArray out = outputDense.forward(inner, training);
        inner.close();
        out = Arrays2.replace(out, Dropouts.apply(out, dropout, training));
        NDArray result = outputNorm.forward(out.addi(h));
        out.close();
        h.close();
        return result;
    }

    /**
     * The graph form of {@link #forward} at inference.
     *
     * @param name     the layer's HF path, e.g. {@code encoder.layer.0}
     * @param x        [B, T, H]
     * @param maskBias [B, 1, 1, T]
     * @return [B, T, H]
     */
    public String exportOnnx(OnnxExport export, String name, String x, String maskBias) {
        var g = export.graph();
        String context = self.exportOnnx(export, name + ".attention.self", x, maskBias);
        String attended = attentionDense.exportOnnx(export, name + ".attention.output.dense", context);
        String h = attentionNorm.exportOnnx(export, name + ".attention.output.LayerNorm", g.add(attended, x));
        String pre = intermediate.exportOnnx(export, name + ".intermediate.dense", h);
        String inner = Activations.exportOnnx(activation, g, pre);
        String out = outputDense.exportOnnx(export, name + ".output.dense", inner);
        return outputNorm.exportOnnx(export, name + ".output.LayerNorm", g.add(out, h));
    }

    /** The self-attention block ({@code attention.self}). */
    public BertSelfAttention selfAttention() {
        return self;
    }

    /** A named container with no computation of its own (HF's {@code attention}, {@code output}, ...). */
    public static final class Group extends HfModule {
        /** Registers {@code module} under the local HF name {@code name}. */
        public <M extends HfModule> M add(String name, M module) {
            return hfChild(name, module);
        }
    }
}

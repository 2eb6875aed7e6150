package dev.graft.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.graft.model.Encoder;
import dev.graft.model.EncoderOutput;
import dev.graft.io.onnx.OnnxGraphBuilder;
import dev.graft.model.nn.HfLinear;
import dev.graft.model.nn.OnnxExport;
import dev.graft.model.nn.HfModule;
import dev.graft.model.nn.InputHook;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The BERT encoder (BERT, MiniLM, BGE, E5) as HF's {@code BertModel}: {@code embeddings}, {@code encoder.layer.N},
 * optional {@code pooler.dense}. Parameter names match HF checkpoints exactly.
 */
public final class BertModel extends HfModule implements Encoder {
    /** HF masks padding with the most negative float so its softmax weight is exactly zero. */
    private static final float MASK_VALUE = -Float.MAX_VALUE;

    private final BertConfig config;
    private final BertEmbeddings embeddings;
    private final List<BertLayer> layers = new ArrayList<>();
    private final HfLinear pooler;
    private volatile InputHook inputHook;

    /**
     * @param config     the architecture
     * @param withPooler whether the checkpoint has {@code pooler.dense} (sentence-transformers exports may not)
     */
    public BertModel(BertConfig config, boolean withPooler) {
        this.config = config;
        embeddings = hfChild("embeddings", new BertEmbeddings(config));
        BertLayer.Group encoder = hfChild("encoder", new BertLayer.Group());
        BertLayer.Group layerList = encoder.add("layer", new BertLayer.Group());
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(layerList.add(Integer.toString(i), new BertLayer(config)));
        }
        pooler = withPooler
                ? hfChild("pooler", new BertLayer.Group()).add("dense", new HfLinear(config.hiddenSize(), config.hiddenSize(), true))
                : null;
    }

    @Override
    public EncoderOutput encode(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds, boolean training,
                                boolean allHiddenStates) {
        long b = inputIds.getShape().get(0);
        long t = inputIds.getShape().get(1);
        if (t > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("sequence length " + t + " exceeds max_position_embeddings "
                    + config.maxPositionEmbeddings());
        }
        NDArray maskBias = maskBias(attentionMask);
        InputHook prompts = inputHook;
        int virtual = prompts == null ? 0 : prompts.virtualTokens();
        if (t + virtual > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("sequence length " + t + " plus " + virtual
                    + " virtual tokens exceeds max_position_embeddings " + config.maxPositionEmbeddings());
        }
        if (virtual > 0) {
            maskBias = inputIds.getManager().zeros(new Shape(b, 1, 1, virtual)).concat(maskBias, 3);
        }
        NDArray h = embeddings.forward(inputIds, tokenTypeIds, prompts, training);
        List<NDArray> hidden = new ArrayList<>();
        if (allHiddenStates) {
            hidden.add(h);
        }
        for (BertLayer layer : layers) {
            NDArray next = layer.forward(h, maskBias, training);
            if (allHiddenStates) {
                hidden.add(next);
            } else {
                h.close(); // the layer's input is consumed: free it now, not when the batch ends
            }
            h = next;
        }
        maskBias.close();
        if (virtual > 0) {
            // hidden states of the real tokens only, so pooling and heads see the usual [B, T, H]
            String real = ":, " + virtual + ":, :";
            h = h.get(real);
            hidden.replaceAll(x -> x.get(real));
        }
        NDArray pooled = null;
        if (pooler != null) {
            pooled = pooler.forward(h.get(":, 0, :"), training).tanh();
        }
        return new EncoderOutput(h, pooled, hidden);
    }

    /**
     * Writes this encoder, with its installed hooks, into an ONNX graph: the graph form of {@link #encode} at
     * inference (no dropout). Declares the inputs {@code input_ids}, {@code attention_mask}, {@code token_type_ids},
     * int64 [batch, sequence].
     *
     * @throws dev.graft.GraftException when an installed hook has no ONNX form
     */
    public dev.graft.model.Architecture.EncoderGraph exportOnnx(OnnxExport export) {
        OnnxGraphBuilder g = export.graph();
        String ids = g.input("input_ids", OnnxGraphBuilder.INT64, "batch", "sequence");
        String mask = g.input("attention_mask", OnnxGraphBuilder.INT64, "batch", "sequence");
        String types = g.input("token_type_ids", OnnxGraphBuilder.INT64, "batch", "sequence");
        String maskBias;
        try (var s = g.scope("mask")) {
            // (1 - mask) · (most negative float), [B, 1, 1, T]: as maskBias()
            String m = g.cast(mask, OnnxGraphBuilder.FLOAT);
            maskBias = g.unsqueeze(g.mul(g.sub(g.scalar(1f), m), g.scalar(MASK_VALUE)), 1, 2);
        }
        InputHook prompts = inputHook;
        int virtual = prompts == null ? 0 : prompts.virtualTokens();
        if (virtual > 0) {
            // the virtual tokens are always attended: zeros in front of the mask
            try (var s = g.scope("mask")) {
                String zeros = g.weight("mask/virtual_tokens", new float[virtual], 1, 1, 1, virtual);
                String shape = g.concat(0, g.batchDim(ids), g.ints(1, 1, 1));
                maskBias = g.concat(3, g.op("Expand", java.util.List.of(zeros, shape)), maskBias);
            }
        }
        String h = embeddings.exportOnnx(export, "embeddings", ids, types, prompts);
        for (int i = 0; i < layers.size(); i++) {
            String name = "encoder.layer." + i;
            try (var s = g.scope(name)) {
                h = layers.get(i).exportOnnx(export, name, h, maskBias);
            }
        }
        if (virtual > 0) {
            h = g.slice(h, 1, virtual, Long.MAX_VALUE); // the real tokens' states only, as encode returns them
        }
        String pooled = null;
        if (pooler != null) {
            try (var s = g.scope("pooler")) {
                String cls = g.op("Gather", java.util.List.of(h, g.longs("pooler/first", new long[] {0})),
                        OnnxGraphBuilder.Attribute.of("axis", 1L));
                pooled = g.op("Tanh", pooler.exportOnnx(export, "pooler.dense", cls));
            }
        }
        return new dev.graft.model.Architecture.EncoderGraph(ids, mask, types, h, pooled);
    }

    /**
     * The additive attention mask.
     *
     * @param attentionMask [B, T] 1 for real tokens, 0 for padding
     * @return [B, 1, 1, T]: 0 where attended, the most negative float where masked
     */
    public static NDArray maskBias(NDArray attentionMask) {
        long b = attentionMask.getShape().get(0);
        long t = attentionMask.getShape().get(1);
        return attentionMask.toType(DataType.FLOAT32, false).neg().addi(1f).muli(MASK_VALUE).reshape(b, 1, 1, t);
    }

    /** DJL entry point: inputs (ids, mask[, typeIds]) to outputs (lastHiddenState[, pooled]). */
    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        EncoderOutput out = encode(inputs.get(0), inputs.get(1), inputs.size() > 2 ? inputs.get(2) : null, training, false);
        return out.pooled() == null ? new NDList(out.lastHiddenState()) : new NDList(out.lastHiddenState(), out.pooled());
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape ids = inputShapes[0];
        Shape last = new Shape(ids.get(0), ids.get(1), config.hiddenSize());
        return pooler == null ? new Shape[] {last} : new Shape[] {last, new Shape(ids.get(0), config.hiddenSize())};
    }

    @Override
    public Map<String, Parameter> namedParameters() {
        return super.namedParameters();
    }

    @Override
    public BertConfig config() {
        return config;
    }

    public BertEmbeddings embeddings() {
        return embeddings;
    }

    public List<BertLayer> layers() {
        return List.copyOf(layers);
    }

    /** Installs (or with null removes) the prompt-tuning hook; at most one. */
    public void setInputHook(InputHook hook) {
        this.inputHook = hook;
    }

    public InputHook inputHook() {
        return inputHook;
    }

    public boolean hasPooler() {
        return pooler != null;
    }

    @Override
    public int hiddenSize() {
        return config.hiddenSize();
    }

    @Override
    public int numLayers() {
        return config.numHiddenLayers();
    }

    @Override
    public int maxPositions() {
        return config.maxPositionEmbeddings();
    }
}

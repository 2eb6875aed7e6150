package dev.graft.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.graft.model.nn.HfEmbedding;
import dev.graft.model.nn.HfLayerNorm;
import dev.graft.model.nn.HfModule;
import dev.graft.model.nn.InputHook;
import dev.graft.model.nn.OnnxExport;
import dev.graft.model.nn.OnnxInputHook;
import dev.graft.runtime.Arrays2;

/** HF {@code embeddings}: word + position + token-type lookups, then layer norm and dropout. */
public final class BertEmbeddings extends HfModule {
    private final HfEmbedding words;
    private final HfEmbedding positions;
    private final HfEmbedding tokenTypes;
    private final HfLayerNorm norm;
    private final float dropout;

    BertEmbeddings(BertConfig c) {
        words = hfChild("word_embeddings", new HfEmbedding(c.vocabSize(), c.hiddenSize()));
        positions = hfChild("position_embeddings", new HfEmbedding(c.maxPositionEmbeddings(), c.hiddenSize()));
        tokenTypes = hfChild("token_type_embeddings", new HfEmbedding(c.typeVocabSize(), c.hiddenSize()));
        norm = hfChild("LayerNorm", new HfLayerNorm(c.hiddenSize(), (float) c.layerNormEps()));
        dropout = c.hiddenDropoutProb().floatValue();
    }

    /**
     * @param ids      [B, T] int64
     * @param typeIds  [B, T] int64, or null for all zeros
     * @return [B, T, H]
     */
    public NDArray forward(NDArray ids, NDArray typeIds, boolean training) {
        return forward(ids, typeIds, null, training);
    }

    /**
     * @param ids      [B, T] int64
     * @param typeIds  [B, T] int64, or null for all zeros
     * @param prompts  [B, P, H] virtual token embeddings to prepend (prompt tuning), or null
     * @return [B, P+T, H]
     */
    public NDArray forward(NDArray ids, NDArray typeIds, InputHook prompts, boolean training) {
        NDArray types = typeIds != null ? typeIds : ids.zerosLike();
        NDArray x = words.forward(ids);
        if (prompts != null) {
            NDArray virtual = prompts.virtualEmbeddings(x, training);
            NDArray words = x;
            x = virtual.concat(words, 1);
            words.close();
            long p = virtual.getShape().get(1);
            types = ids.getManager().zeros(new ai.djl.ndarray.types.Shape(ids.getShape().get(0), p), DataType.INT64)
                    .concat(types, 1);
        }
        long t = x.getShape().get(1);
        NDArray positionIds = ids.getManager().arange(0, (int) t, 1, DataType.INT64);
        NDArray pos = positions.forward(positionIds);
        NDArray typ = tokenTypes.forward(types);
        NDArray sum = x.add(pos).addi(typ);
        for (NDArray done : new NDArray[] {x, pos, typ, positionIds}) {
            done.close();
        }
        if (types != typeIds) {
            types.close();
        }
        NDArray normed = norm.forward(sum);
        sum.close();
        return Arrays2.replace(normed, Dropouts.apply(normed, dropout, training));
    }

    /**
     * The graph form of {@link #forward(NDArray, NDArray, InputHook, boolean)} at inference.
     *
     * @param name    the module's HF path ({@code embeddings})
     * @param ids     [B, T] int64
     * @param typeIds [B, T] int64
     * @param prompts virtual tokens to prepend, or null
     * @return [B, P+T, H]
     * @throws dev.graft.GraftException when {@code prompts} has no ONNX form
     */
    public String exportOnnx(OnnxExport export, String name, String ids, String typeIds, InputHook prompts) {
        var g = export.graph();
        try (var s = g.scope(name)) {
            String x = g.op("Gather", java.util.List.of(export.weight(name + ".word_embeddings.weight", words.weight()), ids));
            String types = typeIds;
            if (prompts != null) {
                if (!(prompts instanceof OnnxInputHook o)) {
                    throw new dev.graft.GraftException(name + ": the virtual tokens " + prompts.getClass().getSimpleName()
                            + " prepends have no ONNX form; they cannot be exported");
                }
                int p = prompts.virtualTokens();
                x = g.concat(1, o.exportVirtualEmbeddings(export, x), x);
                String zeros = g.longs(name + "/virtual_types", new long[p], 1, p);
                String shape = g.concat(0, g.batchDim(ids), g.ints(1));
                types = g.concat(1, g.op("Expand", java.util.List.of(zeros, shape)), typeIds);
            }
            // position ids 0..T-1: the first T rows of the table, broadcast over the batch
            String length = g.op("Shape", x, dev.graft.io.onnx.OnnxGraphBuilder.Attribute.of("start", 1L),
                    dev.graft.io.onnx.OnnxGraphBuilder.Attribute.of("end", 2L));
            String pos = g.op("Slice", java.util.List.of(export.weight(name + ".position_embeddings.weight", positions.weight()),
                    g.ints(0), length, g.ints(0)));
            String typ = g.op("Gather", java.util.List.of(export.weight(name + ".token_type_embeddings.weight", tokenTypes.weight()), types));
            String sum = g.add(g.add(x, pos), typ);
            return norm.exportOnnx(export, name + ".LayerNorm", sum);
        }
    }

    /** The word embedding table, [vocab, H]. */
    public HfEmbedding wordEmbeddings() {
        return words;
    }
}

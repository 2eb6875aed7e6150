package dev.graft.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.graft.model.nn.HfEmbedding;
import dev.graft.model.nn.HfLayerNorm;
import dev.graft.model.nn.HfModule;
import dev.graft.model.nn.InputHook;
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

    /** The word embedding table, [vocab, H]. */
    public HfEmbedding wordEmbeddings() {
        return words;
    }
}

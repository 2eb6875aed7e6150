package dev.graft.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.graft.model.nn.HfEmbedding;
import dev.graft.model.nn.HfLayerNorm;
import dev.graft.model.nn.HfModule;

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
        long t = ids.getShape().get(1);
        NDArray positionIds = ids.getManager().arange(0, (int) t, 1, DataType.INT64);
        NDArray types = typeIds != null ? typeIds : ids.zerosLike();
        NDArray x = words.forward(ids);
        x = x.addi(positions.forward(positionIds)).addi(tokenTypes.forward(types));
        x = norm.forward(x);
        return Dropouts.apply(x, dropout, training);
    }

    /** The word embedding table, [vocab, H]. */
    public HfEmbedding wordEmbeddings() {
        return words;
    }
}

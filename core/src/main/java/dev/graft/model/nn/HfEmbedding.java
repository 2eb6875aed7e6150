package dev.graft.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;

/** A lookup table with HF name {@code weight} [rows, dim]. */
public class HfEmbedding extends HfModule {
    private final Parameter weight;
    private final int rows;

    public HfEmbedding(int rows, int dim) {
        this.rows = rows;
        this.weight = hfParameter("weight", Parameter.Type.WEIGHT, new Shape(rows, dim));
    }

    /**
     * @param ids integer indices, any shape [...]
     * @return [..., dim]
     */
    public NDArray forward(NDArray ids) {
        return Embedding.embedding(ids, weight.getArray(), ai.djl.ndarray.types.SparseFormat.DENSE).singletonOrThrow();
    }

    public Parameter weight() {
        return weight;
    }

    public int rows() {
        return rows;
    }
}

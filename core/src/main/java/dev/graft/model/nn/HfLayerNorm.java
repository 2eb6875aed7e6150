package dev.graft.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.LayerNorm;

/** Layer normalisation over the last axis with HF names {@code weight} (γ) and {@code bias} (β), both [size]. */
public class HfLayerNorm extends HfModule {
    private final Parameter weight;
    private final Parameter bias;
    private final float eps;
    private final int size;

    public HfLayerNorm(int size, float eps) {
        this.size = size;
        this.eps = eps;
        this.weight = hfParameter("weight", Parameter.Type.GAMMA, new Shape(size));
        this.bias = hfParameter("bias", Parameter.Type.BETA, new Shape(size));
    }

    /**
     * @param x [..., size]
     * @return [..., size]
     */
    public NDArray forward(NDArray x) {
        return LayerNorm.layerNorm(x, new Shape(size), weight.getArray(), bias.getArray(), eps).singletonOrThrow();
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }
}

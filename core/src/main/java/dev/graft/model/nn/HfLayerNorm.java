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

    /**
     * The graph form of {@link #forward}: LayerNormalization (opset 17) over the last axis.
     *
     * @param name the module's HF path, naming its weights
     */
    public String exportOnnx(OnnxExport export, String name, String x) {
        return export.graph().layerNorm(x, export.weight(name + ".weight", weight), export.weight(name + ".bias", bias), eps);
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }
}

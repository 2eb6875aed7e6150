package dev.graft.model.nn;

import ai.djl.ndarray.NDArray;

/**
 * A learned change attached to an {@link HfLinear} (the "unified view" of PEFT: a modification of one layer's
 * input or output). Both methods default to identity.
 */
public interface LinearHook {
    /**
     * Transforms the layer's input before the dense product (e.g. (IA)³ scaling of the FFN's inner activations).
     *
     * @param x [..., in]
     * @return [..., in]
     */
    default NDArray beforeLinear(HfLinear layer, NDArray x, boolean training) {
        return x;
    }

    /**
     * Transforms the layer's output (e.g. LoRA adds {@code s·B(A(x))}).
     *
     * @param x the layer's original input [..., in]
     * @param y the dense output so far [..., out]
     * @return [..., out]
     */
    default NDArray afterLinear(HfLinear layer, NDArray x, NDArray y, boolean training) {
        return y;
    }
}

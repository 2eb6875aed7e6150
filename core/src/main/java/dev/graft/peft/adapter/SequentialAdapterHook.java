package dev.graft.peft.adapter;

import ai.djl.ndarray.NDArray;
import dev.graft.model.nn.HfLinear;
import dev.graft.model.nn.LinearHook;

/**
 * Applies one adapter to a dense layer's output: {@code y + up(act(down(y)))}. The output of
 * {@code attention.output.dense} / {@code output.dense} is the sub-layer's output before dropout, the residual
 * connection and the LayerNorm, which is where Houlsby et al. and Pfeiffer et al. insert their adapters.
 */
final class SequentialAdapterHook implements LinearHook {
    private final BottleneckAdapter adapter;

    SequentialAdapterHook(BottleneckAdapter adapter) {
        this.adapter = adapter;
    }

    @Override
    public NDArray afterLinear(HfLinear layer, NDArray x, NDArray y, boolean training) {
        return adapter.apply(y);
    }
}

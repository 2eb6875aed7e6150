package dev.graft.peft.adapter;

import ai.djl.ndarray.NDArray;
import dev.graft.model.nn.HfLinear;
import dev.graft.model.nn.OnnxExport;
import dev.graft.model.nn.OnnxLinearHook;

/**
 * Applies one adapter to a dense layer's output: {@code y + up(act(down(y)))}. The output of
 * {@code attention.output.dense} / {@code output.dense} is the sub-layer's output before dropout, the residual
 * connection and the LayerNorm, which is where Houlsby et al. and Pfeiffer et al. insert their adapters.
 */
final class SequentialAdapterHook implements OnnxLinearHook {
    private final String name;
    private final BottleneckAdapter adapter;

    /** @param name the adapter's saved name prefix, naming its weights in an exported graph */
    SequentialAdapterHook(String name, BottleneckAdapter adapter) {
        this.name = name;
        this.adapter = adapter;
    }

    @Override
    public NDArray afterLinear(HfLinear layer, NDArray x, NDArray y, boolean training) {
        return adapter.apply(y);
    }

    @Override
    public String exportAfterLinear(OnnxExport export, HfLinear layer, String x, String y) {
        return export.graph().add(y, adapter.exportForward(export, name, y));
    }
}

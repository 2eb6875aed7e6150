package dev.graft.peft.fusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import dev.graft.model.nn.HfLinear;
import dev.graft.model.nn.LinearHook;
import dev.graft.peft.adapter.BottleneckAdapter;
import java.util.List;

/**
 * Runs every frozen source adapter on a dense layer's output {@code y} (the sub-layer output before dropout, residual
 * and LayerNorm, where the sources were trained) and lets a {@link Combiner} merge their changes.
 */
final class CompositionHook implements LinearHook {
    private final List<BottleneckAdapter> sources;
    private final Combiner combiner;

    CompositionHook(List<BottleneckAdapter> sources, Combiner combiner) {
        this.sources = List.copyOf(sources);
        this.combiner = combiner;
    }

    @Override
    public NDArray afterLinear(HfLinear layer, NDArray x, NDArray y, boolean training) {
        NDList deltas = new NDList(sources.size());
        for (BottleneckAdapter a : sources) {
            deltas.add(a.forward(y));
        }
        NDArray stacked = NDArrays.stack(deltas, y.getShape().dimension() - 1); // [..., N, H]
        deltas.close();
        NDArray out = combiner.combine(y, stacked);
        stacked.close();
        return out;
    }
}

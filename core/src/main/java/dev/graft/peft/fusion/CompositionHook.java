package dev.graft.peft.fusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import dev.graft.model.nn.HfLinear;
import dev.graft.model.nn.OnnxExport;
import dev.graft.model.nn.OnnxLinearHook;
import dev.graft.peft.adapter.BottleneckAdapter;
import java.util.List;

/**
 * Runs every frozen source adapter on a dense layer's output {@code y} (the sub-layer output before dropout, residual
 * and LayerNorm, where the sources were trained) and lets a {@link Combiner} merge their changes.
 */
final class CompositionHook implements OnnxLinearHook {
    private final List<BottleneckAdapter> sources;
    private final Combiner combiner;

    private final String site;

    /** @param site the site's module path, e.g. {@code encoder.layer.0.output}, naming the weights in an exported graph */
    CompositionHook(String site, List<BottleneckAdapter> sources, Combiner combiner) {
        this.site = site;
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

    /** The graph form of {@link #afterLinear}: the sources' changes stacked to [B, T, N, H], then combined. */
    @Override
    public String exportAfterLinear(OnnxExport export, HfLinear layer, String x, String y) {
        var g = export.graph();
        String[] deltas = new String[sources.size()];
        for (int i = 0; i < deltas.length; i++) {
            deltas[i] = g.unsqueeze(sources.get(i).exportForward(export, site + ".sources." + i + ".adapter", y), 2);
        }
        return combiner.exportOnnx(export, y, deltas.length == 1 ? deltas[0] : g.concat(2, deltas));
    }
}

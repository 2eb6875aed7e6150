package dev.graft.merge;

import java.util.Set;

/**
 * Layer swapping: each transformer layer is taken whole from one model. Every model declares a half-open range of
 * layers with {@code layer_start} and {@code layer_end}; a tensor of layer L comes from the first model whose range
 * holds L, and otherwise (other layers, embeddings, pooler, norms) from the base model, or from the first model
 * when there is no base. Typical use (the paper's): a task expert as base, with the bottom and top layers swapped in
 * from a language expert.
 *
 * <p>Bandarkar et al., "Layer Swapping for Zero-Shot Cross-Lingual Transfer in Large Language Models", ICLR 2025,
 * arXiv:2410.01335.
 */
public final class LayerSwapMerge implements MergeMethod {
    @Override
    public String name() {
        return "layer_swap";
    }

    @Override
    public String reference() {
        return "Bandarkar et al., Layer Swapping for Zero-Shot Cross-Lingual Transfer in LLMs, arXiv:2410.01335";
    }

    @Override
    public boolean needsBase() {
        return false;
    }

    @Override
    public ElementWise<?> elementWise() {
        return ElementWise.of(this);
    }

    @Override
    public Set<String> modelParameters() {
        return Set.of("layer_start", "layer_end");
    }

    @Override
    public Set<String> globalParameters() {
        return Set.of();
    }

    @Override
    public float[] merge(MergeInput in) {
        return source(in).clone();
    }

    /** The tensor this layer takes, without copying. */
    float[] source(MergeInput in) {
        if (in.layer() >= 0) {
            for (int i = 0; i < in.count(); i++) {
                double start = in.modelParams().get(i).getOrDefault("layer_start", -1.0);
                double end = in.modelParams().get(i).getOrDefault("layer_end", -1.0);
                if (in.layer() >= start && in.layer() < end) {
                    return in.models().get(i);
                }
            }
        }
        return in.base() != null ? in.base() : in.models().get(0);
    }
}

package dev.graft.merge;

import dev.graft.GraftException;
import java.util.Set;

/**
 * Fisher-weighted averaging with a diagonal Fisher per model: θ = Σᵢ wᵢ (Fᵢ + ε) θᵢ / Σᵢ wᵢ (Fᵢ + ε), element-wise.
 * ε (default 1e-8) keeps parameters that no model's Fisher touches at the plain weighted average. The Fisher files
 * are safetensors with the model's tensor names (written by {@code graft fisher}); a tensor missing from a model's
 * file counts as Fᵢ = 0. Parameters: {@code weight} (per model, 1), {@code epsilon}.
 *
 * <p>Matena &amp; Raffel, "Merging Models with Fisher-Weighted Averaging", NeurIPS 2022, arXiv:2111.09832.
 */
public final class FisherMerge implements MergeMethod {
    @Override
    public String name() {
        return "fisher";
    }

    @Override
    public String reference() {
        return "Matena & Raffel, Merging Models with Fisher-Weighted Averaging, NeurIPS 2022, arXiv:2111.09832";
    }

    @Override
    public boolean needsBase() {
        return false;
    }

    @Override
    public boolean needsFishers() {
        return true;
    }

    @Override
    public ElementWise<?> elementWise() {
        return ElementWise.of(this);
    }

    @Override
    public Set<String> modelParameters() {
        return Set.of("weight");
    }

    @Override
    public Set<String> globalParameters() {
        return Set.of("epsilon");
    }

    @Override
    public float[] merge(MergeInput in) {
        if (in.fishers() == null || in.fishers().size() != in.count()) {
            throw new GraftException("fisher merge of '" + in.tensor() + "': every model needs a 'fisher' file");
        }
        double eps = in.param("epsilon", 1e-8);
        int n = in.size();
        float[] out = new float[n];
        for (int j = 0; j < n; j++) {
            double num = 0;
            double den = 0;
            for (int i = 0; i < in.count(); i++) {
                float[] f = in.fishers().get(i);
                double fw = in.modelParam(i, "weight", 1) * ((f == null ? 0 : f[j]) + eps);
                num += fw * in.models().get(i)[j];
                den += fw;
            }
            out[j] = (float) (den == 0 ? 0 : num / den);
        }
        return out;
    }
}

package dev.graft.merge;

import java.util.Set;

/**
 * Weighted average of the models' weights (a "model soup"): θ = Σᵢ wᵢ θᵢ / Σᵢ wᵢ, or the plain weighted sum
 * Σᵢ wᵢ θᵢ with {@code normalize: 0}. Parameters: {@code weight} (per model, default 1), {@code normalize} (default 1).
 *
 * <p>Wortsman et al., "Model soups: averaging weights of multiple fine-tuned models improves accuracy without
 * increasing inference time", ICML 2022, arXiv:2203.05482.
 */
public final class LinearMerge implements MergeMethod {
    @Override
    public String name() {
        return "linear";
    }

    @Override
    public String reference() {
        return "Wortsman et al., Model soups, ICML 2022, arXiv:2203.05482";
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
        return Set.of("weight");
    }

    @Override
    public Set<String> globalParameters() {
        return Set.of("normalize");
    }

    @Override
    public float[] merge(MergeInput in) {
        int n = in.size();
        double[] acc = new double[n];
        double wsum = 0;
        for (int i = 0; i < in.count(); i++) {
            double w = in.modelParam(i, "weight", 1);
            wsum += w;
            float[] m = in.models().get(i);
            for (int j = 0; j < n; j++) {
                acc[j] += w * m[j];
            }
        }
        double div = in.param("normalize", 1) != 0 && wsum != 0 ? wsum : 1;
        float[] out = new float[n];
        for (int j = 0; j < n; j++) {
            out[j] = (float) (acc[j] / div);
        }
        return out;
    }
}

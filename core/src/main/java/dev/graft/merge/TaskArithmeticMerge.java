package dev.graft.merge;

import java.util.Set;

/**
 * The task-vector family as one configurable method (mergekit's view): task vectors τᵢ = θᵢ − θ₀ are optionally
 * sparsified, optionally reduced to the elements that agree with an elected sign, combined as a weighted sum (or a
 * weighted mean over the contributing models), scaled by λ and added to the base:
 *
 * <pre>
 *   τ̂ᵢ = sparsify(τᵢ)                         magnitude top-k | DARE drop-and-rescale | breadcrumbs | none
 *   γ   = sign(Σᵢ wᵢ τ̂ᵢ)                        sign consensus only
 *   τ   = Σᵢ wᵢ τ̂ᵢ [agree]  /  Σᵢ wᵢ [agree]     the division only when normalised (TIES' disjoint mean)
 *   θ   = θ₀ + λ τ
 * </pre>
 *
 * Parameters: per model {@code weight} (1), {@code density} (1; fraction kept), {@code gamma} (breadcrumbs: the
 * fraction of largest magnitudes dropped, 0.01); global {@code lambda} (1), {@code normalize} (1 with sign
 * consensus, else 0), {@code majority_sign_frequency} (0: elect by summed mass; 1: by count of signs).
 *
 * <p>References: task arithmetic — Ilharco et al., "Editing Models with Task Arithmetic", ICLR 2023,
 * arXiv:2212.04089; TIES — Yadav et al., "TIES-Merging: Resolving Interference When Merging Models", NeurIPS 2023,
 * arXiv:2306.01708; DARE — Yu et al., "Language Models are Super Mario: Absorbing Abilities from Homologous Models
 * as a Free Lunch", ICML 2024, arXiv:2311.03099; breadcrumbs — Davari &amp; Belilovsky, "Model Breadcrumbs: Scaling
 * Multi-Task Model Merging with Sparse Masks", ECCV 2024, arXiv:2312.06795; magnitude pruning as used by PEFT's
 * {@code magnitude_prune}.
 */
public final class TaskArithmeticMerge implements MergeMethod {
    /** How each task vector is sparsified before combining. */
    public enum Sparsify { NONE, MAGNITUDE, RANDOM, BREADCRUMBS }

    private final String name;
    private final Sparsify sparsify;
    private final boolean consensus;
    private final String reference;

    public TaskArithmeticMerge(String name, Sparsify sparsify, boolean consensus, String reference) {
        this.name = name;
        this.sparsify = sparsify;
        this.consensus = consensus;
        this.reference = reference;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String reference() {
        return reference;
    }

    @Override
    public boolean needsBase() {
        return true;
    }

    @Override
    public Set<String> modelParameters() {
        return switch (sparsify) {
            case NONE -> Set.of("weight");
            case MAGNITUDE, RANDOM -> Set.of("weight", "density");
            case BREADCRUMBS -> Set.of("weight", "density", "gamma");
        };
    }

    @Override
    public Set<String> globalParameters() {
        return consensus ? Set.of("lambda", "normalize", "majority_sign_frequency") : Set.of("lambda", "normalize");
    }

    @Override
    public float[] merge(MergeInput in) {
        float[] base = in.requireBase(name);
        return combine(in, base);
    }

    /** The merge with an explicit base (null: zero base, as for LoRA deltas). */
    float[] combine(MergeInput in, float[] base) {
        int k = in.count();
        int n = in.size();
        float[][] tv = new float[k][];
        double[] w = new double[k];
        for (int i = 0; i < k; i++) {
            w[i] = in.modelParam(i, "weight", 1);
            tv[i] = TaskVectors.delta(in.models().get(i), base);
            double density = in.modelParam(i, "density", 1);
            switch (sparsify) {
                case MAGNITUDE -> TaskVectors.keepTopMagnitude(tv[i], density);
                case RANDOM -> TaskVectors.dropAndRescale(tv[i], density, TaskVectors.streamSeed(in.seed(), in.tensor(), i));
                case BREADCRUMBS -> TaskVectors.keepBreadcrumbs(tv[i], density, in.modelParam(i, "gamma", 0.01));
                case NONE -> { }
            }
        }
        byte[] sign = consensus ? TaskVectors.electSign(tv, w, in.param("majority_sign_frequency", 0) != 0) : null;
        boolean normalize = in.param("normalize", consensus ? 1 : 0) != 0;
        double lambda = in.param("lambda", 1);
        float[] out = new float[n];
        for (int j = 0; j < n; j++) {
            double sum = 0;
            double wsum = 0;
            for (int i = 0; i < k; i++) {
                float v = tv[i][j];
                if (sign != null && (v == 0 || (v > 0 ? 1 : -1) != sign[j])) {
                    continue;
                }
                sum += w[i] * v;
                wsum += w[i];
            }
            double t = normalize ? (wsum == 0 ? 0 : sum / wsum) : sum;
            out[j] = (float) ((base == null ? 0 : base[j]) + lambda * t);
        }
        return out;
    }
}

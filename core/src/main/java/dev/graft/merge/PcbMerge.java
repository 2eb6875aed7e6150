package dev.graft.merge;

import java.util.Set;

/**
 * PCB-merging (parameter competition balancing), per tensor, with task vectors τᵢ = θᵢ − θ₀ of N models:
 *
 * <pre>
 *   Norm(x)   = (x − min x) / (max x − min x)                      over the tensor's elements
 *   β_intra,i = Softmax(N · Norm(τᵢ ⊙ τᵢ))                          importance within task i
 *   β_inter,i = Σⱼ Softmax(Norm(τᵢ ⊙ τⱼ))                           agreement with the other tasks
 *   βᵢ        = β_intra,i ⊙ β_inter,i
 *   β̂ᵢ        = βᵢ where βᵢ is among the top {@code density} fraction of βᵢ, else 0   (drop)
 *   τ         = Σᵢ β̂ᵢ ⊙ τᵢ / Σᵢ β̂ᵢ                                   (rescale; 0 where every β̂ᵢ is 0)
 *   θ         = θ₀ + λ τ
 * </pre>
 * Softmax runs over the tensor's elements. Parameters: {@code density} (global, default 0.2), {@code lambda} (1).
 *
 * <p>Du et al., "Parameter Competition Balancing for Model Merging", NeurIPS 2024, arXiv:2410.02396.
 */
public final class PcbMerge implements MergeMethod {
    @Override
    public String name() {
        return "pcb";
    }

    @Override
    public String reference() {
        return "Du et al., Parameter Competition Balancing for Model Merging, NeurIPS 2024, arXiv:2410.02396";
    }

    @Override
    public boolean needsBase() {
        return true;
    }

    @Override
    public Set<String> modelParameters() {
        return Set.of();
    }

    @Override
    public Set<String> globalParameters() {
        return Set.of("density", "lambda");
    }

    @Override
    public float[] merge(MergeInput in) {
        float[] base = in.requireBase(name());
        int k = in.count();
        int n = in.size();
        float[][] tv = new float[k][];
        for (int i = 0; i < k; i++) {
            tv[i] = TaskVectors.delta(in.models().get(i), base);
        }
        float[][] beta = new float[k][];
        float[] prod = new float[n];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < n; j++) {
                prod[j] = tv[i][j] * tv[i][j];
            }
            float[] b = softmaxOfNorm(prod, k);
            float[] inter = new float[n];
            for (int o = 0; o < k; o++) {
                for (int j = 0; j < n; j++) {
                    prod[j] = tv[i][j] * tv[o][j];
                }
                float[] s = softmaxOfNorm(prod, 1);
                for (int j = 0; j < n; j++) {
                    inter[j] += s[j];
                }
            }
            for (int j = 0; j < n; j++) {
                b[j] *= inter[j];
            }
            beta[i] = b;
        }
        double density = in.param("density", 0.2);
        for (float[] b : beta) {
            TaskVectors.keepTopMagnitude(b, density); // β ≥ 0, so magnitude order is value order
        }
        double lambda = in.param("lambda", 1);
        float[] out = new float[n];
        for (int j = 0; j < n; j++) {
            double num = 0;
            double den = 0;
            for (int i = 0; i < k; i++) {
                num += (double) beta[i][j] * tv[i][j];
                den += beta[i][j];
            }
            out[j] = (float) (base[j] + lambda * (den == 0 ? 0 : num / den));
        }
        return out;
    }

    /** Softmax(scale · Norm(x)) over all elements; a constant x gives the uniform distribution. */
    static float[] softmaxOfNorm(float[] x, double scale) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : x) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        double range = max - min;
        double[] e = new double[x.length];
        double sum = 0;
        for (int j = 0; j < x.length; j++) {
            double z = range > 0 ? (x[j] - min) / range : 0;
            e[j] = Math.exp(scale * (z - 1)); // shifted by the maximum (Norm's max is 1) for stability
            sum += e[j];
        }
        float[] out = new float[x.length];
        for (int j = 0; j < x.length; j++) {
            out[j] = (float) (e[j] / sum);
        }
        return out;
    }
}

package dev.graft.merge;

import dev.graft.GraftException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * PEFT's {@code add_weighted_adapter} combinations with PEFT's meaning, each carrying its own behaviour: how the
 * merged rank follows from the inputs, and how the factors are combined. {@link #CAT} stacks the factors (exact,
 * rank Σ rᵢ), {@link #SVD} sums the dense deltas and truncates them, and the others combine the A matrices and the
 * B matrices separately with weights √(wᵢ·sᵢ) after an optional sparsification and with an optional TIES disjoint
 * mean (dividing by the number of agreeing adapters, PEFT's definition).
 */
enum PeftCombination {
    LINEAR(Prune.NONE, false),
    TIES(Prune.MAGNITUDE, true),
    DARE_LINEAR(Prune.RANDOM, false),
    DARE_TIES(Prune.RANDOM, true),
    MAGNITUDE_PRUNE(Prune.MAGNITUDE, false),
    CAT(Prune.NONE, false) {
        @Override
        int rank(List<LoraAdapter> ads, int requested) {
            return ads.stream().mapToInt(LoraAdapter::rank).sum();
        }

        @Override
        float[][] combine(List<LoraAdapter> ads, String module, double[] w, Factors f) {
            int rank = f.rank();
            float[] a = new float[rank * f.in()];
            float[] b = new float[f.out() * rank];
            int row = 0;
            for (int i = 0; i < ads.size(); i++) {
                LoraAdapter ad = ads.get(i);
                int r = ad.rank();
                float[] ai = ad.a(module);
                float[] bi = ad.b(module);
                float s = (float) (w[i] * ad.scale());
                for (int j = 0; j < r * f.in(); j++) {
                    a[row * f.in() + j] = ai[j] * s;
                }
                for (int o = 0; o < f.out(); o++) {
                    System.arraycopy(bi, o * r, b, o * rank + row, r);
                }
                row += r;
            }
            return new float[][] {a, b};
        }
    },
    SVD(Prune.NONE, false) {
        @Override
        int rank(List<LoraAdapter> ads, int requested) {
            return requested;
        }

        @Override
        float[][] combine(List<LoraAdapter> ads, String module, double[] w, Factors f) {
            float[] sum = new float[f.out() * f.in()];
            for (int i = 0; i < ads.size(); i++) {
                float[] d = ads.get(i).delta(module);
                for (int j = 0; j < d.length; j++) {
                    sum[j] += (float) (w[i] * d[j]);
                }
            }
            Lowrank.Factors svd = Lowrank.truncatedSvd(sum, f.out(), f.in(), f.rank());
            return new float[][] {svd.a(), svd.b()};
        }
    };

    /** How each factor is sparsified before combining. */
    private enum Prune { NONE, MAGNITUDE, RANDOM }

    private final Prune prune;
    private final boolean disjointMean;

    PeftCombination(Prune prune, boolean disjointMean) {
        this.prune = prune;
        this.disjointMean = disjointMean;
    }

    /** The config name ({@code peft_ties}). */
    String configName() {
        return "peft_" + name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The combination with this config name, or null when it is not one of PEFT's. */
    static PeftCombination byName(String method) {
        for (PeftCombination c : values()) {
            if (c.configName().equals(method)) {
                return c;
            }
        }
        return null;
    }

    /** The merged rank: by default every input's (they must be equal, since A and B are combined factor-wise). */
    int rank(List<LoraAdapter> ads, int requested) {
        if (ads.stream().mapToInt(LoraAdapter::rank).distinct().count() > 1) {
            throw new GraftException(configName() + " needs adapters of equal rank (got "
                    + ads.stream().map(a -> a.dir().getFileName() + " r=" + a.rank()).toList() + "); use peft_cat or peft_svd");
        }
        return ads.get(0).rank();
    }

    /** The merged factors' sizes and the per-tensor parameters. */
    record Factors(int rank, int out, int in, List<Map<String, Double>> modelParams, Map<String, Double> global, long seed) {
    }

    /**
     * Combines one module's adapters with weights w (one per adapter).
     *
     * @return {A [rank, in], B [out, rank]}
     */
    float[][] combine(List<LoraAdapter> ads, String module, double[] w, Factors f) {
        int k = ads.size();
        double[] sw = new double[k];
        for (int i = 0; i < k; i++) {
            sw[i] = Math.sqrt(w[i] * ads.get(i).scale());
        }
        List<float[]> as = ads.stream().map(ad -> ad.a(module)).toList();
        List<float[]> bs = ads.stream().map(ad -> ad.b(module)).toList();
        return new float[][] {combine(as, sw, f, module + ".lora_A"), combine(bs, sw, f, module + ".lora_B")};
    }

    /** PEFT's merge-utils semantics over equally-shaped tensors with weights w. */
    float[] combine(List<float[]> ts, double[] w, Factors f, String name) {
        int k = ts.size();
        int n = ts.get(0).length;
        float[][] t = new float[k][];
        for (int i = 0; i < k; i++) {
            t[i] = ts.get(i).clone();
            Double dv = f.modelParams().get(i).get("density");
            double density = dv != null ? dv : f.global().getOrDefault("density", 1.0);
            switch (prune) {
                case MAGNITUDE -> TaskVectors.keepTopMagnitude(t[i], TaskVectors.keepCount(density, n)); // int(density·n)
                case RANDOM -> TaskVectors.dropAndRescale(t[i], density, TaskVectors.streamSeed(f.seed(), name, i));
                case NONE -> { }
            }
        }
        float[] out = new float[n];
        if (!disjointMean) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int i = 0; i < k; i++) {
                    s += w[i] * t[i][j];
                }
                out[j] = (float) s;
            }
            return out;
        }
        boolean frequency = f.global().getOrDefault("majority_sign_frequency", 0.0) != 0;
        for (int j = 0; j < n; j++) {
            double mass = 0;
            for (int i = 0; i < k; i++) {
                double v = w[i] * t[i][j];
                mass += frequency ? Math.signum(v) : v;
            }
            double sign = Math.signum(mass);
            double s = 0;
            int count = 0;
            for (int i = 0; i < k; i++) {
                double v = w[i] * t[i][j];
                if (Math.signum(v) == sign) {
                    s += v;
                    count++;
                }
            }
            out[j] = (float) (s / Math.max(1, count));
        }
        return out;
    }

    /** Every config name, for messages and validation. */
    static List<String> configNames() {
        return Arrays.stream(values()).map(PeftCombination::configName).toList();
    }
}

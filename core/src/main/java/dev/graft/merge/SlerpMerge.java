package dev.graft.merge;

import java.util.Set;

/**
 * Spherical linear interpolation between two tensors, each treated as one vector: with Ω the angle between them,
 * θ = sin((1−t)Ω)/sin Ω · θ₀ + sin(tΩ)/sin Ω · θ₁. When the vectors are nearly parallel or opposite
 * (|cos Ω| &gt; 0.9995) it falls back to linear interpolation (1−t)θ₀ + tθ₁, as the formula becomes ill-conditioned
 * there; a zero vector counts as orthogonal (Ω = π/2), as in mergekit.
 * The two ends are the base model (t = 0) and the one model, or, without a base, the first and second model.
 * Parameter: {@code t} (default 0.5; a gradient makes it vary by layer).
 *
 * <p>Shoemake, "Animating rotation with quaternion curves", SIGGRAPH 1985 (the interpolation); used for model
 * merging by mergekit (Goddard et al., "Arcee's MergeKit", 2024, arXiv:2403.13257).
 */
public final class SlerpMerge implements MergeMethod {
    /** Above this |cos Ω| the vectors count as parallel. */
    public static final double PARALLEL = 0.9995;

    @Override
    public String name() {
        return "slerp";
    }

    @Override
    public String reference() {
        return "Shoemake, Animating rotation with quaternion curves, SIGGRAPH 1985; mergekit arXiv:2403.13257";
    }

    @Override
    public boolean needsBase() {
        return false;
    }

    @Override
    public Set<String> modelParameters() {
        return Set.of();
    }

    @Override
    public Set<String> globalParameters() {
        return Set.of("t");
    }

    @Override
    public int maxModels() {
        return 2;
    }

    @Override
    public float[] merge(MergeInput in) {
        float[] a;
        float[] b;
        if (in.base() != null && in.count() == 1) {
            a = in.base();
            b = in.models().get(0);
        } else if (in.count() == 2) {
            a = in.models().get(0);
            b = in.models().get(1);
        } else {
            throw new dev.graft.GraftException("slerp merges exactly two models: base_model and one model, or two models"
                    + " without base_model (got " + in.count() + " models" + (in.base() != null ? " and a base" : "") + ")");
        }
        return slerp(in.param("t", 0.5), a, b);
    }

    /** Vectors with a norm at most this are not normalised (mergekit's eps): their dot product is then ~0. */
    static final double EPS = 1e-8;

    /**
     * SLERP of two vectors [n] at t, with mergekit's edge cases: each vector is divided by its norm when the norm
     * exceeds {@link #EPS}; when the resulting |cos Ω| exceeds {@link #PARALLEL} it interpolates linearly. A zero
     * (or tiny) vector is not normalised, so its cos Ω is ~0 and it is interpolated as if orthogonal.
     */
    public static float[] slerp(double t, float[] a, float[] b) {
        double na = 0;
        double nb = 0;
        double dot = 0;
        for (int j = 0; j < a.length; j++) {
            na += (double) a[j] * a[j];
            nb += (double) b[j] * b[j];
            dot += (double) a[j] * b[j];
        }
        double da = Math.sqrt(na) > EPS ? Math.sqrt(na) : 1;
        double db = Math.sqrt(nb) > EPS ? Math.sqrt(nb) : 1;
        double cos = dot / (da * db);
        double c0;
        double c1;
        if (Math.abs(cos) > PARALLEL) {
            c0 = 1 - t;
            c1 = t;
        } else {
            double omega = Math.acos(Math.max(-1, Math.min(1, cos)));
            double s = Math.sin(omega);
            c0 = Math.sin(omega - omega * t) / s;
            c1 = Math.sin(omega * t) / s;
        }
        float[] out = new float[a.length];
        for (int j = 0; j < a.length; j++) {
            out[j] = (float) (c0 * a[j] + c1 * b[j]);
        }
        return out;
    }
}

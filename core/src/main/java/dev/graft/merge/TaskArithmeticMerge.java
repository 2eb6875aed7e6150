package dev.graft.merge;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The task-vector family as one configurable method (mergekit's view): task vectors τᵢ = θᵢ − θ₀ are optionally
 * sparsified, optionally reduced to the elements that agree with an elected sign, combined as a weighted sum (or a
 * weighted mean over the contributing models), scaled by λ and added to the base:
 *
 * <pre>
 *   τ̂ᵢ = sparsify(τᵢ)                         magnitude top-k | DARE drop-and-rescale | breadcrumbs | none
 *   γ   = sign(Σᵢ wᵢ τ̂ᵢ), + on a tie            sign consensus only (or by counting the signs of wᵢ τ̂ᵢ)
 *   τ   = Σᵢ wᵢ τ̂ᵢ [sign wᵢτ̂ᵢ = γ]  /  Σᵢ wᵢ [same]   the division only when normalised (TIES' disjoint mean)
 *   θ   = θ₀ + λ τ
 * </pre>
 *
 * These are mergekit's definitions (see docs/merging.md for the few deliberate differences). Parameters: per model
 * {@code weight} (1), {@code density} (1; ⌊density·n⌋ elements kept), {@code gamma} (breadcrumbs: the fraction of
 * largest magnitudes dropped, 0.01); global {@code lambda} (1), {@code normalize} (true for TIES only),
 * {@code rescale} (DARE: survivors × 1/density, 1), {@code majority_sign_frequency} (0: elect by summed mass; 1: by
 * count of signs).
 *
 * <p>References: task arithmetic — Ilharco et al., "Editing Models with Task Arithmetic", ICLR 2023,
 * arXiv:2212.04089; TIES — Yadav et al., "TIES-Merging: Resolving Interference When Merging Models", NeurIPS 2023,
 * arXiv:2306.01708; DARE — Yu et al., "Language Models are Super Mario: Absorbing Abilities from Homologous Models
 * as a Free Lunch", ICML 2024, arXiv:2311.03099; breadcrumbs — Davari &amp; Belilovsky, "Model Breadcrumbs: Scaling
 * Multi-Task Model Merging with Sparse Masks", ECCV 2024, arXiv:2312.06795; magnitude pruning as used by PEFT's
 * {@code magnitude_prune}.
 */
public final class TaskArithmeticMerge implements MergeMethod, ElementWise<TaskArithmeticMerge.Prepared> {
    /** How each task vector is sparsified before combining. */
    public enum Sparsify { NONE, MAGNITUDE, RANDOM, BREADCRUMBS }

    private final String name;
    private final Sparsify sparsify;
    private final boolean consensus;
    private final boolean normalizeByDefault;
    private final String reference;

    /**
     * @param normalizeByDefault {@code normalize}'s default (mergekit's: true for TIES only)
     */
    public TaskArithmeticMerge(String name, Sparsify sparsify, boolean consensus, boolean normalizeByDefault, String reference) {
        this.name = name;
        this.sparsify = sparsify;
        this.consensus = consensus;
        this.normalizeByDefault = normalizeByDefault;
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
    public ElementWise<?> elementWise() {
        return this;
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
        Set<String> common = sparsify == Sparsify.RANDOM ? Set.of("lambda", "normalize", "rescale") : Set.of("lambda", "normalize");
        if (!consensus) {
            return common;
        }
        Set<String> all = new java.util.HashSet<>(common);
        all.add("majority_sign_frequency");
        return Set.copyOf(all);
    }

    @Override
    public float[] merge(MergeInput in) {
        float[] base = in.requireBase(name);
        return combine(in, base);
    }

    /**
     * The magnitude ranks whose threshold model i needs (k-th largest |τᵢ|, 1-based): none (density ≥ 1 keeps
     * everything), the kept count ⌊density·n⌋, or (breadcrumbs) the outlier count and the upper end of the kept band
     * ({@link TaskVectors#breadcrumbsBand}).
     */
    @Override
    public long[] magnitudeRanks(MergeInput in, int i, long n) {
        double density = in.modelParam(i, "density", 1);
        if (density >= 1) {
            return new long[0];
        }
        return switch (sparsify) {
            case MAGNITUDE -> new long[] {TaskVectors.keepCount(density, n)};
            case BREADCRUMBS -> TaskVectors.breadcrumbsBand(density, in.modelParam(i, "gamma", 0.01), n);
            default -> new long[0];
        };
    }

    /** Per-tensor state: weights and per-model magnitude thresholds. */
    record Prepared(double[] w, float[] lo, float[] hi, double[] density, boolean[] magnitudeOnly) {
    }

    /**
     * Prepares a tensor given each model's thresholds ({@code thresholds[i][j]} is the ranks(i)[j]-th largest
     * magnitude of τᵢ).
     */
    @Override
    public Prepared prepare(MergeInput in, float[][] thresholds, long n) {
        int k = in.count();
        double[] w = new double[k];
        float[] lo = new float[k];
        float[] hi = new float[k];
        double[] density = new double[k];
        for (int i = 0; i < k; i++) {
            w[i] = in.modelParam(i, "weight", 1);
            density[i] = in.modelParam(i, "density", 1);
            long[] r = magnitudeRanks(in, i, n);
            lo[i] = Float.NEGATIVE_INFINITY; // keeps everything
            hi[i] = Float.POSITIVE_INFINITY;
            if (sparsify == Sparsify.MAGNITUDE && r.length == 1) {
                lo[i] = r[0] == 0 ? Float.POSITIVE_INFINITY : thresholds[i][0];
            } else if (sparsify == Sparsify.BREADCRUMBS && r.length == 2) {
                hi[i] = r[0] == 0 ? Float.POSITIVE_INFINITY : thresholds[i][0];
                lo[i] = r[1] == 0 ? Float.POSITIVE_INFINITY : thresholds[i][1];
            }
        }
        return new Prepared(w, lo, hi, density, null);
    }

    @Override
    public Ranges ranges(MergeInput meta, Prepared p) {
        Draws draws = new Draws(meta.count()); // DARE's streams run on from range to range
        return (start, base, models, fishers, len, out) -> mergeRange(meta, p, start, base, models, len, out, draws);
    }

    /**
     * Merges elements [start, start + len) given chunk arrays of the base and the models (index 0 = element start).
     * DARE draws from one random stream per (tensor, model, chunk of {@link #CHUNK} elements), so the result does
     * not depend on how the tensor is cut, provided that start is a multiple of CHUNK.
     */
    void mergeRange(MergeInput in, Prepared p, long start, float[] base, List<float[]> models, int len, float[] out) {
        mergeRange(in, p, start, base, models, len, out, new Draws(models.size()));
    }

    /**
     * {@link #mergeRange(MergeInput, Prepared, long, float[], List, int, float[])} continuing DARE's random streams in
     * {@code draws}, so a chunk can be merged in consecutive pieces (any start works, but a piece that does not
     * continue where the last one ended replays its stream from the chunk's start).
     */
    void mergeRange(MergeInput in, Prepared p, long start, float[] base, List<float[]> models, int len, float[] out, Draws draws) {
        // Column-wise over small blocks: each loop is a simple, branch-free pass over contiguous arrays
        // (TaskVectorKernel) and the scratch arrays stay in the L1 cache. Per element the models are summed in index
        // order, as in the whole-tensor definition.
        final int block = Scratch.BLOCK;
        int k = models.size();
        double[] w = p.w();
        boolean frequency = in.param("majority_sign_frequency", 0) != 0;
        boolean normalize = in.param("normalize", normalizeByDefault ? 1 : 0) != 0;
        double small = consensus ? Double.MIN_VALUE : 1e-8; // divisors below this count as 1, as in mergekit
        boolean rescale = in.param("rescale", 1) != 0;
        double lambda = in.param("lambda", 1);
        int[] lo = new int[k];
        int[] hi = new int[k];
        for (int i = 0; i < k; i++) {
            lo[i] = TaskVectorKernel.lowBits(p.lo()[i]);
            hi[i] = TaskVectorKernel.highBits(p.lo()[i], p.hi()[i]);
        }
        Scratch scratch = Scratch.get(k);
        float[][] tv = scratch.tv;
        int[] bits = scratch.bits;
        BitView view = scratch.view;
        double[] mass = scratch.mass;
        double[] sum = scratch.sum;
        double[] wsum = scratch.wsum;
        long[] sign = scratch.sign;
        for (int s = 0; s < len; s += block) {
            int m = Math.min(block, len - s);
            for (int i = 0; i < k; i++) {
                float[] t = tv[i];
                TaskVectorKernel.delta(models.get(i), base, s, t, m);
                switch (sparsify) {
                    case MAGNITUDE, BREADCRUMBS -> {
                        view.toBits(t, bits, m);
                        TaskVectorKernel.keepBand(bits, m, lo[i], hi[i]);
                        view.toFloats(bits, t, m);
                    }
                    case RANDOM -> {
                        double d = p.density()[i];
                        if (d <= 0) {
                            Arrays.fill(t, 0, m, 0f); // nothing is kept: no draw can be below d
                        } else if (d < 1) {
                            float scale = rescale ? (float) (1.0 / d) : 1f;
                            for (int j = 0; j < m; ) { // one random stream per CHUNK elements
                                long g = start + s + j;
                                int end = (int) Math.min(m, (g / CHUNK + 1) * CHUNK - (start + s));
                                TaskVectorKernel.dropAndRescale(t, j, end - j, draws.at(in, i, g), d, scale);
                                draws.drawn(i, g + end - j);
                                j = end;
                            }
                        }
                    }
                    case NONE -> { }
                }
            }
            Arrays.fill(sum, 0, m, 0.0);
            Arrays.fill(wsum, 0, m, 0.0);
            if (consensus) {
                Arrays.fill(mass, 0, m, 0.0);
                double[][] td = scratch.td;
                for (int i = 0; i < k; i++) {
                    TaskVectorKernel.widen(tv[i], td[i], m); // once: the double loops below then vectorise
                    if (frequency) {
                        TaskVectorKernel.addSigns(mass, tv[i], m, w[i]);
                    } else {
                        TaskVectorKernel.addMass(mass, td[i], m, w[i]);
                    }
                }
                view.toBits(mass, scratch.longs, m);
                TaskVectorKernel.electedSign(scratch.longs, m, sign);
                for (int i = 0; i < k; i++) {
                    view.toBits(td[i], scratch.longs, m);
                    TaskVectorKernel.addAgreeing(sum, wsum, scratch.longs, td[i], sign, m, w[i], scratch.oneBits, scratch.ones, view);
                }
            } else {
                for (int i = 0; i < k; i++) {
                    TaskVectorKernel.addAll(sum, wsum, tv[i], m, w[i]);
                }
            }
            TaskVectorKernel.finish(sum, wsum, base, s, m, normalize, small, lambda, out);
        }
    }

    /**
     * DARE's random streams, one per model: each CHUNK-element block of a tensor has its own stream, so the draws do
     * not depend on how the tensor is cut.
     */
    static final class Draws {
        private final SplittableRandom[] rng;
        private final long[] next; // the element each stream draws for next

        Draws(int models) {
            rng = new SplittableRandom[models];
            next = new long[models];
            Arrays.fill(next, -1);
        }

        /** Model i's stream, positioned at element g. */
        SplittableRandom at(MergeInput in, int i, long g) {
            if (next[i] != g || g % CHUNK == 0) {
                long chunk = g / CHUNK;
                rng[i] = new SplittableRandom(TaskVectors.streamSeed(in.seed(), in.tensor(), i) + chunk * 0x9E3779B97F4A7C15L);
                for (long x = chunk * CHUNK; x < g; x++) { // only when pieces skip around
                    rng[i].nextDouble();
                }
            }
            return rng[i];
        }

        /** Model i's stream has drawn up to element g (exclusive). */
        void drawn(int i, long g) {
            next[i] = g;
        }
    }

    /** The kernel's per-thread block arrays (the streamed path calls it once per small block). */
    private static final class Scratch {
        static final int BLOCK = 1024;
        private static final ThreadLocal<Scratch> LOCAL = new ThreadLocal<>();
        final float[][] tv;
        final double[] mass = new double[BLOCK];
        final double[] sum = new double[BLOCK];
        final double[] wsum = new double[BLOCK];
        final double[][] td; // tv widened, for the sign vote
        final long[] sign = new long[BLOCK];
        final int[] bits = new int[BLOCK]; // bit patterns for the mask loops (BitView)
        final long[] longs = new long[BLOCK];
        final long[] oneBits = new long[BLOCK];
        final double[] ones = new double[BLOCK];
        final BitView view = new BitView(BLOCK);

        private Scratch(int k) {
            tv = new float[k][BLOCK];
            td = new double[k][BLOCK];
        }

        static Scratch get(int k) {
            Scratch s = LOCAL.get();
            if (s == null || s.tv.length < k) {
                s = new Scratch(k);
                LOCAL.set(s);
            }
            return s;
        }
    }

    /** Elements per chunk of the streamed path (and per DARE random stream). */
    public static final int CHUNK = 1 << 20;

    /** The merge with an explicit base (null: zero base, as for LoRA deltas), over whole arrays. */
    float[] combine(MergeInput in, float[] base) {
        int k = in.count();
        int n = in.size();
        float[][] thr = new float[k][];
        for (int i = 0; i < k; i++) {
            long[] r = magnitudeRanks(in, i, n);
            thr[i] = new float[r.length];
            if (r.length > 0) {
                float[] d = TaskVectors.delta(in.models().get(i), base);
                for (int j = 0; j < r.length; j++) {
                    thr[i][j] = TaskVectors.kthLargestMagnitude(d, (int) r[j]);
                }
            }
        }
        Prepared p = prepare(in, thr, n);
        float[] out = new float[n];
        for (int s = 0; s < n; s += CHUNK) {
            int len = Math.min(CHUNK, n - s);
            List<float[]> ms = new java.util.ArrayList<>(k);
            for (float[] m : in.models()) {
                ms.add(s == 0 && len == n ? m : java.util.Arrays.copyOfRange(m, s, s + len));
            }
            float[] b = base == null ? null : s == 0 && len == n ? base : java.util.Arrays.copyOfRange(base, s, s + len);
            float[] o = s == 0 && len == n ? out : new float[len];
            mergeRange(in, p, s, b, ms, len, o);
            if (o != out) {
                System.arraycopy(o, 0, out, s, len);
            }
        }
        return out;
    }
}

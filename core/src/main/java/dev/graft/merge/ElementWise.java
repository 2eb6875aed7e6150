package dev.graft.merge;

import java.util.Arrays;
import java.util.List;

/**
 * What a merge method declares to be streamed chunk by chunk ({@link MergeMethod#elementWise()}): output element j
 * depends only on element j of every input, once an optional whole-tensor preparation is done. The executor
 * ({@link ChunkedMerge}) then never holds a whole tensor: it finds the magnitude thresholds the method asks for with
 * an exact radix select over the whole tensor, calls {@link #prepare} once, and merges the chunks in cache-sized
 * ranges on the pool. A new element-wise method needs nothing but this declaration to be streamed.
 *
 * @param <P> the per-tensor state {@link #prepare} builds (weights, thresholds); immutable, shared by all threads
 */
public interface ElementWise<P> {
    /**
     * The magnitude ranks model i needs before the element-wise pass: the k-th largest |τᵢ| (1-based), τᵢ = θᵢ − θ₀
     * (θᵢ itself without a base); 0 yields +∞. None by default. A method that asks for ranks must merge a range
     * without depending on its position or on Fisher values (the exact-threshold fix-up re-merges gathered elements).
     *
     * @param meta  the tensor's name, layer and parameters (no values)
     * @param n     elements in the tensor
     */
    default long[] magnitudeRanks(MergeInput meta, int model, long n) {
        return new long[0];
    }

    /**
     * The per-tensor state, given {@code thresholds[i][j]}, the {@code magnitudeRanks(meta, i, n)[j]}-th largest
     * magnitude of τᵢ [models][ranks].
     */
    P prepare(MergeInput meta, float[][] thresholds, long n);

    /** A merger of one chunk's consecutive ranges; one per chunk task, so it may carry state from range to range. */
    Ranges ranges(MergeInput meta, P prepared);

    /** Merges consecutive ranges of one tensor. */
    interface Ranges {
        /**
         * out[0..len) = the merged elements [start, start + len) of the tensor. Each input array holds those elements
         * from index 0 and may be longer than len.
         *
         * @param base    the base [≥ len], or null without one
         * @param models  every model [≥ len]
         * @param fishers every model's Fisher [≥ len] (a null entry: none for this tensor), or null when not needed
         */
        void merge(long start, float[] base, List<float[]> models, List<float[]> fishers, int len, float[] out);
    }

    /** The element-wise view of a method without preparation: each range goes through {@link MergeMethod#merge}. */
    static ElementWise<Void> of(MergeMethod method) {
        return new ElementWise<>() {
            @Override
            public Void prepare(MergeInput meta, float[][] thresholds, long n) {
                return null;
            }

            @Override
            public Ranges ranges(MergeInput meta, Void prepared) {
                return (start, base, models, fishers, len, out) -> {
                    List<float[]> ms = models.stream().map(m -> exact(m, len)).toList();
                    List<float[]> fs = fishers == null ? null : fishers.stream().map(f -> exact(f, len)).toList();
                    float[] merged = method.merge(new MergeInput(meta.tensor(), meta.layer(), exact(base, len), ms,
                            meta.modelParams(), meta.params(), meta.seed(), fs));
                    System.arraycopy(merged, 0, out, 0, len);
                };
            }
        };
    }

    /** The first len values (the array itself when it has exactly len). */
    private static float[] exact(float[] a, int len) {
        return a == null || a.length == len ? a : Arrays.copyOf(a, len);
    }
}

package dev.graft.merge;

import java.util.Set;

/**
 * One way to combine corresponding tensors of several models: a pure function of float arrays (no engine, no
 * files). Implementations are stateless and thread-safe; the streaming pipeline calls them from several threads.
 * The executor ({@link Merger}) reads only what a method declares here: the inputs it needs ({@link #needsBase},
 * {@link #needsFishers}) and whether it can be streamed chunk by chunk ({@link #elementWise}).
 */
public interface MergeMethod {
    /** Lowercase name used in configs ({@code merge_method}). */
    String name();

    /** The paper the method comes from (title, authors, year, arXiv id). */
    String reference();

    /** True if task vectors are taken relative to {@code base_model}, which must then be given. */
    boolean needsBase();

    /** Parameter names accepted per model (and as global defaults). */
    Set<String> modelParameters();

    /** Parameter names accepted only globally. */
    Set<String> globalParameters();

    /** Smallest and largest number of models the method accepts (not counting the base). */
    default int minModels() {
        return 1;
    }

    default int maxModels() {
        return Integer.MAX_VALUE;
    }

    /** True if every model needs a diagonal Fisher file ({@code fisher: FILE}), passed in {@link MergeInput#fishers}. */
    default boolean needsFishers() {
        return false;
    }

    /**
     * How to merge this method chunk by chunk (bounded memory), or null when an output element depends on whole
     * tensors (SLERP's angle, PCB's softmax): those are merged a tensor at a time.
     */
    default ElementWise<?> elementWise() {
        return null;
    }

    /**
     * Merges one tensor.
     *
     * @return the merged values [n], a new array
     */
    float[] merge(MergeInput in);
}

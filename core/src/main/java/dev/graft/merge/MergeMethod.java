package dev.graft.merge;

import java.util.Set;

/**
 * One way to combine corresponding tensors of several models: a pure function of float arrays (no engine, no
 * files). Implementations are stateless and thread-safe; the streaming pipeline calls them from several threads.
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

    /**
     * Merges one tensor.
     *
     * @return the merged values [n], a new array
     */
    float[] merge(MergeInput in);
}

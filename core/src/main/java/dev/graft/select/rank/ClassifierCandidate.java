package dev.graft.select.rank;

import java.util.List;

/**
 * A candidate that carries a source classifier — e.g. an adapter fine-tuned earlier on another task, with its head —
 * ranked as a starting point for the new task. Besides its features, it gives source-label predictions, which LEEP and
 * NCE score.
 */
public interface ClassifierCandidate extends AutoCloseable {
    /** How the candidate is shown (e.g. its directory). */
    String label();

    /** @return the candidate's pooled features, [texts][hidden] */
    float[][] features(List<String> texts);

    /** @return probabilities over the candidate's own (source) labels, [texts][sourceClasses] */
    float[][] sourceProbabilities(List<String> texts);

    @Override
    void close();
}

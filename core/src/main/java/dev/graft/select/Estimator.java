package dev.graft.select;

/**
 * A transferability estimator: a score computed from a frozen model's features on a labelled target set that predicts
 * how well the model will fine-tune on that task. Higher score = predicted to transfer better (every estimator is
 * oriented that way, whatever the sign convention of its paper). A pure function of features and labels: no state,
 * no randomness that is not seeded, safe to call from several threads.
 */
public interface Estimator {
    /** Lowercase unique CLI name, e.g. {@code logme}. */
    String name();

    /** The paper the estimator comes from (citation and URL). */
    String reference();

    /**
     * Scores one feature matrix.
     *
     * @param features   [n, d] features, one row per example; every value finite
     * @param labels     [n] class ids in [0, numClasses); classes absent from the data are ignored
     * @param numClasses the number of classes of the task (at least 2 present, each present class with 2+ examples)
     * @return the score, finite; higher = better predicted transfer
     * @throws dev.graft.GraftException on invalid input (see {@link Inputs})
     */
    double score(double[][] features, int[] labels, int numClasses);
}

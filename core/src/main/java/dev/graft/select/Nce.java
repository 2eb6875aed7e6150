package dev.graft.select;

import dev.graft.GraftException;

/**
 * NCE, Negative Conditional Entropy: −H(Y|Z) between target labels Y and the source model's hard predictions Z,
 * NCE = Σ_{y,z} P̂(y, z) log(P̂(y, z)/P̂(z)) from the empirical joint distribution.
 *
 * <p>Tran, Nguyen, Hassner, "Transferability and Hardness of Supervised Classification Tasks", ICCV 2019,
 * https://arxiv.org/abs/1908.08142. Value ≤ 0; higher (less uncertainty about y given z) = better. Cost O(n).
 */
public final class Nce {
    private Nce() {}

    /** The name it is reported under. */
    public static final String NAME = "nce";

    public static final String REFERENCE = "Tran et al., Transferability and Hardness of Supervised Classification Tasks, "
            + "ICCV 2019; https://arxiv.org/abs/1908.08142";

    /**
     * @param sourceLabels [n] the source classifier's predicted class (argmax) per example, each >= 0
     * @param labels       [n] target labels in [0, numClasses)
     * @param numClasses   number of target classes
     * @return −H(Y|Z) in nats (≤ 0), higher = better
     */
    public static double score(int[] sourceLabels, int[] labels, int numClasses) {
        if (sourceLabels == null || sourceLabels.length == 0) {
            throw new GraftException("sourceLabels: expected at least one prediction, got none");
        }
        int n = sourceLabels.length;
        Leep.checkLabels(labels, n, numClasses);
        int z = 0;
        for (int i = 0; i < n; i++) {
            if (sourceLabels[i] < 0) {
                throw new GraftException("sourceLabels[" + i + "] is " + sourceLabels[i] + "; expected a class id >= 0");
            }
            z = Math.max(z, sourceLabels[i] + 1);
        }
        double[] joint = new double[numClasses * z];
        double[] marginal = new double[z];
        for (int i = 0; i < n; i++) {
            joint[labels[i] * z + sourceLabels[i]]++;
            marginal[sourceLabels[i]]++;
        }
        double total = 0;
        for (int y = 0; y < numClasses; y++) {
            for (int j = 0; j < z; j++) {
                double c = joint[y * z + j];
                if (c > 0) {
                    total += c / n * Math.log(c / marginal[j]);
                }
            }
        }
        return total;
    }
}

package dev.graft.select;

import dev.graft.GraftException;

/**
 * LEEP, Log Expected Empirical Prediction: the mean log-likelihood of the target labels under the "expected empirical
 * predictor" built from a source classifier's predictions, T = (1/n) Σᵢ log Σ_z P̂(yᵢ|z) θ(xᵢ)_z with
 * P̂(y|z) = Σ_{i: yᵢ=y} θ(xᵢ)_z / Σᵢ θ(xᵢ)_z.
 *
 * <p>Nguyen, Hassner, Seeger, Archambeau, "LEEP: A New Measure to Evaluate Transferability of Learned Representations",
 * ICML 2020, https://arxiv.org/abs/2002.12462. Needs a model with a source classifier (e.g. a fine-tuned adapter with a
 * head): θ are its softmax outputs on the target inputs. Value ≤ 0; higher = better. Cost O(n·z).
 */
public final class Leep {
    private Leep() {}

    /** The name it is reported under. */
    public static final String NAME = "leep";

    public static final String REFERENCE = "Nguyen et al., LEEP: A New Measure to Evaluate Transferability of Learned "
            + "Representations, ICML 2020; https://arxiv.org/abs/2002.12462";

    /**
     * @param sourceProbs [n, z] source-class probabilities, each row non-negative and summing to 1 (within 1e-6)
     * @param labels      [n] target labels in [0, numClasses)
     * @param numClasses  number of target classes
     * @return the LEEP score (≤ 0), higher = better
     */
    public static double score(double[][] sourceProbs, int[] labels, int numClasses) {
        int z = Inputs.checkMatrix(sourceProbs, "sourceProbs");
        int n = sourceProbs.length;
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (int j = 0; j < z; j++) {
                double p = sourceProbs[i][j];
                if (p < 0) {
                    throw new GraftException("sourceProbs[" + i + "][" + j + "] is " + p + "; probabilities must be >= 0");
                }
                sum += p;
            }
            if (Math.abs(sum - 1) > 1e-6) {
                throw new GraftException("sourceProbs row " + i + " sums to " + sum + "; expected 1 (softmax outputs)");
            }
        }
        Inputs.Checked c = checkLabels(labels, n, numClasses);
        double[] flat = Dense.flatten(sourceProbs);
        return Inputs.finite("leep", fromPosteriors(flat, n, z, c.labels(), c.k()));
    }

    /** LEEP on row-major posteriors θ [n, z] and dense labels in [0, k). */
    static double fromPosteriors(double[] theta, int n, int z, int[] labels, int k) {
        double[] joint = new double[k * z]; // Σ_{i: y=yi} θ_iz, proportional to P̂(y, z)
        double[] marginal = new double[z];
        for (int i = 0; i < n; i++) {
            int o = labels[i] * z;
            for (int j = 0; j < z; j++) {
                double t = theta[i * z + j];
                joint[o + j] += t;
                marginal[j] += t;
            }
        }
        double total = 0;
        for (int i = 0; i < n; i++) {
            int o = labels[i] * z;
            double p = 0;
            for (int j = 0; j < z; j++) {
                if (marginal[j] > 0) {
                    p += joint[o + j] / marginal[j] * theta[i * z + j];
                }
            }
            total += Math.log(p);
        }
        return total / n;
    }

    /** Label checks for source-prediction methods: lengths, range, two classes present (single examples allowed). */
    static Inputs.Checked checkLabels(int[] labels, int n, int numClasses) {
        if (labels == null || labels.length != n) {
            throw new GraftException("labels: expected " + n + " labels, got " + (labels == null ? 0 : labels.length));
        }
        if (numClasses < 2) {
            throw new GraftException("numClasses is " + numClasses + "; a classification task needs at least 2");
        }
        int[] counts = new int[numClasses];
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new GraftException("labels[" + i + "] is " + labels[i] + "; expected a class id in [0, " + numClasses + ")");
            }
            counts[labels[i]]++;
        }
        int present = 0;
        for (int cnt : counts) {
            if (cnt > 0) {
                present++;
            }
        }
        if (present < 2) {
            throw new GraftException("labels: only " + present + " class present; transferability needs at least 2 classes");
        }
        return new Inputs.Checked(n, 0, numClasses, labels.clone(), counts);
    }
}

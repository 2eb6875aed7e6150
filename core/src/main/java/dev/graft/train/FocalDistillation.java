package dev.graft.train;

import dev.graft.GraftException;

/**
 * Per-example weights of focal distillation, from Yan et al., "Positive-Congruent Training: Towards Regression-Free
 * Model Updates", CVPR 2021 (arXiv 2011.09161). The new model is trained with its task loss plus a distillation term
 * toward the old model, weighted per example so that it pulls hardest where the old model was right — the examples a
 * negative flip ({@link Flips}) would break:
 *
 * <pre>
 *   L = Σ_i L_task(x_i) + λ · Σ_i w_i · L_distill(new(x_i), old(x_i)),     w_i = α + β · 1[old(x_i) = y_i]
 * </pre>
 *
 * α = 1, β = 0 is plain distillation; α = 0 distils only on the examples the old model got right. This class computes
 * the weights; the training loop multiplies them into its per-example distillation loss.
 */
public final class FocalDistillation {
    private FocalDistillation() {
    }

    /**
     * The focal weights {@code w_i = alpha + beta · 1[oldPredicted_i = gold_i]}.
     *
     * @param gold         [N] the true class index of each example
     * @param oldPredicted [N] the old model's predicted class index of each example
     * @param alpha        the weight every example gets, ≥ 0
     * @param beta         the extra weight of an example the old model classifies correctly, ≥ 0
     * @return [N] the weights
     * @throws GraftException when alpha or beta is negative or not finite, or the vectors differ in length
     */
    public static float[] weights(int[] gold, int[] oldPredicted, double alpha, double beta) {
        check("alpha", alpha);
        check("beta", beta);
        if (gold.length != oldPredicted.length) {
            throw new GraftException("focal distillation: gold has " + gold.length + " entries but the old predictions "
                    + oldPredicted.length + "; expected one of each per example");
        }
        float[] w = new float[gold.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (oldPredicted[i] == gold[i] ? alpha + beta : alpha);
        }
        return w;
    }

    /**
     * As {@link #weights(int[], int[], double, double)} with the old model's class probabilities: its prediction is
     * the most probable class (the first on ties).
     *
     * @param oldProbabilities [N, C] the old model's class scores
     */
    public static float[] weights(int[] gold, float[][] oldProbabilities, double alpha, double beta) {
        int[] predicted = new int[oldProbabilities.length];
        for (int i = 0; i < predicted.length; i++) {
            predicted[i] = Evaluator.argmax(oldProbabilities[i]);
        }
        return weights(gold, predicted, alpha, beta);
    }

    private static void check(String name, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new GraftException("focal distillation: " + name + " must be a finite number >= 0, got " + v);
        }
    }
}

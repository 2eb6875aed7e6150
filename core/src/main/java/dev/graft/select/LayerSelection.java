package dev.graft.select;

import dev.graft.GraftException;
import java.util.List;

/**
 * Layer selection: score the features of every layer of one model with an estimator and pick the best layer to
 * transfer from (TransRate and TMI were designed to rank layers as well as models).
 */
public final class LayerSelection {
    private LayerSelection() {}

    /**
     * @param scores [layers] the estimator's score of each layer's features
     * @param best   index of the best-scoring layer (the earliest on ties)
     */
    public record Result(double[] scores, int best) {}

    /**
     * @param layerFeatures one [n, d] feature matrix per layer, same examples in the same order
     * @param labels        [n] labels in [0, numClasses)
     * @param numClasses    number of classes
     * @param e             the estimator
     */
    public static Result rank(List<double[][]> layerFeatures, int[] labels, int numClasses, Estimator e) {
        if (layerFeatures == null || layerFeatures.isEmpty()) {
            throw new GraftException("layer selection: expected the features of at least one layer");
        }
        double[] scores = new double[layerFeatures.size()];
        int best = 0;
        for (int i = 0; i < scores.length; i++) {
            scores[i] = e.score(layerFeatures.get(i), labels, numClasses);
            if (scores[i] > scores[best]) {
                best = i;
            }
        }
        return new Result(scores, best);
    }
}

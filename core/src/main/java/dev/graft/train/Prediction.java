package dev.graft.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One example's prediction by a {@link TaskModel}, read according to its task.
 *
 * @param example the input
 * @param task    what the scores mean
 * @param classes the label names, in score order (empty for regression)
 * @param scores  [classes] class probabilities (classification, summing to 1), independent label probabilities
 *                (multi-label), or [1] the value (regression)
 */
public record Prediction(Example example, Task task, List<String> classes, float[] scores) {
    /** Multi-label: a label is on when its probability exceeds this. */
    public static final float MULTI_LABEL_THRESHOLD = 0.5f;

    public Prediction {
        classes = List.copyOf(classes);
    }

    /** Classification: the most probable class (the first on ties). */
    public String label() {
        return classes.get(best());
    }

    /** Classification: the probability of {@link #label()}. */
    public float probability() {
        return scores[best()];
    }

    /** Multi-label: the labels whose probability exceeds {@value #MULTI_LABEL_THRESHOLD}, in class order. */
    public List<String> labels() {
        List<String> on = new ArrayList<>();
        for (int c = 0; c < scores.length; c++) {
            if (scores[c] > MULTI_LABEL_THRESHOLD) {
                on.add(classes.get(c));
            }
        }
        return on;
    }

    /** Class or label name to probability, in class order. */
    public Map<String, Float> probabilities() {
        Map<String, Float> probs = new LinkedHashMap<>();
        for (int c = 0; c < scores.length; c++) {
            probs.put(classes.get(c), scores[c]);
        }
        return probs;
    }

    /** Regression: the predicted value. */
    public float value() {
        return scores[0];
    }

    private int best() {
        int best = 0;
        for (int c = 1; c < scores.length; c++) {
            if (scores[c] > scores[best]) {
                best = c;
            }
        }
        return best;
    }
}

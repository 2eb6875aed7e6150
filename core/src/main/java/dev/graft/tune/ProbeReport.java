package dev.graft.tune;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What {@link ProbeHead} fitted: the chosen L2 strength and how it scored, for the tune output and the provenance.
 *
 * @param task      the task's CLI name
 * @param metric    what {@code cvScore} measures (accuracy for classification, log loss for multi-label, mean
 *                  squared error for regression)
 * @param lambda    the chosen λ (penalty λ/2 ‖W‖² on standardised features, added to the mean loss)
 * @param folds     cross-validation folds (0: too few examples, the middle of the grid was used)
 * @param cvScore   the held-out {@code metric} at λ over all folds (NaN without cross-validation)
 * @param trainLoss the unpenalised mean training loss of the final fit on all examples
 * @param examples  training examples
 * @param seconds   wall time, embedding included
 */
public record ProbeReport(String task, String metric, double lambda, int folds, double cvScore, double trainLoss,
                          int examples, double seconds) {
    /** One line, e.g. {@code linear probe: λ 1e-02 (5-fold CV accuracy 0.830), train loss 0.412, 0.4 s}. */
    public String summary() {
        String cv = folds == 0 ? "no cross-validation: too few examples"
                : String.format(Locale.ROOT, "%d-fold CV %s %.3f", folds, metric, cvScore);
        return String.format(Locale.ROOT, "linear probe: λ %.0e (%s), train loss %.3f, %.1f s", lambda, cv, trainLoss,
                seconds);
    }

    /** The provenance record, snake_case keys. */
    public Map<String, Object> provenance() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("reference", ProbeHead.REFERENCE);
        m.put("task", task);
        m.put("lambda", lambda);
        m.put("folds", folds);
        m.put("cv_metric", metric);
        m.put("cv_score", Double.isNaN(cvScore) ? null : cvScore);
        m.put("train_loss", trainLoss);
        m.put("examples", examples);
        m.put("seconds", seconds);
        return m;
    }
}

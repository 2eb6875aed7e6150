package dev.graft.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a training run produced.
 *
 * @param finalMetrics  evaluation metrics of the selected (best) parameters, empty without evaluation data
 * @param bestStep      the update whose parameters were kept (the last one without evaluation data)
 * @param steps         updates made
 * @param seconds       wall time of the training loop
 * @param examplesPerSecond training examples processed per second
 * @param history       every evaluation: step and metrics
 * @param tokensPerSecond real (unpadded) training tokens processed per second
 * @param budget        the plan the run followed: updates planned, evaluation interval, patience
 * @param stoppedEarly  whether early stopping ended the run before the planned updates
 */
public record TrainingResult(Map<String, Double> finalMetrics, long bestStep, long steps, double seconds,
                             double examplesPerSecond, List<Map<String, Object>> history, double tokensPerSecond,
                             Budget budget, boolean stoppedEarly) {
    /** The budget as the output's JSON and the provenance record it: rule, planned and made updates, early stop, best update. */
    public Map<String, Object> budgetSummary() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rule", budget.rule().cliName());
        m.put("planned_updates", budget.updates());
        m.put("updates", steps);
        m.put("stopped_early", stoppedEarly);
        m.put("best_update", bestStep);
        m.put("eval_every", budget.evalEvery());
        m.put("patience", budget.patience());
        return m;
    }
}

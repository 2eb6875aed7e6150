package dev.graft.select.rank;

import dev.graft.GraftException;
import dev.graft.select.RankCorrelation;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How well each estimator's ranking of the models agrees with the accuracy they reach when actually fine-tuned: Kendall
 * τ, weighted τ (top ranks weigh more) and whether the estimator's top model is the truly best one.
 */
public final class RankValidation {
    private RankValidation() {
    }

    /** Agreement of one estimator with the fine-tuned accuracies. */
    public record Agreement(double kendallTau, double weightedTau, boolean top1) {
    }

    /**
     * @param report   a ranking (only its final-representation candidates, layer -1, are compared)
     * @param accuracy model id → accuracy after fine-tuning, for every model in the report
     * @return estimator name → agreement, in the report's metric order
     */
    public static Map<String, Agreement> compare(RankReport report, Map<String, Double> accuracy) {
        List<RankReport.Candidate> models = report.candidates().stream()
                .filter(c -> c.layer() < 0 && accuracy.containsKey(c.model())).toList();
        if (models.size() < 2) {
            throw new GraftException("validation needs at least 2 models to correlate rankings, got " + models.size());
        }
        double[] truth = new double[models.size()];
        for (int i = 0; i < truth.length; i++) {
            Double a = accuracy.get(models.get(i).model());
            if (a == null) {
                throw new GraftException("no fine-tuned accuracy for " + models.get(i).model());
            }
            truth[i] = a;
        }
        Map<String, Agreement> out = new LinkedHashMap<>();
        for (String metric : report.metrics()) {
            if (!models.stream().allMatch(c -> c.scores().containsKey(metric))) {
                continue; // LEEP/NCE exist only for candidates with a classifier
            }
            double[] s = new double[models.size()];
            for (int i = 0; i < s.length; i++) {
                s[i] = models.get(i).scores().get(metric);
            }
            out.put(metric, new Agreement(RankCorrelation.kendallTau(s, truth), RankCorrelation.weightedTau(s, truth),
                    RankCorrelation.top1Hit(s, truth)));
        }
        return out;
    }
}

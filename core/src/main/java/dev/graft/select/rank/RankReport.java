package dev.graft.select.rank;

import dev.graft.select.TeamSelection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * What {@link ModelRanker} found.
 *
 * @param examples          examples scored (after sampling)
 * @param classes           classes in the data
 * @param metrics           estimator names, in the order asked
 * @param candidates        one entry per (model, layer); layer -1 is the model's final representation
 * @param team              greedy team over the models' final features, or null when not asked
 * @param teamMetric        the estimator the team was chosen by, or null
 * @param extractionSeconds feature extraction (or cache reads) plus model loading, all models together
 * @param metricSeconds     time spent in each estimator, all candidates together
 */
public record RankReport(int examples, int classes, List<String> metrics, List<Candidate> candidates,
                         TeamSelection.Result team, String teamMetric, double extractionSeconds,
                         Map<String, Double> metricSeconds) {
    public RankReport {
        metrics = List.copyOf(metrics);
        candidates = List.copyOf(candidates);
        metricSeconds = Map.copyOf(metricSeconds);
    }

    /**
     * One scored candidate.
     *
     * @param model  model id or directory
     * @param layer  0 = embeddings, 1..L = transformer layer, -1 = the final representation (pooling as the model does)
     * @param scores estimator name → score (higher = predicted better)
     */
    public record Candidate(String model, int layer, Map<String, Double> scores) {
        public String label() {
            return layer < 0 ? model : model + " @ layer " + layer;
        }
    }

    /** Candidates scored by {@code metric}, best first (LEEP and NCE score only candidates with a classifier). */
    public List<Candidate> ranked(String metric) {
        return candidates.stream().filter(c -> c.scores().containsKey(metric)).sorted(Comparator.comparingDouble((Candidate c) -> -c.scores().get(metric))).toList();
    }

    /** Total estimator time. */
    public double estimatorSeconds() {
        return metricSeconds.values().stream().mapToDouble(Double::doubleValue).sum();
    }
}

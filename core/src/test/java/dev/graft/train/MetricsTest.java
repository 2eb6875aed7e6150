package dev.graft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.testing.Fixtures;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link Metrics} against scikit-learn and SciPy: the inputs and expected values are in
 * {@code fixtures/metrics.json}, written by {@code fixtures/metrics_fixture.py}.
 */
class MetricsTest {
    private static final double TOL = 1e-12;
    private static final JsonNode FIXTURE = Fixtures.json("metrics.json");

    @Test
    void classificationMatchesSklearnIncludingAbsentClassesAndMultiClassMcc() {
        for (JsonNode c : FIXTURE.get("classification")) {
            Map<String, Double> m = Metrics.classification(Fixtures.ints(c.get("gold")), Fixtures.ints(c.get("predicted")),
                    c.get("classes").asInt());
            String name = c.get("name").asText();
            // macro-F1 averages over classes in gold or predictions, with F1 0 where precision or recall is 0/0:
            // sklearn's labels=None, zero_division=0
            for (String key : new String[] {"accuracy", "macro_f1", "mcc"}) {
                assertEquals(c.get(key).asDouble(), m.get(key), TOL, name + " " + key);
            }
        }
    }

    @Test
    void regressionMatchesSciPyWithTiesRankedByTheirAverage() {
        for (JsonNode c : FIXTURE.get("regression")) {
            Map<String, Double> m = Metrics.regression(Fixtures.doubles(c.get("gold")), Fixtures.doubles(c.get("predicted")));
            for (String key : new String[] {"pearson", "spearman", "mse"}) {
                assertEquals(c.get(key).asDouble(), m.get(key), TOL, c.get("name").asText() + " " + key);
            }
        }
    }

    @Test
    void aConstantSideGivesCorrelationZeroWhereSciPySaysNaN() {
        // documented difference: SciPy returns NaN (undefined); Graft reports 0 so model selection never sees NaN
        Map<String, Double> m = Metrics.regression(new double[] {1, 2, 3}, new double[] {2, 2, 2});
        assertEquals(0.0, m.get("pearson"));
        assertEquals(0.0, m.get("spearman"));
    }

    @Test
    void multiLabelMatchesSklearnOverTheLabelsThatOccur() {
        for (JsonNode c : FIXTURE.get("multi_label")) {
            Map<String, Double> m = Metrics.multiLabel(booleans(c.get("gold")), booleans(c.get("predicted")));
            String name = c.get("name").asText();
            assertEquals(c.get("subset_accuracy").asDouble(), m.get("subset_accuracy"), TOL, name);
            assertEquals(c.get("micro_f1").asDouble(), m.get("micro_f1"), TOL, name);
            // documented difference: sklearn's macro average counts a label that occurs in neither gold nor
            // predictions as F1 0; Graft leaves it out, as it does for single-label classes (the fixture passes
            // sklearn labels= the labels that occur)
            assertEquals(c.get("macro_f1").asDouble(), m.get("macro_f1"), TOL, name);
        }
    }

    @Test
    void retrievalMatchesSklearnTopKAccuracyAndRankingPrecision() {
        for (JsonNode c : FIXTURE.get("retrieval")) {
            JsonNode rows = c.get("scores");
            float[][] scores = new float[rows.size()][];
            for (int i = 0; i < scores.length; i++) {
                scores[i] = Fixtures.floats(rows.get(i));
            }
            Map<String, Double> m = Metrics.retrieval(scores);
            for (String key : new String[] {"recall@1", "recall@5", "recall@10", "mrr"}) {
                assertEquals(c.get(key).asDouble(), m.get(key), TOL, c.get("name").asText() + " " + key);
            }
        }
    }

    @Test
    void aTieWithTheRelevantItemCountsInItsFavour() {
        // the relevant item ranks above every item with an equal score: rank 1 here, so recall@1 = MRR = 1
        Map<String, Double> m = Metrics.retrieval(new float[][] {{0.5f, 0.5f}, {0.2f, 0.2f}});
        assertEquals(1.0, m.get("recall@1"));
        assertEquals(1.0, m.get("mrr"));
    }

    private static boolean[][] booleans(JsonNode rows) {
        boolean[][] out = new boolean[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new boolean[rows.get(i).size()];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = rows.get(i).get(j).asBoolean();
            }
        }
        return out;
    }
}

package dev.graft.train;

import dev.graft.model.BatchedRows;
import dev.graft.model.Pooling;
import dev.graft.text.TokenBudgetBatcher;
import dev.graft.text.TokenizedText;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Computes a task's metrics for a model on labelled examples. */
public final class Evaluator {
    private Evaluator() {
    }

    /** The metric that selects the best checkpoint when none is given. */
    public static String defaultMetric(Task task) {
        return switch (task) {
            case CLASSIFICATION -> "accuracy";
            case MULTI_LABEL -> "micro_f1";
            case REGRESSION -> "spearman";
            case RETRIEVAL -> "mrr";
        };
    }

    /** As {@link #evaluate(TaskModel, List, int, TokenBudgetBatcher)} with the default token budget. */
    public static Map<String, Double> evaluate(TaskModel model, List<Example> examples, int maxLength, int batchSize) {
        return evaluate(model, examples, maxLength, TokenBudgetBatcher.withBatchSize(batchSize));
    }

    /**
     * Metrics of {@code model} on {@code examples} (plus "examples").
     *
     * @param batcher how examples are cut into batches (a token budget and a batch size)
     */
    public static Map<String, Double> evaluate(TaskModel model, List<Example> examples, int maxLength, TokenBudgetBatcher batcher) {
        model.base().checkMaxLength(maxLength); // retrieval tokenises without TaskModel.tokenize
        LabelSpace labels = model.labels();
        Map<String, Double> out = new LinkedHashMap<>();
        switch (model.task()) {
            case CLASSIFICATION -> {
                float[][] p = model.predict(examples, maxLength, batcher);
                int[] gold = new int[examples.size()];
                int[] pred = new int[examples.size()];
                for (int i = 0; i < gold.length; i++) {
                    gold[i] = labels.classIndex(examples.get(i));
                    pred[i] = argmax(p[i]);
                }
                out.putAll(Metrics.classification(gold, pred, labels.names().size()));
            }
            case MULTI_LABEL -> {
                float[][] p = model.predict(examples, maxLength, batcher);
                boolean[][] gold = new boolean[examples.size()][];
                boolean[][] pred = new boolean[examples.size()][];
                for (int i = 0; i < gold.length; i++) {
                    float[] y = labels.multiHot(examples.get(i));
                    gold[i] = new boolean[y.length];
                    pred[i] = new boolean[y.length];
                    for (int l = 0; l < y.length; l++) {
                        gold[i][l] = y[l] > 0.5f;
                        pred[i][l] = p[i][l] > 0.5f;
                    }
                }
                out.putAll(Metrics.multiLabel(gold, pred));
            }
            case REGRESSION -> {
                float[][] p = model.predict(examples, maxLength, batcher);
                double[] gold = new double[examples.size()];
                double[] pred = new double[examples.size()];
                for (int i = 0; i < gold.length; i++) {
                    gold[i] = labels.value(examples.get(i));
                    pred[i] = p[i][0];
                }
                out.putAll(Metrics.regression(gold, pred));
            }
            case RETRIEVAL -> out.putAll(Metrics.retrieval(retrievalScores(model, examples, maxLength, batcher)));
        }
        out.put("examples", (double) examples.size());
        return out;
    }

    /** Cosine similarity of every query (text) with every positive (pair): [queries][positives]. */
    static float[][] retrievalScores(TaskModel model, List<Example> examples, int maxLength, TokenBudgetBatcher batcher) {
        List<String> queries = new ArrayList<>();
        List<String> passages = new ArrayList<>();
        for (Example e : examples) {
            queries.add(e.text());
            passages.add(e.pair() == null ? "" : e.pair());
        }
        float[][] q = embed(model, model.base().tokenizer().encodeAll(queries, maxLength), batcher);
        float[][] p = embed(model, model.base().tokenizer().encodeAll(passages, maxLength), batcher);
        float[][] s = new float[q.length][p.length];
        for (int i = 0; i < q.length; i++) {
            for (int j = 0; j < p.length; j++) {
                double dot = 0;
                for (int h = 0; h < q[i].length; h++) {
                    dot += q[i][h] * p[j][h];
                }
                s[i][j] = (float) dot;
            }
        }
        return s;
    }

    /** Normalised pooled vectors, [texts][hidden], in input order. */
    private static float[][] embed(TaskModel model, List<TokenizedText> tokens, TokenBudgetBatcher batcher) {
        return BatchedRows.of(model.base().manager(), tokens, batcher, in -> Pooling.normalizeRows(model.pooled(in, false)));
    }

    static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }
}

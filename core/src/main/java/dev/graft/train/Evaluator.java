package dev.graft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.graft.model.TokenBatch;
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

    /** Metrics of {@code model} on {@code examples} (plus "examples"). */
    public static Map<String, Double> evaluate(TaskModel model, List<Example> examples, int maxLength, int batchSize) {
        model.base().checkMaxLength(maxLength); // retrieval tokenises without TaskModel.tokenize
        LabelSpace labels = model.labels();
        Map<String, Double> out = new LinkedHashMap<>();
        switch (model.task()) {
            case CLASSIFICATION -> {
                float[][] p = model.predict(examples, maxLength, batchSize);
                int[] gold = new int[examples.size()];
                int[] pred = new int[examples.size()];
                for (int i = 0; i < gold.length; i++) {
                    gold[i] = labels.classIndex(examples.get(i));
                    pred[i] = argmax(p[i]);
                }
                out.putAll(Metrics.classification(gold, pred, labels.names().size()));
            }
            case MULTI_LABEL -> {
                float[][] p = model.predict(examples, maxLength, batchSize);
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
                float[][] p = model.predict(examples, maxLength, batchSize);
                double[] gold = new double[examples.size()];
                double[] pred = new double[examples.size()];
                for (int i = 0; i < gold.length; i++) {
                    gold[i] = labels.value(examples.get(i));
                    pred[i] = p[i][0];
                }
                out.putAll(Metrics.regression(gold, pred));
            }
            case RETRIEVAL -> out.putAll(Metrics.retrieval(retrievalScores(model, examples, maxLength, batchSize)));
        }
        out.put("examples", (double) examples.size());
        return out;
    }

    /** Cosine similarity of every query (text) with every positive (pair): [queries][positives]. */
    static float[][] retrievalScores(TaskModel model, List<Example> examples, int maxLength, int batchSize) {
        List<String> queries = new ArrayList<>();
        List<String> passages = new ArrayList<>();
        for (Example e : examples) {
            queries.add(e.text());
            passages.add(e.pair() == null ? "" : e.pair());
        }
        float[][] q = embed(model, model.base().tokenizer().encodeAll(queries, maxLength), batchSize);
        float[][] p = embed(model, model.base().tokenizer().encodeAll(passages, maxLength), batchSize);
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

    private static float[][] embed(TaskModel model, List<TokenizedText> tokens, int batchSize) {
        float[][] out = new float[tokens.size()][];
        for (int start = 0; start < tokens.size(); start += batchSize) {
            int end = Math.min(tokens.size(), start + batchSize);
            try (NDManager scope = model.base().manager().newSubManager()) {
                NDArray v = dev.graft.model.Pooling.normalizeRows(model.pooled(TokenBatch.of(tokens.subList(start, end), scope), false));
                int h = (int) v.getShape().get(1);
                float[] flat = v.toFloatArray();
                for (int i = start; i < end; i++) {
                    out[i] = java.util.Arrays.copyOfRange(flat, (i - start) * h, (i - start + 1) * h);
                }
            }
        }
        return out;
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

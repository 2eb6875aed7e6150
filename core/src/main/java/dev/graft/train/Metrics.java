package dev.graft.train;

import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;

/** Evaluation metrics, computed in double precision from predictions and gold values. */
public final class Metrics {
    private Metrics() {
    }

    /** Accuracy, macro-F1 and Matthews correlation (multi-class, Gorodkin's R_K) for single-label classification. */
    public static Map<String, Double> classification(int[] gold, int[] predicted, int classes) {
        long[][] confusion = new long[classes][classes];
        for (int i = 0; i < gold.length; i++) {
            confusion[gold[i]][predicted[i]]++;
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("accuracy", accuracy(confusion));
        m.put("macro_f1", macroF1(confusion));
        m.put("mcc", mcc(confusion));
        return m;
    }

    static double accuracy(long[][] c) {
        long correct = 0;
        long total = 0;
        for (int i = 0; i < c.length; i++) {
            for (int j = 0; j < c.length; j++) {
                total += c[i][j];
                if (i == j) {
                    correct += c[i][j];
                }
            }
        }
        return total == 0 ? 0 : correct / (double) total;
    }

    /** Mean over classes present in gold or predictions of F1 = 2TP / (2TP + FP + FN). */
    static double macroF1(long[][] c) {
        double sum = 0;
        int counted = 0;
        for (int k = 0; k < c.length; k++) {
            long tp = c[k][k];
            long fn = 0;
            long fp = 0;
            for (int j = 0; j < c.length; j++) {
                if (j != k) {
                    fn += c[k][j];
                    fp += c[j][k];
                }
            }
            if (tp + fn + fp == 0) {
                continue;
            }
            sum += 2.0 * tp / (2.0 * tp + fp + fn);
            counted++;
        }
        return counted == 0 ? 0 : sum / counted;
    }

    /** Multi-class MCC: (c·s − Σ p_k t_k) / sqrt((s² − Σ p_k²)(s² − Σ t_k²)); 0 when undefined. */
    static double mcc(long[][] c) {
        int k = c.length;
        double s = 0;
        double correct = 0;
        double[] t = new double[k];
        double[] p = new double[k];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                s += c[i][j];
                t[i] += c[i][j];
                p[j] += c[i][j];
            }
            correct += c[i][i];
        }
        double pt = 0;
        double pp = 0;
        double tt = 0;
        for (int i = 0; i < k; i++) {
            pt += p[i] * t[i];
            pp += p[i] * p[i];
            tt += t[i] * t[i];
        }
        double denom = Math.sqrt((s * s - pp) * (s * s - tt));
        return denom == 0 ? 0 : (correct * s - pt) / denom;
    }

    /** Pearson and Spearman correlation, and mean squared error, for regression. */
    public static Map<String, Double> regression(double[] gold, double[] predicted) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("pearson", pearson(gold, predicted));
        m.put("spearman", pearson(ranks(gold), ranks(predicted)));
        double se = 0;
        for (int i = 0; i < gold.length; i++) {
            se += (gold[i] - predicted[i]) * (gold[i] - predicted[i]);
        }
        m.put("mse", gold.length == 0 ? 0 : se / gold.length);
        return m;
    }

    static double pearson(double[] a, double[] b) {
        int n = a.length;
        double ma = Arrays.stream(a).average().orElse(0);
        double mb = Arrays.stream(b).average().orElse(0);
        double sab = 0;
        double saa = 0;
        double sbb = 0;
        for (int i = 0; i < n; i++) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return saa == 0 || sbb == 0 ? 0 : sab / Math.sqrt(saa * sbb);
    }

    /** Ranks 1..n with ties given their average rank. */
    static double[] ranks(double[] x) {
        Integer[] idx = IntStream.range(0, x.length).boxed().toArray(Integer[]::new);
        Arrays.sort(idx, Comparator.comparingDouble(i -> x[i]));
        double[] r = new double[x.length];
        int i = 0;
        while (i < idx.length) {
            int j = i;
            while (j + 1 < idx.length && x[idx[j + 1]] == x[idx[i]]) {
                j++;
            }
            double avg = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                r[idx[k]] = avg;
            }
            i = j + 1;
        }
        return r;
    }

    /** Multi-label: micro-F1, macro-F1 over labels, and subset (exact-match) accuracy. */
    public static Map<String, Double> multiLabel(boolean[][] gold, boolean[][] predicted) {
        int labels = gold.length == 0 ? 0 : gold[0].length;
        long tpAll = 0;
        long fpAll = 0;
        long fnAll = 0;
        double macro = 0;
        int counted = 0;
        for (int l = 0; l < labels; l++) {
            long tp = 0;
            long fp = 0;
            long fn = 0;
            for (int i = 0; i < gold.length; i++) {
                if (gold[i][l] && predicted[i][l]) {
                    tp++;
                } else if (predicted[i][l]) {
                    fp++;
                } else if (gold[i][l]) {
                    fn++;
                }
            }
            tpAll += tp;
            fpAll += fp;
            fnAll += fn;
            if (tp + fp + fn > 0) {
                macro += 2.0 * tp / (2.0 * tp + fp + fn);
                counted++;
            }
        }
        long exact = IntStream.range(0, gold.length).filter(i -> Arrays.equals(gold[i], predicted[i])).count();
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("subset_accuracy", gold.length == 0 ? 0 : exact / (double) gold.length);
        m.put("micro_f1", tpAll + fpAll + fnAll == 0 ? 0 : 2.0 * tpAll / (2.0 * tpAll + fpAll + fnAll));
        m.put("macro_f1", counted == 0 ? 0 : macro / counted);
        return m;
    }

    /**
     * Retrieval quality when query i's relevant item is item i: recall@1, recall@5, recall@10 and MRR.
     *
     * @param scores [queries][items] similarity
     */
    public static Map<String, Double> retrieval(float[][] scores) {
        int n = scores.length;
        double mrr = 0;
        int[] hits = new int[3];
        int[] ks = {1, 5, 10};
        for (int q = 0; q < n; q++) {
            int rank = 1;
            for (int j = 0; j < scores[q].length; j++) {
                if (j != q && scores[q][j] > scores[q][q]) {
                    rank++;
                }
            }
            mrr += 1.0 / rank;
            for (int k = 0; k < ks.length; k++) {
                if (rank <= ks[k]) {
                    hits[k]++;
                }
            }
        }
        Map<String, Double> m = new LinkedHashMap<>();
        for (int k = 0; k < ks.length; k++) {
            m.put("recall@" + ks[k], n == 0 ? 0 : hits[k] / (double) n);
        }
        m.put("mrr", n == 0 ? 0 : mrr / n);
        return m;
    }
}

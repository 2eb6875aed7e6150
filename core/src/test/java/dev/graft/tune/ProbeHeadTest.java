package dev.graft.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import dev.graft.testing.TinyBert;
import dev.graft.train.Example;
import dev.graft.train.LabelSpace;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.train.ToyTasks;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe head on a tiny random model: its fit is the penalised objective's minimum (checked against plain
 * gradient descent), the head computes the standardised model's outputs on raw features, a separable task is fitted
 * exactly, and ridge matches the normal equations. Every reference is computed here, independently of the probe.
 */
class ProbeHeadTest {
    @TempDir
    Path dir;

    /** Six classes: the union of three two-class toy tasks. */
    private static List<Example> sixClasses() {
        List<Example> out = new ArrayList<>();
        out.addAll(ToyTasks.sentiment(20, 1));
        out.addAll(ToyTasks.topic(20, 2));
        out.addAll(ToyTasks.language(20, 3));
        return out;
    }

    private TaskModel model(EncoderModel base, String method, Task task, List<Example> train) {
        PeftMethod m = PeftMethods.byName(method);
        TaskModel tm = new TaskModel(base, m, m.resolveConfig(base.encoder(), JsonNodeFactory.instance.objectNode()),
                LabelSpace.fromTraining(task, train), Pooling.MEAN, 7);
        tm.maxLength(16);
        return tm;
    }

    /** Features [n, p] as doubles, standardised here (population σ). */
    private static double[][] standardised(float[][] rows, double[] mean, double[] sd) {
        int n = rows.length;
        int p = rows[0].length;
        for (float[] r : rows) {
            for (int j = 0; j < p; j++) {
                mean[j] += r[j] / (double) n;
            }
        }
        for (float[] r : rows) {
            for (int j = 0; j < p; j++) {
                sd[j] += (r[j] - mean[j]) * (r[j] - mean[j]) / n;
            }
        }
        double[][] z = new double[n][p];
        for (int j = 0; j < p; j++) {
            sd[j] = Math.sqrt(sd[j]);
            for (int i = 0; i < n; i++) {
                z[i][j] = (rows[i][j] - mean[j]) / sd[j];
            }
        }
        return z;
    }

    /** Mean cross-entropy + λ/2 ‖W‖² of W [k][p], b [k] on z; the gradient into gw, gb when they are not null. */
    private static double objective(double[][] w, double[] b, double[][] z, int[] y, double l2, double[][] gw, double[] gb) {
        int n = z.length;
        int k = b.length;
        double f = 0;
        for (int i = 0; i < n; i++) {
            double[] s = new double[k];
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < k; c++) {
                s[c] = b[c];
                for (int j = 0; j < z[i].length; j++) {
                    s[c] += w[c][j] * z[i][j];
                }
                max = Math.max(max, s[c]);
            }
            double sum = 0;
            for (int c = 0; c < k; c++) {
                sum += Math.exp(s[c] - max);
            }
            f += max + Math.log(sum) - s[y[i]];
            if (gw != null) {
                for (int c = 0; c < k; c++) {
                    double d = (Math.exp(s[c] - max) / sum - (c == y[i] ? 1 : 0)) / n;
                    gb[c] += d;
                    for (int j = 0; j < z[i].length; j++) {
                        gw[c][j] += d * z[i][j];
                    }
                }
            }
        }
        f /= n;
        for (int c = 0; c < k; c++) {
            for (int j = 0; j < w[c].length; j++) {
                f += 0.5 * l2 * w[c][j] * w[c][j];
                if (gw != null) {
                    gw[c][j] += l2 * w[c][j];
                }
            }
        }
        return f;
    }

    @Test
    void classificationProbeIsTheMinimumOfThePenalisedObjective() {
        List<Example> data = sixClasses();
        double l2 = 1e-2;
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 11, 0.2);
             TaskModel tm = model(base, "head", Task.CLASSIFICATION, data)) {
            ProbeReport report = ProbeHead.defaults().lambdas(l2).fit(tm, data, 16, false);
            assertEquals(l2, report.lambda());

            int k = tm.labels().names().size();
            int[] y = data.stream().mapToInt(e -> tm.labels().classIndex(e)).toArray();
            float[][] raw = tm.embed(data, 16);
            int p = raw[0].length;
            double[] mean = new double[p];
            double[] sd = new double[p];
            double[][] z = standardised(raw, mean, sd);
            // the head's raw-feature parameters, unfolded onto z: W_z = W·σ, b_z = b + W·μ
            float[] hw = tm.head().weight().getArray().toFloatArray();
            float[] hb = tm.head().bias().getArray().toFloatArray();
            double[][] wz = new double[k][p];
            double[] bz = new double[k];
            for (int c = 0; c < k; c++) {
                bz[c] = hb[c];
                for (int j = 0; j < p; j++) {
                    wz[c][j] = hw[c * p + j] * sd[j];
                    bz[c] += hw[c * p + j] * mean[j];
                }
            }
            double probe = objective(wz, bz, z, y, l2, null, null);

            // reference: full-batch gradient descent from zero, step 1/L with L ≥ the objective's smoothness
            double smooth = l2;
            for (double[] row : z) {
                double sq = 1;
                for (double v : row) {
                    sq += v * v;
                }
                smooth = Math.max(smooth, sq + l2);
            }
            double[][] w = new double[k][p];
            double[] b = new double[k];
            double ref = 0;
            for (int it = 0; it < 20000; it++) {
                double[][] gw = new double[k][p];
                double[] gb = new double[k];
                ref = objective(w, b, z, y, l2, gw, gb);
                double norm = 0;
                for (int c = 0; c < k; c++) {
                    b[c] -= gb[c] / smooth;
                    norm += gb[c] * gb[c];
                    for (int j = 0; j < p; j++) {
                        w[c][j] -= gw[c][j] / smooth;
                        norm += gw[c][j] * gw[c][j];
                    }
                }
                if (Math.sqrt(norm) < 1e-7) {
                    break;
                }
            }
            assertEquals(ref, probe, 1e-4, "probe objective vs gradient descent's");
        }
    }

    @Test
    void headOnRawFeaturesComputesTheStandardisedModel() {
        List<Example> data = sixClasses();
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 11, 0.2);
             TaskModel tm = model(base, "lora", Task.CLASSIFICATION, data)) {
            ProbeHead probe = ProbeHead.defaults();
            probe.fit(tm, data, 16, false);
            float[][] raw = tm.embed(data, 16);
            int n = raw.length;
            int p = raw[0].length;
            double[] x = new double[n * p];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < p; j++) {
                    x[i * p + j] = raw[i][j];
                }
            }
            ProbeHead.Fitted fitted = probe.fit(x, n, p, ProbeHead.modelFor(tm.labels(), data, false));
            int k = tm.labels().names().size();
            float[][] served = tm.predict(data, 16);
            for (int i = 0; i < n; i++) {
                double[] s = new double[k];
                double sum = 0;
                for (int c = 0; c < k; c++) {
                    s[c] = ProbeModel.output(fitted.packed(), fitted.z(), p, i, c);
                }
                double max = java.util.Arrays.stream(s).max().orElseThrow();
                for (int c = 0; c < k; c++) {
                    sum += Math.exp(s[c] - max);
                }
                for (int c = 0; c < k; c++) {
                    assertEquals(Math.exp(s[c] - max) / sum, served[i][c], 1e-4, "example " + i + " class " + c);
                }
            }
        }
    }

    @Test
    void separableTaskIsFittedExactly() {
        List<Example> data = ToyTasks.topic(80, 5);
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 11, 0.2);
             TaskModel tm = model(base, "head", Task.CLASSIFICATION, data)) {
            ProbeReport report = ProbeHead.defaults().fit(tm, data, 16, false);
            float[][] p = tm.predict(data, 16);
            for (int i = 0; i < data.size(); i++) {
                int argmax = p[i][0] >= p[i][1] ? 0 : 1; // the cue word separates the classes
                assertEquals(data.get(i).label(), tm.labels().names().get(argmax), "example " + i + "; " + report.summary());
            }
            assertEquals(5, report.folds());
            assertTrue(report.summary().startsWith("linear probe: λ "), report.summary());
        }
    }

    @Test
    void ridgeIsTheNormalEquationsSolution() {
        List<Example> toy = ToyTasks.sentiment(40, 9);
        List<Example> data = new ArrayList<>();
        for (int i = 0; i < toy.size(); i++) {
            Example e = toy.get(i);
            double v = (e.label().equals("pos") ? 1.5 : -0.5) + 0.1 * e.text().length();
            data.add(new Example(e.text(), null, Double.toString(v), e.source()));
        }
        double l2 = 0.1;
        try (EncoderModel base = TinyBert.create(dir.resolve("m"), 11, 0.2);
             TaskModel tm = model(base, "head", Task.REGRESSION, data)) {
            ProbeHead.defaults().lambdas(l2).fit(tm, data, 16, false);
            float[][] raw = tm.embed(data, 16);
            int n = raw.length;
            int p = raw[0].length;
            double[][] z = standardised(raw, new double[p], new double[p]);
            double[] y = data.stream().mapToDouble(e -> Double.parseDouble(e.label())).toArray();
            double yMean = java.util.Arrays.stream(y).average().orElseThrow();
            // (ZᵀZ/n + λI) w = Zᵀ(y − ȳ)/n (z is centred), solved by Gaussian elimination with partial pivoting
            double[][] a = new double[p][p + 1];
            for (int r = 0; r < p; r++) {
                for (int c = 0; c < p; c++) {
                    for (int i = 0; i < n; i++) {
                        a[r][c] += z[i][r] * z[i][c] / n;
                    }
                }
                a[r][r] += l2;
                for (int i = 0; i < n; i++) {
                    a[r][p] += z[i][r] * (y[i] - yMean) / n;
                }
            }
            for (int col = 0; col < p; col++) {
                int piv = col;
                for (int r = col + 1; r < p; r++) {
                    if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) {
                        piv = r;
                    }
                }
                double[] t = a[col];
                a[col] = a[piv];
                a[piv] = t;
                for (int r = 0; r < p; r++) {
                    if (r != col) {
                        double f = a[r][col] / a[col][col];
                        for (int c = col; c <= p; c++) {
                            a[r][c] -= f * a[col][c];
                        }
                    }
                }
            }
            float[][] served = tm.predict(data, 16);
            for (int i = 0; i < n; i++) {
                double expected = yMean;
                for (int j = 0; j < p; j++) {
                    expected += a[j][p] / a[j][j] * z[i][j];
                }
                assertEquals(expected, served[i][0], 1e-4 * Math.max(1, Math.abs(expected)), "example " + i);
            }
        }
    }

    /** Random features [n, p] with a planted linear signal per output. */
    private static double[] features(int n, int p, long seed) {
        java.util.Random r = new java.util.Random(seed);
        double[] z = new double[n * p];
        for (int i = 0; i < z.length; i++) {
            z[i] = r.nextGaussian();
        }
        return z;
    }

    private static int[] all(int n) {
        int[] rows = new int[n];
        java.util.Arrays.setAll(rows, i -> i);
        return rows;
    }

    @Test
    void classWeightsWeighTheLossAsRepeatingExamplesWould() {
        int n = 40;
        int p = 4;
        double[] z = features(n, p, 3);
        int[] y = new int[n];
        double[] weights = new double[n];
        List<Integer> repeated = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            y[i] = z[i * p] + 0.5 * z[i * p + 1] > 0.3 ? 1 : (i % 3 == 0 ? 2 : 0);
            weights[i] = y[i] == 1 ? 3 : 1; // weight 3 = the example three times
            for (int r = 0; r < weights[i]; r++) {
                repeated.add(i);
            }
        }
        int[] rows = repeated.stream().mapToInt(Integer::intValue).toArray();
        double[] weighted = new SoftmaxProbe(y, weights, 3, 1000, 1e-9).fit(z, p, all(n), 0.05, null);
        double[] copies = new SoftmaxProbe(y, null, 3, 1000, 1e-9).fit(z, p, rows, 0.05, null);
        for (int i = 0; i < weighted.length; i++) {
            assertEquals(copies[i], weighted[i], 1e-6, "parameter " + i);
        }
    }

    @Test
    void multiLabelFitsEachLabelAsItsOwnLogisticRegression() {
        int n = 50;
        int p = 3;
        int labels = 2;
        double[] z = features(n, p, 4);
        double[] y = new double[n * labels];
        double[][] single = new double[labels][n];
        for (int i = 0; i < n; i++) {
            y[i * labels] = single[0][i] = z[i * p] > 0 ? 1 : 0;
            y[i * labels + 1] = single[1][i] = z[i * p + 1] - z[i * p + 2] > 0.5 || i % 7 == 0 ? 1 : 0;
        }
        double[] joint = new SigmoidProbe(y, labels, 1000, 1e-9).fit(z, p, all(n), 0.1, null);
        for (int l = 0; l < labels; l++) {
            double[] own = new SigmoidProbe(single[l], 1, 1000, 1e-9).fit(z, p, all(n), 0.1, null);
            for (int j = 0; j <= p; j++) {
                assertEquals(own[j], joint[l * (p + 1) + j], 1e-6, "label " + l + " parameter " + j);
            }
        }
    }
}

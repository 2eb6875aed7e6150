package dev.graft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.graft.GraftException;
import dev.graft.runtime.Arrays2;
import dev.graft.runtime.Engines;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The distillation losses against hand computations in double precision. */
class DistillationTest {
    private static final float[][] LOGITS = {{1.0f, -0.5f, 2.0f}, {0.3f, 0.2f, -1.0f}};
    private static final float[][] TEACHER_P = {{0.2f, 0.1f, 0.7f}, {0.5f, 0.4f, 0.1f}};

    @Test
    void classLossIsHardCrossEntropyPlusTemperatureSquaredKl() {
        double t = 2.0;
        double alpha = 0.3;
        Example labelled = new Example("a", null, "x", "t:1");
        Example pseudo = new Example("b", null, "x", "t:2");
        Distillation d = Distillation.ofClasses(t, alpha)
                .put(labelled, log(TEACHER_P[0]), 1f, false)
                .put(pseudo, log(TEACHER_P[1]), 0.5f, true);
        int[] classes = {2, 0};
        double got = loss(d, List.of(labelled, pseudo), classes, null);

        // by hand: KL(q ‖ s) with q = softmax(log p / T), s = softmax(z / T), weighted, mean over the batch, × T²
        double kl = 0;
        double[] w = {1, 0.5};
        for (int i = 0; i < 2; i++) {
            double[] q = softmax(scale(logD(TEACHER_P[i]), 1 / t));
            double[] s = softmax(scale(toD(LOGITS[i]), 1 / t));
            double k = 0;
            for (int c = 0; c < 3; c++) {
                k += q[c] * (Math.log(q[c]) - Math.log(s[c]));
            }
            kl += w[i] * k;
        }
        double soft = t * t * kl / 2;
        // the hard term only on the example with a real label
        double hard = -Math.log(softmax(toD(LOGITS[0]))[2]);
        assertEquals(alpha * hard + (1 - alpha) * soft, got, 1e-5);
    }

    @Test
    void withoutLabelsOnlyTheSoftTermCounts() {
        Example a = new Example("a", null, "x", "t:1");
        Example b = new Example("b", null, "x", "t:2");
        Distillation d = Distillation.ofClasses(1.0, 0.0)
                .put(a, log(TEACHER_P[0]), 1f, true)
                .put(b, log(TEACHER_P[1]), 1f, true);
        double expected = 0;
        for (int i = 0; i < 2; i++) {
            double[] q = toD(TEACHER_P[i]);
            double[] s = softmax(toD(LOGITS[i]));
            for (int c = 0; c < 3; c++) {
                expected += q[c] * (Math.log(q[c]) - Math.log(s[c])) / 2;
            }
        }
        assertEquals(expected, loss(d, List.of(a, b), new int[] {0, 0}, null), 1e-5);
        // a student equal to the teacher has zero loss
        Distillation same = Distillation.ofClasses(3.0, 0.0).put(a, LOGITS[0], 1f, true);
        float[] logSoftmax = log(toF(softmax(toD(LOGITS[0]))));
        same.put(a, logSoftmax, 1f, true);
        assertEquals(0, loss(same, List.of(a), new int[] {0}, null, new float[][] {LOGITS[0]}), 1e-5);
    }

    @Test
    void embeddingLossesByHand() {
        Example a = new Example("a", null, null, "t:1");
        Example b = new Example("b", null, null, "t:2");
        float[][] teacher = {{1, 0, 1}, {0, 2, 0}};
        Distillation cos = Distillation.ofEmbeddings(Distillation.EmbeddingLoss.COSINE, null)
                .put(a, teacher[0], 1f, true).put(b, teacher[1], 1f, true);
        double expected = ((1 - cosine(LOGITS[0], teacher[0])) + (1 - cosine(LOGITS[1], teacher[1]))) / 2;
        assertEquals(expected, loss(cos, List.of(a, b), null, null), 1e-6);
        Distillation mse = Distillation.ofEmbeddings(Distillation.EmbeddingLoss.MSE, null)
                .put(a, teacher[0], 1f, true).put(b, teacher[1], 3f, true);
        double e = 0;
        for (int i = 0; i < 2; i++) {
            double sq = 0;
            for (int h = 0; h < 3; h++) {
                sq += Math.pow(LOGITS[i][h] - teacher[i][h], 2);
            }
            e += (i == 0 ? 1 : 3) * sq / 3;
        }
        assertEquals(e / 2, loss(mse, List.of(a, b), null, null), 1e-5);
        // a projection maps the student's width to the teacher's: [3] -> [2]
        float[][] w = {{1, 0}, {0, 1}, {0, 0}};
        Distillation projected = Distillation.ofEmbeddings(Distillation.EmbeddingLoss.COSINE, w)
                .put(a, new float[] {1, -0.5f}, 1f, true);
        assertEquals(0, loss(projected, List.of(a), null, null), 1e-6);
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(GraftException.class, () -> Distillation.ofClasses(0, 0.5));
        assertThrows(GraftException.class, () -> Distillation.ofClasses(2, 1.5));
        Example a = new Example("a", null, null, "t:1");
        GraftException e = assertThrows(GraftException.class,
                () -> Distillation.ofClasses(2, 0).put(a, new float[2], -1f, true));
        assertEquals(true, e.getMessage().startsWith("t:1"), e.getMessage());
        GraftException width = assertThrows(GraftException.class, () -> loss(Distillation.ofClasses(1, 0)
                .put(a, new float[] {0, 0}, 1f, true), List.of(a), new int[] {0}, null));
        assertEquals(true, width.getMessage().contains("2 classes, the student 3"), width.getMessage());
    }

    private static double loss(Distillation d, List<Example> batch, int[] classes, float[] classWeights) {
        return loss(d, batch, classes, classWeights, LOGITS);
    }

    private static double loss(Distillation d, List<Example> batch, int[] classes, float[] classWeights, float[][] rows) {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            int c = rows[0].length;
            float[] flat = new float[batch.size() * c];
            for (int i = 0; i < batch.size(); i++) {
                System.arraycopy(rows[i], 0, flat, i * c, c);
            }
            NDArray out = Arrays2.owned(m, flat, new Shape(batch.size(), c));
            return d.loss(out, batch, classes, classWeights).getFloat();
        }
    }

    private static double cosine(float[] a, float[] b) {
        return Distillation.cosine(a, b);
    }

    private static float[] log(float[] p) {
        float[] out = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = (float) Math.log(p[i]);
        }
        return out;
    }

    private static double[] logD(float[] p) {
        double[] out = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = Math.log(p[i]);
        }
        return out;
    }

    private static double[] toD(float[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i];
        }
        return out;
    }

    private static float[] toF(double[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) x[i];
        }
        return out;
    }

    private static double[] scale(double[] x, double f) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * f;
        }
        return out;
    }

    private static double[] softmax(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] e = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            e[i] = Math.exp(z[i] - max);
            sum += e[i];
        }
        for (int i = 0; i < z.length; i++) {
            e[i] /= sum;
        }
        return e;
    }
}

package dev.graft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.graft.GraftException;
import dev.graft.model.BatchedRows;
import dev.graft.runtime.Arrays2;
import dev.graft.text.TokenBudgetBatcher;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What another model (the teacher) says about each training example, and how the student learns from it: knowledge
 * distillation (Hinton, Vinyals and Dean 2015, "Distilling the Knowledge in a Neural Network").
 *
 * <p>Classification: each example carries the teacher's class log-probabilities [C]; the loss is
 * {@code α · CE(label, z) + (1 − α) · T² · KL(softmax(log p_t / T) ‖ softmax(z / T))} per batch, the KL term a
 * (weighted) mean over the batch and the cross-entropy a mean over the batch's examples with a real label only
 * (examples that came without one carry the teacher's top class as a pseudo-label, used for model selection and the
 * linear-probe head, never as a hard target). T² keeps the soft term's gradients on the hard term's scale.
 *
 * <p>Embeddings (a retrieval model, no head): each example carries the teacher's embedding [H_t]; the loss is the
 * (weighted) mean of {@code 1 − cos(s W, t)} or of the squared error, where {@code s} [H_s] is the student's pooled
 * vector and {@code W} [H_s, H_t] a fixed projection fitted beforehand when the widths differ (identity otherwise).
 * Model selection uses the mean cosine to the teacher on the held-out examples ({@value #TEACHER_COSINE}).
 *
 * <p>Per-example weights scale the soft term (focal distillation toward a reference model: Yan et al. 2021,
 * "Positive-Congruent Training"); they default to 1. The per-example targets are arbitrary distributions, so data
 * partitioning (some examples distilled toward the teacher, others toward the student's own original outputs) is
 * the caller's choice of targets, not a separate loss.
 *
 * <p>Targets are kept per {@link Example} object (by identity), so holdout splits and shuffles keep them attached.
 */
public final class Distillation {
    /** The selection metric of embedding distillation: mean cosine between the student's and the teacher's vectors. */
    public static final String TEACHER_COSINE = "teacher_cosine";

    /** How a student's embedding is compared with the teacher's. */
    public enum EmbeddingLoss {
        /** 1 − cosine similarity (scale-free; the default). */
        COSINE,
        /** Squared error, averaged over the vector's components. */
        MSE;

        public static EmbeddingLoss parse(String s) {
            return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "cosine", "cos" -> COSINE;
                case "mse" -> MSE;
                default -> throw new GraftException("--embedding-loss must be cosine or mse, got '" + s + "'");
            };
        }
    }

    private final double temperature;
    private final double alpha;
    private final EmbeddingLoss embeddingLoss;
    private final float[][] projection;
    private final Map<Example, float[]> targets = new IdentityHashMap<>();
    private final Map<Example, Float> weights = new IdentityHashMap<>();
    private final Set<Example> pseudoLabelled = Collections.newSetFromMap(new IdentityHashMap<>());

    private Distillation(double temperature, double alpha, EmbeddingLoss embeddingLoss, float[][] projection) {
        this.temperature = temperature;
        this.alpha = alpha;
        this.embeddingLoss = embeddingLoss;
        this.projection = projection;
    }

    /**
     * Distillation of class distributions.
     *
     * @param temperature T &gt; 0 softening both distributions (1 = none)
     * @param alpha       weight in [0, 1] of the hard-label cross-entropy (0 = soft targets only)
     */
    public static Distillation ofClasses(double temperature, double alpha) {
        if (!(temperature > 0) || !Double.isFinite(temperature)) {
            throw new GraftException("--temperature must be a positive number, got " + temperature);
        }
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new GraftException("--label-weight must be in [0, 1], got " + alpha);
        }
        return new Distillation(temperature, alpha, null, null);
    }

    /**
     * Distillation of embeddings.
     *
     * @param projection [H_s][H_t] applied to the student's pooled vectors before the comparison, or null when the
     *                   widths are equal
     */
    public static Distillation ofEmbeddings(EmbeddingLoss loss, float[][] projection) {
        return new Distillation(1, 0, java.util.Objects.requireNonNull(loss, "loss"), projection);
    }

    /**
     * Adds one example's target.
     *
     * @param target       class log-probabilities [C], or an embedding [H_t]
     * @param weight       weight of this example's soft term (≥ 0; 1 for plain distillation)
     * @param pseudoLabel  whether the example's label is the teacher's guess rather than a real one (no hard loss)
     */
    public Distillation put(Example e, float[] target, float weight, boolean pseudoLabel) {
        if (!(weight >= 0) || !Float.isFinite(weight)) {
            throw new GraftException(e.source() + ": distillation weight must be a non-negative number, got " + weight);
        }
        targets.put(e, target.clone());
        weights.put(e, weight);
        if (pseudoLabel) {
            pseudoLabelled.add(e);
        } else {
            pseudoLabelled.remove(e);
        }
        return this;
    }

    /** Whether the targets are embeddings (else class log-probabilities). */
    public boolean embeddings() {
        return embeddingLoss != null;
    }

    public double temperature() {
        return temperature;
    }

    public double alpha() {
        return alpha;
    }

    /** The target of an example, or an error naming it when it has none. */
    public float[] target(Example e) {
        float[] t = targets.get(e);
        if (t == null) {
            throw new GraftException(e.source() + ": no distillation target for this example");
        }
        return t;
    }

    /** Whether an example's label is the teacher's pseudo-label (no hard loss on it). */
    public boolean pseudoLabelled(Example e) {
        return pseudoLabelled.contains(e);
    }

    /** The metric that selects the best checkpoint: the teacher cosine for embeddings, else the task's default. */
    String selectionMetric(Task task) {
        return embeddings() ? TEACHER_COSINE : Evaluator.defaultMetric(task);
    }

    /**
     * The batch loss.
     *
     * @param outputs      [B, C] logits (classification) or [B, H_s] pooled vectors (embeddings)
     * @param batch        the batch's examples, in row order
     * @param classes      the batch's class indices (used only for rows with a real label)
     * @param classWeights [C] class weights of the hard term, or null
     */
    NDArray loss(NDArray outputs, List<Example> batch, int[] classes, float[] classWeights) {
        return embeddings() ? embeddingLoss(outputs, batch) : classLoss(outputs, batch, classes, classWeights);
    }

    private NDArray classLoss(NDArray logits, List<Example> batch, int[] classes, float[] classWeights) {
        NDManager m = logits.getManager();
        int b = batch.size();
        int c = (int) logits.getShape().get(1);
        float[] soft = new float[b * c];
        float[] rowWeights = new float[b];
        double constant = 0; // Σ w q log q: makes the value the KL divergence itself (no gradient)
        float[] hardOneHot = new float[b * c];
        double hardTotal = 0;
        for (int i = 0; i < b; i++) {
            Example e = batch.get(i);
            float[] q = softened(target(e), temperature);
            if (q.length != c) {
                throw new GraftException(e.source() + ": the teacher gives " + q.length + " classes, the student " + c);
            }
            float w = weights.get(e);
            rowWeights[i] = w;
            for (int k = 0; k < c; k++) {
                soft[i * c + k] = q[k];
                if (q[k] > 0) {
                    constant += w * q[k] * Math.log(q[k]);
                }
            }
            if (alpha > 0 && !pseudoLabelled(e)) {
                float cw = classWeights == null ? 1f : classWeights[classes[i]];
                hardOneHot[i * c + classes[i]] = cw;
                hardTotal += cw;
            }
        }
        NDArray t = Arrays2.scalar(m, (float) temperature);
        NDArray studentLog = logits.div(t).logSoftmax(1); // [B, C]
        NDArray crossSoft = studentLog.mul(Arrays2.owned(m, soft, new Shape(b, c))).sum(new int[] {1}); // Σ q log s
        NDArray kl = crossSoft.mul(Arrays2.owned(m, rowWeights)).sum().neg()
                .add(Arrays2.scalar(m, (float) constant)).div(Arrays2.scalar(m, b));
        NDArray softTerm = kl.mul(Arrays2.scalar(m, (float) (temperature * temperature)));
        if (alpha == 0 || hardTotal == 0) {
            return softTerm.mul(Arrays2.scalar(m, (float) (1 - alpha)));
        }
        NDArray hard = logits.logSoftmax(1).mul(Arrays2.owned(m, hardOneHot, new Shape(b, c))).sum().neg()
                .div(Arrays2.scalar(m, (float) hardTotal));
        return hard.mul(Arrays2.scalar(m, (float) alpha)).add(softTerm.mul(Arrays2.scalar(m, (float) (1 - alpha))));
    }

    private NDArray embeddingLoss(NDArray pooled, List<Example> batch) {
        NDManager m = pooled.getManager();
        NDArray s = project(pooled);
        int b = batch.size();
        int h = (int) s.getShape().get(1);
        float[] flat = new float[b * h];
        float[] rowWeights = new float[b];
        for (int i = 0; i < b; i++) {
            float[] t = target(batch.get(i));
            if (t.length != h) {
                throw new GraftException(batch.get(i).source() + ": the teacher's embedding has " + t.length
                        + " dimensions, the student's " + h);
            }
            System.arraycopy(t, 0, flat, i * h, h);
            rowWeights[i] = weights.get(batch.get(i));
        }
        NDArray t = Arrays2.owned(m, flat, new Shape(b, h));
        NDArray perRow = embeddingLoss == EmbeddingLoss.MSE
                ? s.sub(t).square().mean(new int[] {1})
                : Arrays2.scalar(m, 1f).sub(cosine(s, t));
        return perRow.mul(Arrays2.owned(m, rowWeights)).sum().div(Arrays2.scalar(m, b));
    }

    /** [B, H_s] → [B, H_t] through the fitted projection (identity when there is none). */
    private NDArray project(NDArray pooled) {
        if (projection == null) {
            return pooled;
        }
        int hs = projection.length;
        int ht = projection[0].length;
        if (pooled.getShape().get(1) != hs) {
            throw new GraftException("the distillation projection expects " + hs + " dimensions, the student gives "
                    + pooled.getShape().get(1));
        }
        float[] w = new float[hs * ht];
        for (int i = 0; i < hs; i++) {
            System.arraycopy(projection[i], 0, w, i * ht, ht);
        }
        return pooled.matMul(Arrays2.owned(pooled.getManager(), w, new Shape(hs, ht)));
    }

    /** Row-wise cosine similarity of [B, H] arrays: [B]. */
    private static NDArray cosine(NDArray a, NDArray b) {
        NDArray eps = Arrays2.scalar(a.getManager(), 1e-12f);
        NDArray na = a.norm(new int[] {1}).maximum(eps);
        NDArray nb = b.norm(new int[] {1}).maximum(eps);
        return a.mul(b).sum(new int[] {1}).div(na.mul(nb));
    }

    /**
     * Embedding distillation's evaluation: the mean cosine between the student's (projected) vectors and the
     * teacher's on {@code examples}, and the 5th percentile.
     */
    Map<String, Double> evaluate(TaskModel model, List<Example> examples, int maxLength, int batchSize) {
        float[][] student = BatchedRows.ofTexts(model.base().manager(), model.tokenize(examples, maxLength),
                TokenBudgetBatcher.withBatchSize(batchSize), (rows, scope) -> project(model.pooled(
                        dev.graft.model.TokenBatch.of(rows, scope), false)));
        double[] cos = new double[examples.size()];
        double sum = 0;
        for (int i = 0; i < cos.length; i++) {
            cos[i] = cosine(student[i], target(examples.get(i)));
            sum += cos[i];
        }
        java.util.Arrays.sort(cos);
        Map<String, Double> out = new LinkedHashMap<>();
        out.put(TEACHER_COSINE, cos.length == 0 ? 0 : sum / cos.length);
        out.put("teacher_cosine_p5", cos.length == 0 ? 0 : cos[(int) Math.floor(0.05 * (cos.length - 1))]);
        out.put("examples", (double) examples.size());
        return out;
    }

    /** softmax(log p / T) of a row of log-probabilities, computed stably in double precision. */
    static float[] softened(float[] logProbs, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (float x : logProbs) {
            max = Math.max(max, x / temperature);
        }
        double[] e = new double[logProbs.length];
        double sum = 0;
        for (int k = 0; k < e.length; k++) {
            e[k] = Double.isInfinite(logProbs[k]) ? 0 : Math.exp(logProbs[k] / temperature - max);
            sum += e[k];
        }
        float[] q = new float[e.length];
        for (int k = 0; k < e.length; k++) {
            q[k] = (float) (e[k] / sum);
        }
        return q;
    }

    /** Cosine similarity of two vectors. */
    public static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.max(Math.sqrt(na * nb), 1e-12);
    }
}

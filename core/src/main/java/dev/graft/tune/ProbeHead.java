package dev.graft.tune;

import dev.graft.GraftException;
import dev.graft.runtime.Arrays2;
import dev.graft.train.Example;
import dev.graft.train.LabelSpace;
import dev.graft.train.TaskHead;
import dev.graft.train.TaskModel;
import java.util.Arrays;
import java.util.List;

/**
 * LP-FT's first step: fits a freshly built model's task head as a well-regularised linear probe on the features the
 * head reads at step 0, so fine-tuning starts from a good head instead of a random one (a random head's large early
 * gradients distort the pretrained features; Kumar et al. 2022). With {@code --method head} the probe is the result.
 *
 * <p>How: pooled features [n, H] from {@link TaskModel#embed} at the model's max length; standardised per feature;
 * an L2-penalised linear model per task (multinomial logistic regression by L-BFGS for classification, one binary
 * logistic regression per label for multi-label, closed-form ridge for regression; retrieval has no head); λ chosen
 * by stratified {@value #FOLDS}-fold cross-validation (on at most {@value #MAX_CV_EXAMPLES} examples) from {@link #LAMBDAS} (penalty λ/2 ‖W‖² on the standardised
 * weights added to the mean loss, so λ = 1/(n·C) is scikit-learn's C), then refitted on all examples (warm-started from a fold's fit); the
 * standardisation folded into the head's weight [C, H] and bias [C]. Iterative fits stop at gradient norm
 * {@value #TOLERANCE} or {@value #MAX_ITERATIONS} iterations. Class weights, when asked for, weigh the loss as
 * training does. Deterministic.
 */
public final class ProbeHead {
    /** The paper. */
    public static final String REFERENCE = "Kumar et al., Fine-Tuning can Distort Pretrained Features and Underperform "
            + "Out-of-Distribution, ICLR 2022; https://arxiv.org/abs/2202.10054";
    /** The λ grid, strongest first: one per decade. */
    static final double[] LAMBDAS = {10, 1, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5};
    static final int FOLDS = 5;
    static final int MAX_ITERATIONS = 1000;
    static final double TOLERANCE = 1e-5;
    /** Cross-validation reads at most this many examples (spread over the classes); the refit reads them all. */
    static final int MAX_CV_EXAMPLES = 10_000;

    private final double[] lambdas;
    private final int folds;

    private ProbeHead(double[] lambdas, int folds) {
        this.lambdas = lambdas;
        this.folds = folds;
    }

    /** The documented grid and folds. */
    public static ProbeHead defaults() {
        return new ProbeHead(LAMBDAS, FOLDS);
    }

    /** This probe with its own λ grid (one value fixes λ: no cross-validation is needed then, but it still scores). */
    public ProbeHead lambdas(double... grid) {
        if (grid.length == 0 || Arrays.stream(grid).anyMatch(v -> !(v >= 0))) {
            throw new GraftException("probe λ grid must be non-empty and non-negative, got " + Arrays.toString(grid));
        }
        double[] sorted = grid.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length / 2; i++) { // strongest first
            double t = sorted[i];
            sorted[i] = sorted[sorted.length - 1 - i];
            sorted[sorted.length - 1 - i] = t;
        }
        return new ProbeHead(sorted, folds);
    }

    /**
     * Fits {@code model}'s head on {@code train} and writes it into the head's parameters.
     *
     * @param batchSize    examples per forward pass while embedding
     * @param classWeights weigh classes by inverse frequency (classification), as training's {@code --class-weights}
     * @return what was fitted, or null when the model has no head (retrieval)
     */
    public ProbeReport fit(TaskModel model, List<Example> train, int batchSize, boolean classWeights) {
        if (model.head() == null) {
            return null;
        }
        long started = System.nanoTime();
        return fit(model, train, model.embed(train, batchSize), classWeights, started);
    }

    /**
     * As {@link #fit(TaskModel, List, int, boolean)}, on features already computed.
     *
     * @param rows    the features the head reads at step 0, one per example [train.size()][head in-features]
     * @param started when the work began ({@link System#nanoTime()}), for the report's seconds
     */
    ProbeReport fit(TaskModel model, List<Example> train, float[][] rows, boolean classWeights, long started) {
        TaskHead head = model.head();
        int n = rows.length;
        int p = head.inFeatures();
        double[] x = new double[n * p];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < p; j++) {
                x[i * p + j] = rows[i][j];
            }
        }
        ProbeModel m = modelFor(model.labels(), train, classWeights);
        Fitted f = fit(x, n, p, m);
        Arrays2.assign(head.weight().getArray(), f.standardization().weight(f.packed(), m.outputs()));
        Arrays2.assign(head.bias().getArray(), f.standardization().bias(f.packed(), m.outputs()));
        return new ProbeReport(model.task().cliName(), m.metric(), f.choice().lambda(), f.choice().folds(),
                f.choice().score()[0], f.trainLoss(), n, (System.nanoTime() - started) / 1e9);
    }

    /**
     * A probe fitted on standardised features.
     *
     * @param z      the standardised features [n, p]
     * @param packed the parameters on z [C, p + 1]
     */
    record Fitted(Standardization standardization, double[] z, double[] packed, CrossValidation.Choice choice,
                  double trainLoss) {
    }

    /** Standardises x [n, p], chooses λ, refits on all rows. */
    Fitted fit(double[] x, int n, int p, ProbeModel m) {
        Standardization s = Standardization.of(x, n, p);
        double[] z = s.apply(x);
        CrossValidation.Choice choice = CrossValidation.choose(m, z, CrossValidation.subsample(m.strata(), n, MAX_CV_EXAMPLES),
                p, lambdas, folds);
        int[] all = new int[n];
        Arrays.setAll(all, i -> i);
        double[] w = m.fit(z, p, all, choice.lambda(), choice.start());
        return new Fitted(s, z, w, choice, m.loss(w, z, p, all));
    }

    /** The task's probe model with its targets. */
    static ProbeModel modelFor(LabelSpace labels, List<Example> train, boolean classWeights) {
        int n = train.size();
        return switch (labels.task()) {
            case CLASSIFICATION -> {
                int k = labels.names().size();
                int[] y = new int[n];
                int[] counts = new int[k];
                for (int i = 0; i < n; i++) {
                    y[i] = labels.classIndex(train.get(i));
                    counts[y[i]]++;
                }
                double[] w = null;
                if (classWeights) { // n / (C · count_c), as training's inverse-frequency weights
                    w = new double[n];
                    for (int i = 0; i < n; i++) {
                        w[i] = n / ((double) k * counts[y[i]]);
                    }
                }
                yield new SoftmaxProbe(y, w, k, MAX_ITERATIONS, TOLERANCE);
            }
            case MULTI_LABEL -> {
                int l = labels.names().size();
                double[] y = new double[n * l];
                for (int i = 0; i < n; i++) {
                    float[] hot = labels.multiHot(train.get(i));
                    for (int j = 0; j < l; j++) {
                        y[i * l + j] = hot[j];
                    }
                }
                yield new SigmoidProbe(y, l, MAX_ITERATIONS, TOLERANCE);
            }
            case REGRESSION -> {
                double[] y = new double[n];
                for (int i = 0; i < n; i++) {
                    y[i] = labels.value(train.get(i));
                }
                yield new RidgeProbe(y);
            }
            case RETRIEVAL -> throw new IllegalStateException("retrieval has no head to probe");
        };
    }
}

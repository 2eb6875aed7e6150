package dev.graft.tune;

import dev.graft.GraftException;
import dev.graft.runtime.Progress;
import dev.graft.select.Softmax;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * A class-balanced binary logistic regression on frozen features, scored out of fold (cross-fitting): the linear probe
 * of {@link ProbeHead} — features standardised per column ({@link Standardization}), L2 penalty λ chosen by stratified
 * {@value ProbeHead#FOLDS}-fold cross-validation from {@link ProbeHead#LAMBDAS} ({@link CrossValidation}), two-class
 * multinomial logistic regression fitted by L-BFGS ({@link SoftmaxProbe}) — for workflows that need a two-class
 * probe outside a task model (the pool filter of {@code dev.graft.distill}).
 *
 * <p>Class-balanced: each example's loss is weighted n / (2 · n_class), so a handful of positives against thousands of
 * negatives counts as much as they do, and λ means what it means for {@link ProbeHead}. Cross-validation scores λ by
 * held-out AUC (see {@link Ranking} for why not accuracy), ties by held-out cross-entropy.
 *
 * <p>Cross-fitting: the caller deals rows to F folds; classifier f trains on every row outside fold f (rows of no
 * fold, e.g. scarce positives, are in every training set) and scores the rows of fold f, so no row is scored by a
 * classifier that saw it — an in-sample score of a training negative is biased towards its label. λ is chosen once on
 * all rows and shared by the F classifiers (their training sets are 1 − 1/F of the same data); the standardisation
 * uses all rows' features, no labels. Deterministic: folds run in parallel, each on its own data.
 */
public final class BinaryProbe {
    private BinaryProbe() {
    }

    /**
     * Out-of-fold probabilities.
     *
     * @param probabilities P(positive) per row [n]: from the classifier of the row's fold; NaN for rows of no fold
     * @param lambda        the L2 strength chosen by cross-validation (on standardised features)
     * @param cvFolds       the folds cross-validation used (0 when there were too few rows: λ is then the grid's middle)
     * @param cvAuc         the chosen λ's held-out AUC, positives against negatives (NaN without cross-validation)
     */
    public record OutOfFold(double[] probabilities, double lambda, int cvFolds, double cvAuc) {
    }

    /**
     * Fits one classifier per fold and scores each fold's rows with the classifier that left them out.
     *
     * @param x        features [n][p], e.g. pooled encoder outputs (not changed)
     * @param positive the class of each row [n]; both classes must occur
     * @param fold     each row's fold [n]: 0 ≤ fold &lt; folds for a row to score (left out of that fold's training),
     *                 or −1 for a row every classifier trains on and none scores
     * @param folds    F ≥ 2; every fold must hold a row, and every fold's training rows both classes
     * @return P(positive) of the rows that have a fold, and how λ was chosen
     * @throws GraftException when the inputs do not have these shapes
     */
    public static OutOfFold crossFit(float[][] x, boolean[] positive, int[] fold, int folds) {
        return crossFit(x, positive, fold, folds, ProbeHead.LAMBDAS, Progress.NONE);
    }

    /**
     * As {@link #crossFit(float[][], boolean[], int[], int)} choosing λ from {@code lambdas} (one value fixes it).
     *
     * @param lambdas L2 strengths on standardised features (penalty λ/2 ‖W‖² added to the weighted mean loss), each
     *                non-negative, strongest first
     * @param progress receives one phase, "fitting", of folds + 1 units: the choice of λ, then each fold's classifier;
     *                 may be null
     */
    public static OutOfFold crossFit(float[][] x, boolean[] positive, int[] fold, int folds, double[] lambdas,
                                     Progress progress) {
        if (lambdas.length == 0 || Arrays.stream(lambdas).anyMatch(v -> !(v >= 0))) {
            throw new GraftException("binary probe: the λ grid must be non-empty and non-negative, got "
                    + Arrays.toString(lambdas));
        }
        int n = x.length;
        if (positive.length != n || fold.length != n) {
            throw new GraftException("binary probe: " + n + " feature rows but " + positive.length + " classes and "
                    + fold.length + " folds; expected one each per row");
        }
        if (folds < 2) {
            throw new GraftException("binary probe: folds must be at least 2, got " + folds);
        }
        if (n == 0 || x[0].length == 0) {
            throw new GraftException("binary probe: no features; expected at least one row of at least one feature");
        }
        int p = x[0].length;
        double[] flat = new double[n * p];
        int[] y = new int[n];
        int[] perFold = new int[folds];
        for (int i = 0; i < n; i++) {
            if (x[i].length != p) {
                throw new GraftException("binary probe: feature row " + i + " has " + x[i].length + " values; expected "
                        + p + " like row 0");
            }
            if (fold[i] < -1 || fold[i] >= folds) {
                throw new GraftException("binary probe: row " + i + " has fold " + fold[i] + "; expected -1 to " + (folds - 1));
            }
            for (int j = 0; j < p; j++) {
                flat[i * p + j] = x[i][j];
            }
            y[i] = positive[i] ? 1 : 0;
            if (fold[i] >= 0) {
                perFold[fold[i]]++;
            }
        }
        for (int f = 0; f < folds; f++) {
            if (perFold[f] == 0) {
                throw new GraftException("binary probe: fold " + f + " holds no row; expected every fold to hold one");
            }
        }
        int[][] train = new int[folds][];
        for (int f = 0; f < folds; f++) {
            int ff = f;
            train[f] = IntStream.range(0, n).filter(i -> fold[i] != ff).toArray();
            int pos = (int) Arrays.stream(train[f]).filter(i -> y[i] == 1).count();
            if (pos == 0 || pos == train[f].length) {
                throw new GraftException("binary probe: the training rows of fold " + f + " are all "
                        + (pos == 0 ? "negative" : "positive") + "; expected both classes");
            }
        }

        Progress bar = progress == null ? Progress.NONE : progress;
        bar.start("fitting", folds + 1);
        Standardization s = Standardization.of(flat, n, p);
        double[] z = s.apply(flat);
        int[] all = IntStream.range(0, n).toArray();
        ProbeModel overall = new Ranking(probe(y, all), y);
        CrossValidation.Choice choice = CrossValidation.choose(overall, z,
                CrossValidation.subsample(y, n, ProbeHead.MAX_CV_EXAMPLES), p, lambdas, ProbeHead.FOLDS);

        bar.advance(1);
        double[] probabilities = new double[n];
        Arrays.fill(probabilities, Double.NaN);
        IntStream.range(0, folds).parallel().forEach(f -> {
            double[] w = probe(y, train[f]).fit(z, p, train[f], choice.lambda(), choice.start());
            double[] logits = new double[2];
            for (int i = 0; i < n; i++) {
                if (fold[i] == f) {
                    Softmax.logits(w, z, i, p, 2, logits);
                    probabilities[i] = 1 / (1 + Math.exp(logits[0] - logits[1]));
                }
            }
            synchronized (bar) { // folds finish on pool threads; a progress bar need not be thread-safe
                bar.advance(1);
            }
        });
        bar.finish();
        return new OutOfFold(probabilities, choice.lambda(), choice.folds(), choice.folds() == 0 ? Double.NaN
                : choice.score()[0]);
    }

    /**
     * The two-class probe, scored for cross-validation by held-out AUC (the chance that a positive outscores a
     * negative, ties half), ties by held-out cross-entropy. Ranking is what callers use the probabilities for; and with
     * positive-unlabelled data (negatives that hold unlabelled positives, as a pool does) the observed AUC is an
     * increasing linear function of the AUC against true negatives (Menon et al., ICML 2015), so the λ that ranks best
     * on the labels at hand also ranks best on the truth — accuracy at a fixed threshold has no such guarantee. A fold
     * that holds one class only scores 0.5 at every λ, so it does not sway the choice.
     */
    private record Ranking(SoftmaxProbe probe, int[] y) implements ProbeModel {
        @Override
        public int outputs() {
            return 2;
        }

        @Override
        public String metric() {
            return "AUC";
        }

        @Override
        public int[] strata() {
            return y;
        }

        @Override
        public double[] fit(double[] z, int p, int[] rows, double l2, double[] start) {
            return probe.fit(z, p, rows, l2, start);
        }

        @Override
        public double[] score(double[] w, double[] z, int p, int[] rows) {
            double[] margin = new double[rows.length];
            double[] logits = new double[2];
            for (int r = 0; r < rows.length; r++) {
                Softmax.logits(w, z, rows[r], p, 2, logits);
                margin[r] = logits[1] - logits[0];
            }
            return new double[] {auc(margin, rows), loss(w, z, p, rows)};
        }

        @Override
        public boolean better(double[] a, double[] b) {
            return a[0] > b[0] || (a[0] == b[0] && a[1] < b[1]);
        }

        @Override
        public double loss(double[] w, double[] z, int p, int[] rows) {
            return probe.loss(w, z, p, rows);
        }

        /** AUC of {@code score[r]} for rows[r]'s class by the rank-sum (Mann–Whitney) formula, ties at mid-rank. */
        private double auc(double[] score, int[] rows) {
            int m = rows.length;
            Integer[] order = new Integer[m];
            Arrays.setAll(order, r -> r);
            Arrays.sort(order, (a, b) -> Double.compare(score[a], score[b]));
            double positiveRanks = 0;
            long positives = 0;
            for (int lo = 0; lo < m; ) {
                int hi = lo;
                while (hi + 1 < m && score[order[hi + 1]] == score[order[lo]]) {
                    hi++;
                }
                double midRank = (lo + hi) / 2.0 + 1;
                for (int r = lo; r <= hi; r++) {
                    if (y[rows[order[r]]] == 1) {
                        positiveRanks += midRank;
                        positives++;
                    }
                }
                lo = hi + 1;
            }
            long negatives = m - positives;
            if (positives == 0 || negatives == 0) {
                return 0.5;
            }
            return (positiveRanks - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
        }
    }

    /** A two-class probe whose weights balance the classes over {@code rows} (other rows' weights are unused). */
    private static SoftmaxProbe probe(int[] y, int[] rows) {
        int[] counts = new int[2];
        for (int i : rows) {
            counts[y[i]]++;
        }
        double[] w = new double[y.length];
        for (int i : rows) {
            w[i] = rows.length / (2.0 * counts[y[i]]);
        }
        return new SoftmaxProbe(y, w, 2, ProbeHead.MAX_ITERATIONS, ProbeHead.TOLERANCE);
    }
}

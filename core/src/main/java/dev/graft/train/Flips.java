package dev.graft.train;

import dev.graft.GraftException;
import java.util.ArrayList;
import java.util.List;

/**
 * How the predictions of a classifier changed when it was replaced: the examples the old model got right and the new
 * one gets wrong (<em>negative flips</em>, regressions a user sees) and the reverse (<em>positive flips</em>). After
 * Yan et al., "Positive-Congruent Training: Towards Regression-Free Model Updates", CVPR 2021 (arXiv 2011.09161):
 *
 * <pre>
 *   NFR = (1/N) · Σ_i 1[new_i ≠ y_i ∧ old_i = y_i]      negative flip rate, over ALL N examples
 *   PFR = (1/N) · Σ_i 1[new_i = y_i ∧ old_i ≠ y_i]      positive flip rate
 *   relative NFR = NFR / (ACC_old · (1 − ACC_new))      NFR against the rate expected were the two models' errors
 *                                                       independent (1: as many regressions as chance; below 1: the
 *                                                       new model errs where the old one did)
 *   regression share = NFR / (1 − ACC_new)              the share of the new model's errors that the old one got right
 * </pre>
 *
 * Note that {@code ACC_new − ACC_old = PFR − NFR}: a more accurate model can still break many examples. A pure function
 * of three label vectors; it needs no model ({@code dev.graft.compare} runs two models to get them).
 */
public final class Flips {
    private final List<String> classes;
    private final int examples;
    private final int oldCorrect;
    private final int newCorrect;
    private final int agreements;
    private final int[] support;
    private final int[] negativeByClass;
    private final int[] positiveByClass;
    private final int[] negative;
    private final int[] positive;

    private Flips(List<String> classes, int examples, int oldCorrect, int newCorrect, int agreements, int[] support,
            int[] negativeByClass, int[] positiveByClass, int[] negative, int[] positive) {
        this.classes = classes;
        this.examples = examples;
        this.oldCorrect = oldCorrect;
        this.newCorrect = newCorrect;
        this.agreements = agreements;
        this.support = support;
        this.negativeByClass = negativeByClass;
        this.positiveByClass = positiveByClass;
        this.negative = negative;
        this.positive = positive;
    }

    /**
     * Counts the flips between two models' predictions of the same examples.
     *
     * @param classes      the class names, in index order (C of them)
     * @param gold         [N] the true class index of each example, in [0, C)
     * @param oldPredicted [N] the old model's predicted class index of each example
     * @param newPredicted [N] the new model's predicted class index of each example (in the same class order)
     * @throws GraftException when the vectors differ in length, are empty, or hold an index outside [0, C)
     */
    public static Flips of(List<String> classes, int[] gold, int[] oldPredicted, int[] newPredicted) {
        List<String> names = List.copyOf(classes);
        int c = names.size();
        if (c < 1) {
            throw new GraftException("flips: expected at least one class, got none");
        }
        int n = gold.length;
        if (oldPredicted.length != n || newPredicted.length != n) {
            throw new GraftException("flips: gold, old and new predictions must have one entry per example; got " + n
                    + ", " + oldPredicted.length + " and " + newPredicted.length);
        }
        if (n == 0) {
            throw new GraftException("flips: no examples to compare");
        }
        checkRange("gold", gold, c);
        checkRange("old predictions", oldPredicted, c);
        checkRange("new predictions", newPredicted, c);
        int oldRight = 0;
        int newRight = 0;
        int agree = 0;
        int[] support = new int[c];
        int[] negByClass = new int[c];
        int[] posByClass = new int[c];
        List<Integer> neg = new ArrayList<>();
        List<Integer> pos = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean o = oldPredicted[i] == gold[i];
            boolean w = newPredicted[i] == gold[i];
            oldRight += o ? 1 : 0;
            newRight += w ? 1 : 0;
            agree += oldPredicted[i] == newPredicted[i] ? 1 : 0;
            support[gold[i]]++;
            if (o && !w) {
                negByClass[gold[i]]++;
                neg.add(i);
            } else if (!o && w) {
                posByClass[gold[i]]++;
                pos.add(i);
            }
        }
        return new Flips(names, n, oldRight, newRight, agree, support, negByClass, posByClass,
                neg.stream().mapToInt(Integer::intValue).toArray(), pos.stream().mapToInt(Integer::intValue).toArray());
    }

    private static void checkRange(String what, int[] v, int classes) {
        for (int i = 0; i < v.length; i++) {
            if (v[i] < 0 || v[i] >= classes) {
                throw new GraftException("flips: " + what + "[" + i + "] = " + v[i] + ", expected a class index in [0, "
                        + classes + ")");
            }
        }
    }

    /** The class names, in index order. */
    public List<String> classes() {
        return classes;
    }

    /** N, the number of examples compared. */
    public int examples() {
        return examples;
    }

    /** The old model's accuracy. */
    public double oldAccuracy() {
        return oldCorrect / (double) examples;
    }

    /** The new model's accuracy. */
    public double newAccuracy() {
        return newCorrect / (double) examples;
    }

    /** The number of negative flips (old right, new wrong). */
    public int negativeFlips() {
        return negative.length;
    }

    /** The number of positive flips (old wrong, new right). */
    public int positiveFlips() {
        return positive.length;
    }

    /** NFR: negative flips over all examples. */
    public double negativeFlipRate() {
        return negative.length / (double) examples;
    }

    /** PFR: positive flips over all examples. */
    public double positiveFlipRate() {
        return positive.length / (double) examples;
    }

    /** The share of examples on which both models predict the same class (right or wrong). */
    public double agreement() {
        return agreements / (double) examples;
    }

    /**
     * NFR / (ACC_old · (1 − ACC_new)): the negative flip rate against the one expected if the two models erred
     * independently. NaN when the old model is never right or the new one never wrong (no flip is possible).
     */
    public double relativeNegativeFlipRate() {
        double expected = oldAccuracy() * (1 - newAccuracy());
        return expected == 0 ? Double.NaN : negativeFlipRate() / expected;
    }

    /** NFR / (1 − ACC_new): the share of the new model's errors that the old model got right; NaN when it makes none. */
    public double regressionShare() {
        int newWrong = examples - newCorrect;
        return newWrong == 0 ? Double.NaN : negative.length / (double) newWrong;
    }

    /** [C] examples whose gold class is c. */
    public int[] support() {
        return support.clone();
    }

    /** [C] negative flips among the examples whose gold class is c. */
    public int[] negativeByClass() {
        return negativeByClass.clone();
    }

    /** [C] positive flips among the examples whose gold class is c. */
    public int[] positiveByClass() {
        return positiveByClass.clone();
    }

    /** The indices of the negatively flipped examples, ascending. */
    public int[] negativeIndices() {
        return negative.clone();
    }

    /** The indices of the positively flipped examples, ascending. */
    public int[] positiveIndices() {
        return positive.clone();
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "Flips[n=%d, old acc=%.4f, new acc=%.4f, NFR=%.4f, PFR=%.4f, agreement=%.4f]",
                examples, oldAccuracy(), newAccuracy(), negativeFlipRate(), positiveFlipRate(), agreement());
    }
}

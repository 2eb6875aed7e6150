package dev.graft.train;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A slice of the training data held out for model selection when there is no evaluation file: {@value #PERCENT}% of
 * it, at most {@value #MAX} examples. Classification is stratified (each class keeps its share, at least one example
 * held out and at least one left to train on); the other tasks are a random slice (regression values, retrieval pairs,
 * multi-label sets). The slice is a function of (examples, seed) only, both sides keep the file's order, and every
 * example lands on exactly one side.
 *
 * <p>Too little data to spare any — fewer than {@value #MIN_EXAMPLES} examples, a class with fewer than 2, or more
 * classes than the slice has examples — gives an empty slice ({@link #reason()} says why): then the run trains on
 * everything for its fixed budget. The last rule is measured: a slice forced to hold one example of each of 20 or 33
 * classes (a third of the data at 100 examples) selects on noise and starves training; LoRA from the probe on all
 * 100 examples for the fixed budget scored 56.3% vs 48.8% (packages) and 24.9% vs 22.1% (fortunes) on their test
 * sets (bench/tune-defaults.sh's tasks, all-minilm-l6-v2).
 *
 * @param train      the examples to train on
 * @param heldOut    the examples to select with (empty when there was too little data)
 * @param stratified whether the slice was drawn class by class
 * @param reason     why nothing was held out, or null
 */
public record Holdout(List<Example> train, List<Example> heldOut, boolean stratified, String reason) {
    /** Share of the training data held out, in percent. */
    public static final int PERCENT = 10;
    /** The most examples held out: more would only slow evaluation down. */
    public static final int MAX = 1_000;
    /** The fewest training examples that are split at all. */
    public static final int MIN_EXAMPLES = 50;

    /** Splits {@code examples} of {@code task}, drawn with {@code seed}. */
    public static Holdout split(List<Example> examples, Task task, long seed) {
        if (examples.size() < MIN_EXAMPLES) {
            return new Holdout(examples, List.of(), false, "fewer than " + MIN_EXAMPLES + " examples");
        }
        boolean stratified = task == Task.CLASSIFICATION;
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < examples.size(); i++) {
            groups.computeIfAbsent(stratified ? examples.get(i).label() : "", k -> new ArrayList<>()).add(i);
        }
        for (Map.Entry<String, List<Integer>> g : groups.entrySet()) {
            if (g.getValue().size() < 2) {
                return new Holdout(examples, List.of(), false, "class '" + g.getKey() + "' has fewer than 2 examples");
            }
        }
        int target = (int) Math.min(MAX, Math.round(examples.size() * PERCENT / 100.0));
        if (stratified && groups.size() > target) {
            return new Holdout(examples, List.of(), false, groups.size() + " classes but a " + PERCENT + "% slice of "
                    + target + " examples: too few to hold out one of each");
        }
        int[] quota = quotas(groups.values(), examples.size(), target);
        boolean[] held = new boolean[examples.size()];
        Random random = new Random(seed * 31L + 17);
        int k = 0;
        for (List<Integer> members : groups.values()) {
            List<Integer> shuffled = new ArrayList<>(members);
            Collections.shuffle(shuffled, random);
            shuffled.subList(0, quota[k++]).forEach(i -> held[i] = true);
        }
        List<Example> train = new ArrayList<>();
        List<Example> heldOut = new ArrayList<>();
        for (int i = 0; i < examples.size(); i++) {
            (held[i] ? heldOut : train).add(examples.get(i));
        }
        return new Holdout(List.copyOf(train), List.copyOf(heldOut), stratified, null);
    }

    /**
     * Each group's share of {@code target}: the floor of its proportion, at least 1 and at most its size - 1, then
     * the examples still missing go to the groups with the largest remainders (largest-remainder apportionment).
     */
    private static int[] quotas(Collection<List<Integer>> groups, int total, int target) {
        int[] quota = new int[groups.size()];
        double[] remainder = new double[groups.size()];
        int sum = 0;
        int k = 0;
        for (List<Integer> g : groups) {
            double exact = g.size() * (double) target / total;
            quota[k] = Math.min(g.size() - 1, Math.max(1, (int) exact));
            remainder[k] = exact - quota[k];
            sum += quota[k++];
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < quota.length; i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingDouble((Integer i) -> -remainder[i]));
        List<List<Integer>> sized = new ArrayList<>(groups);
        for (int i = 0; sum < target && i < order.size(); i++) {
            int g = order.get(i);
            if (remainder[g] > 0 && quota[g] < sized.get(g).size() - 1) {
                quota[g]++;
                sum++;
            }
        }
        return quota;
    }

    /** Whether nothing was held out. */
    public boolean isEmpty() {
        return heldOut.isEmpty();
    }
}

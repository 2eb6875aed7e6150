package dev.graft.compare;

import dev.graft.GraftException;
import dev.graft.model.engine.EngineChoice;
import dev.graft.text.TokenBudgetBatcher;
import dev.graft.train.Example;
import dev.graft.train.Flips;
import dev.graft.train.LabelSpace;
import dev.graft.train.Prediction;
import dev.graft.train.Predictions;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.tune.ModelRef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Compares an old and a new classifier on the same labelled examples — what {@code graft compare} does: which
 * examples the update breaks ({@link Flips}, negative flips) and which it fixes.
 *
 * <pre>{@code
 * Comparison.Result r = Comparison.of(ModelRef.of(oldDir, null, "old"), ModelRef.of(newDir, null, "new"))
 *         .run(ExampleFiles.reader().read(Path.of("test.csv")));
 * System.out.println(r.flips().negativeFlipRate());
 * }</pre>
 *
 * The two models are loaded one after the other (never both at once), each with its own base model and tokenizer,
 * and predict at the max length each was trained with. Both must be single-label classifiers over the same label
 * names; when the new model orders them differently its predictions are mapped to the old model's order by name.
 */
public final class Comparison {
    private final ModelRef oldRef;
    private final ModelRef newRef;
    private int batchSize = 64;
    private int maxBatchTokens = TokenBudgetBatcher.DEFAULT_MAX_BATCH_TOKENS;
    private EngineChoice engine = EngineChoice.PYTORCH;
    private List<String> labelsIfUnknown;

    private Comparison(ModelRef oldRef, ModelRef newRef) {
        this.oldRef = Objects.requireNonNull(oldRef, "old");
        this.newRef = Objects.requireNonNull(newRef, "new");
    }

    /** Starts a comparison of {@code oldRef} (the model in use) with {@code newRef} (its replacement). */
    public static Comparison of(ModelRef oldRef, ModelRef newRef) {
        return new Comparison(oldRef, newRef);
    }

    /** The most examples per forward pass. */
    public Comparison batchSize(int n) {
        new TokenBudgetBatcher(maxBatchTokens, n); // validates
        this.batchSize = n;
        return this;
    }

    /** The most padded tokens per forward pass (examples × the batch's longest example). */
    public Comparison maxBatchTokens(int tokens) {
        new TokenBudgetBatcher(tokens, batchSize); // validates, naming the option
        this.maxBatchTokens = tokens;
        return this;
    }

    /** The engine both models run on ({@link Predictions#engine(EngineChoice)}; PyTorch unless set). */
    public Comparison engine(EngineChoice choice) {
        this.engine = Objects.requireNonNull(choice, "engine");
        return this;
    }

    /** Label names, in class order, for a PEFT adapter that records none (both sides); null: LABEL_0, LABEL_1, ... */
    public Comparison labelsIfUnknown(List<String> labels) {
        this.labelsIfUnknown = labels == null ? null : List.copyOf(labels);
        return this;
    }

    /** One changed example: right before and wrong after (negative) or the reverse (positive). */
    public record Flip(int index, Example example, String gold, String oldLabel, String newLabel, boolean negative) {
    }

    /**
     * The outcome.
     *
     * @param classes       the label names in the old model's class order (the order of every per-class array)
     * @param newOrder      the new model's label names in its own class order
     * @param gold          [N] true class indices
     * @param oldPredicted  [N] the old model's predicted class indices
     * @param newPredicted  [N] the new model's predicted class indices, in the old model's class order
     */
    public record Result(ModelRef oldRef, ModelRef newRef, List<String> classes, List<String> newOrder,
            List<Example> examples, int[] gold, int[] oldPredicted, int[] newPredicted, Flips flips) {
        /** True when the new model lists the labels in another order (its predictions were aligned by name). */
        public boolean reordered() {
            return !classes.equals(newOrder);
        }

        /** Every flipped example, negative and positive, in example order. */
        public List<Flip> flipped() {
            List<Flip> out = new ArrayList<>();
            for (int i = 0; i < gold.length; i++) {
                boolean o = oldPredicted[i] == gold[i];
                boolean w = newPredicted[i] == gold[i];
                if (o != w) {
                    out.add(new Flip(i, examples.get(i), classes.get(gold[i]), classes.get(oldPredicted[i]),
                            classes.get(newPredicted[i]), o));
                }
            }
            return out;
        }
    }

    /**
     * Predicts {@code examples} with both models and counts the flips.
     *
     * @param examples labelled examples; every label must be one of the models' classes
     * @throws GraftException when a side is not a single-label classifier, the label sets differ, or a label is unknown
     */
    public Result run(List<Example> examples) {
        if (examples.isEmpty()) {
            throw new GraftException("compare: no examples to compare on");
        }
        List<String> oldRecorded = oldRef.recordedLabels();
        List<String> newRecorded = newRef.recordedLabels();
        if (oldRecorded != null && newRecorded != null) {
            alignment(oldRecorded, newRecorded, oldRef.toString(), newRef.toString()); // fail before loading anything
        }
        List<String> classes;
        int[] gold;
        int[] oldPredicted;
        try (ModelRef.Loaded old = oldRef.load(labelsIfUnknown, null)) {
            TaskModel m = requireClassifier(old.model(), oldRef);
            classes = m.labels().names();
            LabelSpace space = new LabelSpace(Task.CLASSIFICATION, classes);
            gold = new int[examples.size()];
            for (int i = 0; i < gold.length; i++) {
                gold[i] = space.classIndex(examples.get(i));
            }
            oldPredicted = predict(m, examples, classes);
        }
        List<String> newOrder;
        int[] newPredicted;
        try (ModelRef.Loaded neu = newRef.load(labelsIfUnknown, null)) {
            TaskModel m = requireClassifier(neu.model(), newRef);
            newOrder = m.labels().names();
            alignment(classes, newOrder, oldRef.toString(), newRef.toString());
            newPredicted = predict(m, examples, classes); // by name: lands in the old model's order
        }
        return new Result(oldRef, newRef, classes, newOrder, List.copyOf(examples), gold, oldPredicted, newPredicted,
                Flips.of(classes, gold, oldPredicted, newPredicted));
    }

    /**
     * Where each of the new model's classes sits in the old model's order.
     *
     * @param oldName the old model's name in an error message
     * @param newName the new model's name in an error message
     * @return [C] for the new model's class j, the old model's index of the same name
     * @throws GraftException naming both label lists when the sets of names differ (or repeat a name)
     */
    public static int[] alignment(List<String> oldLabels, List<String> newLabels, String oldName, String newName) {
        if (oldLabels.size() != newLabels.size() || !new TreeSet<>(oldLabels).equals(new TreeSet<>(newLabels))
                || new TreeSet<>(oldLabels).size() != oldLabels.size()) {
            throw new GraftException("compare: the models have different labels: old " + oldName + " has " + oldLabels
                    + ", new " + newName + " has " + newLabels + "; both must classify into the same label names");
        }
        int[] map = new int[newLabels.size()];
        for (int j = 0; j < map.length; j++) {
            map[j] = oldLabels.indexOf(newLabels.get(j));
        }
        return map;
    }

    private static TaskModel requireClassifier(TaskModel m, ModelRef ref) {
        if (m.task() != Task.CLASSIFICATION) {
            throw new GraftException(ref.dir() + ": a " + m.task().cliName() + " model; compare needs two single-label"
                    + " classifiers");
        }
        return m;
    }

    /** [N] predicted class indices in {@code classes}' order. */
    private int[] predict(TaskModel model, List<Example> examples, List<String> classes) {
        Map<String, Integer> index = new HashMap<>();
        for (int c = 0; c < classes.size(); c++) {
            index.put(classes.get(c), c);
        }
        List<Prediction> p = Predictions.of(model).batchSize(batchSize).maxBatchTokens(maxBatchTokens).engine(engine)
                .run(examples);
        int[] out = new int[p.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = index.get(p.get(i).label());
        }
        return out;
    }
}

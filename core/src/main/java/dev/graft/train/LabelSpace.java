package dev.graft.train;

import dev.graft.GraftException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The labels of a task and how raw label strings become training targets. Built from the training file; a label
 * seen only at evaluation is an error (the model cannot predict it).
 *
 * @param task   the task
 * @param names  class names in index order (sorted); empty for regression and retrieval
 */
public record LabelSpace(Task task, List<String> names) {
    public LabelSpace {
        names = List.copyOf(names);
    }

    /** Collects the labels of the training examples. */
    public static LabelSpace fromTraining(Task task, List<Example> train) {
        if (task == Task.REGRESSION || task == Task.RETRIEVAL) {
            return new LabelSpace(task, List.of());
        }
        TreeSet<String> names = new TreeSet<>();
        for (Example e : train) {
            requireLabel(e);
            if (task == Task.MULTI_LABEL) {
                names.addAll(splitLabels(e.label()));
            } else {
                names.add(e.label().trim());
            }
        }
        if (task == Task.CLASSIFICATION && names.size() < 2) {
            throw new GraftException("training data has " + names.size() + " distinct label(s) " + names
                    + "; classification needs at least 2");
        }
        return new LabelSpace(task, new ArrayList<>(names));
    }

    /** Number of outputs of the head: classes, labels, 1 for regression, 0 for retrieval (no head). */
    public int outputs() {
        return switch (task) {
            case CLASSIFICATION, MULTI_LABEL -> names.size();
            case REGRESSION -> 1;
            case RETRIEVAL -> 0;
        };
    }

    /** Class index of a single-label example. */
    public int classIndex(Example e) {
        requireLabel(e);
        int i = names.indexOf(e.label().trim());
        if (i < 0) {
            throw new GraftException(e.source() + ": label '" + e.label().trim()
                    + "' does not occur in the training data (known labels: " + names + ")");
        }
        return i;
    }

    /** Multi-hot targets of a multi-label example. */
    public float[] multiHot(Example e) {
        requireLabel(e);
        float[] y = new float[names.size()];
        for (String l : splitLabels(e.label())) {
            int i = names.indexOf(l);
            if (i < 0) {
                throw new GraftException(e.source() + ": label '" + l + "' does not occur in the training data (known labels: "
                        + names + ")");
            }
            y[i] = 1f;
        }
        return y;
    }

    /** The number of a regression example. */
    public double value(Example e) {
        requireLabel(e);
        try {
            double v = Double.parseDouble(e.label().trim());
            if (!Double.isFinite(v)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException ex) {
            throw new GraftException(e.source() + ": label '" + e.label() + "' is not a finite number (regression)");
        }
    }

    static List<String> splitLabels(String raw) {
        List<String> out = new ArrayList<>();
        for (String s : raw.split("[,;|]")) {
            if (!s.isBlank()) {
                out.add(s.trim());
            }
        }
        return out;
    }

    private static void requireLabel(Example e) {
        if (e.label() == null || e.label().isBlank()) {
            throw new GraftException(e.source() + ": the label is empty");
        }
    }
}

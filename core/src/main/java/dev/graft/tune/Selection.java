package dev.graft.tune;

import dev.graft.train.Example;
import dev.graft.train.Holdout;
import dev.graft.train.Task;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a run selects its best checkpoint (and stops early) with: the evaluation data given, else a slice of the
 * training data held out ({@link Holdout}), else nothing (the last parameters are kept).
 *
 * @param kind     where the selection data came from
 * @param train    the examples to train on
 * @param eval     the examples to select with (empty for {@link Kind#NONE})
 * @param holdout  the split, when one was attempted; null otherwise
 * @param from     the training file's name, for messages ("the training data" without one)
 */
public record Selection(Kind kind, List<Example> train, List<Example> eval, Holdout holdout, String from) {
    /** Where the selection data came from. */
    public enum Kind {
        /** The evaluation data given. */
        EVAL,
        /** A slice of the training data. */
        HOLDOUT,
        /** None: the last parameters are kept. */
        NONE,
        /** None needed: a linear probe alone, whose regularisation cross-validation on all the training data chooses. */
        CROSS_VALIDATION
    }

    /**
     * Chooses: {@code eval} when it has examples, else a holdout of {@code train} when {@code holdout} is allowed
     * and the data is large enough, else none.
     */
    public static Selection choose(List<Example> train, List<Example> eval, boolean holdout, Task task, long seed,
                                   Path trainFile) {
        String from = nameOf(trainFile);
        if (!eval.isEmpty()) {
            return new Selection(Kind.EVAL, train, eval, null, from);
        }
        if (!holdout) {
            return new Selection(Kind.NONE, train, List.of(), null, from);
        }
        Holdout split = Holdout.split(train, task, seed);
        return new Selection(split.isEmpty() ? Kind.NONE : Kind.HOLDOUT, split.train(), split.heldOut(), split, from);
    }

    /**
     * For a run that only fits the linear-probe head (nothing else trains): it selects nothing among checkpoints, and
     * its cross-validation uses every training example, so none is held out. {@code eval}, when given, is reported.
     */
    public static Selection forProbeOnly(List<Example> train, List<Example> eval, Path trainFile) {
        String from = nameOf(trainFile);
        return new Selection(eval.isEmpty() ? Kind.CROSS_VALIDATION : Kind.EVAL, train, eval, null, from);
    }

    /** How the output names the training data: its file name, or "the training data" when it came without one. */
    private static String nameOf(Path trainFile) {
        return trainFile == null ? "the training data" : String.valueOf(trainFile.getFileName());
    }

    /** One line for the run's output; null when the evaluation data was given (nothing to explain). */
    public String describe() {
        if (kind == Kind.HOLDOUT) {
            return String.format(Locale.ROOT, "selection: %d%% of %s held out (%d examples, %s); --no-holdout to train on everything",
                    Holdout.PERCENT, from, eval.size(), holdout.stratified() ? "stratified" : "random");
        }
        if (kind == Kind.NONE && holdout != null) {
            return "selection: no holdout (" + holdout.reason() + " in " + from
                    + "); trained for the fixed budget without early stopping, keeping the last update";
        }
        if (kind == Kind.CROSS_VALIDATION) {
            return "selection: none held out: the linear probe chooses its regularisation by cross-validation on all of "
                    + from;
        }
        if (kind == Kind.NONE) {
            return "selection: none (--no-holdout, no --eval); trained for the fixed budget, keeping the last update";
        }
        return null;
    }

    /** What the output's JSON and the provenance record: kind, examples, and for a holdout its share and kind. */
    public Map<String, Object> summary() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", kind.name().toLowerCase(Locale.ROOT));
        m.put("examples", eval.size());
        if (kind == Kind.HOLDOUT) {
            m.put("percent", Holdout.PERCENT);
            m.put("from", from);
            m.put("stratified", holdout.stratified());
        } else if (holdout != null) {
            m.put("reason", holdout.reason());
        }
        return m;
    }
}

package dev.graft.tune;

import dev.graft.train.Example;
import dev.graft.train.TaskModel;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The features a task head reads at step 0, kept per example so that the probe's refit on every example (after a
 * holdout) and the other trials of a {@link Search} from the same start embed only what they have not seen. Valid for
 * one start state — the base, the method's initial state and the input shape; a different one empties it. Examples
 * are matched by identity: the training list and its holdout split share their instances.
 */
final class ProbeFeatures {
    private String startState;
    private final Map<Example, float[]> rows = new IdentityHashMap<>();

    /**
     * @param startState names what the features depend on ({@link TaskModel}'s base, method config, seed, max length,
     *                   pooling)
     * @return features [examples.size()][head in-features], in the examples' order
     */
    synchronized float[][] of(TaskModel model, String startState, List<Example> examples, int batchSize) {
        if (!startState.equals(this.startState)) {
            rows.clear();
            this.startState = startState;
        }
        List<Example> missing = new ArrayList<>();
        for (Example e : examples) {
            if (!rows.containsKey(e)) {
                missing.add(e);
            }
        }
        if (!missing.isEmpty()) {
            float[][] computed = model.embed(missing, batchSize);
            for (int i = 0; i < computed.length; i++) {
                rows.put(missing.get(i), computed[i]);
            }
        }
        float[][] out = new float[examples.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = rows.get(examples.get(i));
        }
        return out;
    }
}

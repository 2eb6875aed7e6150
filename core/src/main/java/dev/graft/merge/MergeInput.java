package dev.graft.merge;

import dev.graft.GraftException;
import java.util.List;
import java.util.Map;

/**
 * Everything one merge method needs for one tensor. All arrays are flattened row-major and have the same length
 * {@code n}; the method must not modify them.
 *
 * @param tensor      the tensor's name (for messages and for seeding random methods)
 * @param layer       the transformer layer the tensor belongs to, or -1 (embeddings, pooler, final norms)
 * @param base        the base model's values [n], or null when the config has no {@code base_model}
 * @param models      each model's values [n], in config order
 * @param modelParams each model's parameters already resolved for this tensor (gradients and filters applied;
 *                    global parameters are the fallback)
 * @param params      the global {@code parameters}, resolved for this tensor
 * @param seed        the merge's seed (random methods derive a per-tensor, per-model stream from it)
 * @param fishers     each model's diagonal Fisher [n] (Fisher merging only; null otherwise)
 */
public record MergeInput(String tensor, int layer, float[] base, List<float[]> models, List<Map<String, Double>> modelParams,
                         Map<String, Double> params, long seed, List<float[]> fishers) {

    /** Number of models being merged. */
    public int count() {
        return models.size();
    }

    /** Elements per tensor. */
    public int size() {
        return models.isEmpty() ? (base == null ? 0 : base.length) : models.get(0).length;
    }

    /** A global parameter, or {@code fallback}. */
    public double param(String key, double fallback) {
        Double v = params.get(key);
        return v == null ? fallback : v;
    }

    /** A model's parameter: its own, else the global one, else {@code fallback}. */
    public double modelParam(int i, String key, double fallback) {
        Double v = modelParams.get(i).get(key);
        return v != null ? v : param(key, fallback);
    }

    /** The base, or a clear error naming the method that needs it. */
    public float[] requireBase(String method) {
        if (base == null) {
            throw new GraftException("merge method " + method + " needs base_model (task vectors are differences from it)");
        }
        return base;
    }

    /** A copy with other model tensors and base (used for LoRA deltas, whose base is zero). */
    public MergeInput with(float[] newBase, List<float[]> newModels) {
        return new MergeInput(tensor, layer, newBase, newModels, modelParams, params, seed, fishers);
    }
}

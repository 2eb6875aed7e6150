package dev.graft.peft.prefix;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import dev.graft.runtime.Arrays2;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The per-layer key/value prefixes, either as a table trained directly or produced by the reparametrising MLP of Li &
 * Liang (2021): {@code table = W2·tanh(W1·E + b1) + b2}, with E the [P, H] prefix embeddings.
 *
 * <p>Layout of the table, PEFT's: [P, L·2·H], where for layer l the columns {@code [2lH, 2lH+H)} are the keys and
 * {@code [2lH+H, 2(l+1)H)} the values, each H = heads × head size in head order. Shapes: P virtual tokens, L layers,
 * H hidden size, M the MLP's hidden width.
 */
final class PrefixTable {
    static final String EMBEDDING = "prefix_encoder.embedding.weight";
    static final String W1 = "prefix_encoder.transform.0.weight";
    static final String B1 = "prefix_encoder.transform.0.bias";
    static final String W2 = "prefix_encoder.transform.2.weight";
    static final String B2 = "prefix_encoder.transform.2.bias";

    private final int tokens;
    private final int hidden;
    private final int layers;
    private final boolean projection;
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();

    /**
     * @param projection train through the MLP (true) or the table itself (false)
     * @param mlpHidden  M, the MLP's hidden width (PEFT's {@code encoder_hidden_size})
     */
    PrefixTable(int tokens, int hidden, int layers, boolean projection, int mlpHidden, NDManager manager, long seed) {
        this.tokens = tokens;
        this.hidden = hidden;
        this.layers = layers;
        this.projection = projection;
        Random r = new Random(seed);
        int width = layers * 2 * hidden;
        if (projection) {
            // PyTorch's defaults, as PEFT leaves them: N(0, 1) embeddings, U(±1/√in) linear weights and biases
            put(EMBEDDING, normal(r, tokens * hidden), new Shape(tokens, hidden), manager);
            put(W1, uniform(r, mlpHidden * hidden, hidden), new Shape(mlpHidden, hidden), manager);
            put(B1, uniform(r, mlpHidden, hidden), new Shape(mlpHidden), manager);
            put(W2, uniform(r, width * mlpHidden, mlpHidden), new Shape(width, mlpHidden), manager);
            put(B2, uniform(r, width, mlpHidden), new Shape(width), manager);
        } else {
            put(PrefixTuning.KEY, normal(r, tokens * width), new Shape(tokens, width), manager);
        }
    }

    private void put(String name, float[] values, Shape shape, NDManager manager) {
        Parameter p = Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).build();
        p.setArray(Arrays2.owned(manager, values, shape));
        parameters.put(name, p);
    }

    private static float[] normal(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    private static float[] uniform(Random r, int n, int fanIn) {
        double bound = 1.0 / Math.sqrt(fanIn);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((r.nextDouble() * 2 - 1) * bound);
        }
        return v;
    }

    Map<String, Parameter> parameters() {
        return parameters;
    }

    int tokens() {
        return tokens;
    }

    /**
     * Layer {@code layer}'s keys and values, attached to {@code batch} (intermediates are closed at once).
     *
     * @return [P, 2H]: keys then values
     */
    NDArray layer(int layer, NDManager batch) {
        String cols = ":, " + (long) layer * 2 * hidden + ":" + (long) (layer + 1) * 2 * hidden;
        NDArray out;
        if (projection) {
            NDArray pre = Linear.linear(arr(EMBEDDING), arr(W1), arr(B1)).singletonOrThrow();
            NDArray h = pre.tanh();
            pre.close();
            // only this layer's rows of the output projection: same gradients as slicing the full table, L× cheaper
            String rows = (long) layer * 2 * hidden + ":" + (long) (layer + 1) * 2 * hidden;
            NDArray w = arr(W2).get(rows);
            NDArray b = arr(B2).get(rows);
            out = Linear.linear(h, w, b).singletonOrThrow();
            h.close();
            w.close();
            b.close();
        } else {
            out = arr(PrefixTuning.KEY).get(cols);
        }
        out.attach(batch);
        return out;
    }

    /**
     * The full table as PEFT saves it (no gradient), in {@code manager}.
     *
     * @return [P, L·2·H]
     */
    NDArray table(NDManager manager) {
        if (!projection) {
            return arr(PrefixTuning.KEY).duplicate();
        }
        try (NDManager scratch = manager.newSubManager()) {
            NDArray[] parts = new NDArray[layers];
            for (int l = 0; l < layers; l++) {
                parts[l] = layer(l, scratch);
            }
            NDArray full = ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(parts), 1);
            NDArray copy = full.stopGradient();
            copy.attach(manager);
            return copy;
        }
    }

    private NDArray arr(String name) {
        return parameters.get(name).getArray();
    }
}

package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.graft.GraftException;
import dev.graft.io.TensorSource;
import dev.graft.runtime.Arrays2;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/** Copies named tensors into a network's HF-named parameters, checking that every one is present with its shape. */
public final class WeightLoader {
    private WeightLoader() {
    }

    /**
     * Loads every parameter of {@code params} from {@code source}.
     *
     * @param params   the network's parameters by HF name (not yet holding arrays)
     * @param shapes   their declared shapes by HF name
     * @param source   checkpoint tensors
     * @param rename   maps a checkpoint name to the network's name, or to null for tensors the network does not use
     *                 (e.g. a pre-training head)
     * @param manager  owns the created arrays (the model's manager)
     * @return checkpoint names that were not used (for a warning)
     * @throws GraftException naming the missing tensors or the first shape mismatch
     */
    public static List<String> load(Map<String, Parameter> params, Map<String, Shape> shapes, TensorSource source,
                                    UnaryOperator<String> rename, NDManager manager) {
        Map<String, String> byTarget = new LinkedHashMap<>();
        List<String> unused = new ArrayList<>();
        for (String name : source.names()) {
            String target = rename.apply(name);
            if (target == null || !params.containsKey(target)) {
                unused.add(name);
            } else if (byTarget.put(target, name) != null) {
                throw new GraftException(source.description() + ": two tensors map to parameter '" + target + "'");
            }
        }
        List<String> missing = params.keySet().stream().filter(k -> !byTarget.containsKey(k)).sorted().toList();
        if (!missing.isEmpty()) {
            throw new GraftException(source.description() + ": " + missing.size() + " weight(s) missing, e.g. "
                    + missing.subList(0, Math.min(3, missing.size())) + " (is this checkpoint the architecture its config.json says?)");
        }
        for (Map.Entry<String, String> e : byTarget.entrySet()) {
            Parameter p = params.get(e.getKey());
            long[] shape = source.shape(e.getValue());
            Shape expected = shapes.get(e.getKey());
            if (!Arrays.equals(shape, expected.getShape())) {
                throw new GraftException(source.description() + ": tensor '" + e.getValue() + "' has shape "
                        + Arrays.toString(shape) + " but the config needs " + expected);
            }
            float[] values = source.readFloats(e.getValue());
            if (p.isInitialized()) {
                // DJL allows setArray once per parameter: later loads copy into the existing array
                dev.graft.runtime.Arrays2.assign(p.getArray(), values);
            } else {
                p.setArray(Arrays2.owned(manager, values, new Shape(shape)));
            }
        }
        unused.sort(null);
        return unused;
    }
}

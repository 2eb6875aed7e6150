package dev.graft.merge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.graft.GraftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A merge configuration in mergekit's YAML shape:
 *
 * <pre>
 * models:
 *   - model: ./finetuned-a            # a HF model directory, a PEFT LoRA adapter, or model+adapter
 *     parameters: {weight: 0.5, density: [0.2, 0.8]}
 *   - model: ./base+./lora-b          # fold a LoRA into its model before merging
 *     parameters:
 *       weight: [{filter: attention, value: 0.3}, {value: 0.7}]
 * base_model: ./base
 * merge_method: ties
 * parameters: {lambda: 1.0, normalize: true}
 * dtype: bfloat16                     # float32 | float16 | bfloat16 (default: the base's own)
 * seed: 7                             # graft: seeds DARE
 * heads: [classifier.]                # graft: tensor prefixes kept per model, not merged
 * </pre>
 * Paths are relative to the config file. Validation reports every problem at once, each with its key path.
 *
 * @param models     the models to merge, in order
 * @param baseModel  the base (task vectors are relative to it), or null
 * @param method     the merge method's name
 * @param parameters global parameters
 * @param dtype      output dtype name, or null to keep the base's
 * @param seed       seed for random methods
 * @param heads      tensor-name prefixes that are task heads
 */
public record MergeConfig(List<ModelEntry> models, String baseModel, String method, Map<String, ParamValue> parameters,
                          String dtype, long seed, List<String> heads) {
    /** Methods that only combine LoRA adapters, with PEFT's {@code add_weighted_adapter} meaning. */
    public static final Set<String> PEFT_METHODS = Set.copyOf(PeftCombination.configNames());
    private static final Set<String> TOP_KEYS = Set.of("models", "base_model", "merge_method", "parameters", "dtype", "seed",
            "heads", "tokenizer_source", "name");
    /** mergekit options that change nothing here; accepted with a warning so a mergekit file still loads. */
    private static final Set<String> TOLERATED = Set.of("int8_mask");
    private static final Set<String> DTYPES = Set.of("float32", "float16", "bfloat16");
    /** Accepted by every method: the rank of a merged LoRA (adapter merges). */
    private static final Set<String> COMMON_GLOBAL = Set.of("rank");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER));

    /**
     * One input.
     *
     * @param model      the model (or adapter) directory as written
     * @param adapter    a LoRA adapter to fold into {@code model} first ({@code model+adapter}), or null
     * @param fisher     a Fisher file (safetensors) for the {@code fisher} method, or null
     * @param parameters its parameters
     */
    public record ModelEntry(String model, String adapter, String fisher, Map<String, ParamValue> parameters) {
        /** The config spelling: {@code model} or {@code model+adapter}. */
        public String spec() {
            return adapter == null ? model : model + "+" + adapter;
        }
    }

    /** Reads and validates a YAML file; one GraftException listing every problem. */
    public static MergeConfig load(Path file) {
        JsonNode root;
        try {
            root = YAML.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new GraftException(file + ": cannot read YAML (" + e.getMessage().split("\n")[0] + ")", e);
        }
        return parse(root, file.toString());
    }

    /** Validates a parsed tree; {@code where} names the source in errors. */
    public static MergeConfig parse(JsonNode root, String where) {
        List<String> errors = new ArrayList<>();
        if (root == null || !root.isObject()) {
            throw new GraftException(where + ": expected a YAML mapping with models, merge_method and parameters");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!TOP_KEYS.contains(k)) {
                errors.add(k + ": unknown key" + (k.equals("slices") ? " (mergekit's slices are not supported; use"
                        + " layer_swap with layer_start/layer_end)" : "; expected one of " + new java.util.TreeSet<>(TOP_KEYS)));
            }
        }
        String method = text(root, "merge_method", errors, true);
        MergeMethod m = null;
        boolean peft = method != null && PEFT_METHODS.contains(method);
        if (method != null && !peft) {
            if (MergeMethods.all().containsKey(method)) {
                m = MergeMethods.byName(method);
            } else {
                errors.add("merge_method: unknown '" + method + "'; expected one of " + String.join(", ", MergeMethods.all().keySet())
                        + ", " + String.join(", ", new java.util.TreeSet<>(PEFT_METHODS)));
            }
        }
        Set<String> modelKeys = new LinkedHashSet<>();
        Set<String> globalKeys = new LinkedHashSet<>(COMMON_GLOBAL);
        if (m != null) {
            modelKeys.addAll(m.modelParameters());
            globalKeys.addAll(m.globalParameters());
        } else if (peft) {
            modelKeys.add("weight");
            modelKeys.add("density");
            globalKeys.add("majority_sign_frequency");
        }
        globalKeys.addAll(modelKeys);
        String base = text(root, "base_model", errors, false);
        List<ModelEntry> models = new ArrayList<>();
        JsonNode ms = root.get("models");
        if (ms == null || !ms.isArray() || ms.isEmpty()) {
            errors.add("models: expected a non-empty list of {model: ..., parameters: {...}}");
        } else {
            for (int i = 0; i < ms.size(); i++) {
                String at = "models[" + i + "]";
                JsonNode e = ms.get(i);
                if (e.isTextual()) {
                    e = YAML.createObjectNode().put("model", e.asText());
                }
                if (!e.isObject()) {
                    errors.add(at + ": expected {model: ..., parameters: {...}}");
                    continue;
                }
                for (Iterator<String> it = e.fieldNames(); it.hasNext(); ) {
                    String k = it.next();
                    if (!Set.of("model", "parameters", "fisher").contains(k)) {
                        errors.add(at + "." + k + ": unknown key; expected model, parameters or fisher");
                    }
                }
                String spec = text(e, "model", errors, true, at + ".model");
                String fisher = text(e, "fisher", errors, false, at + ".fisher");
                if (fisher == null && e.path("parameters").path("fisher").isTextual()) {
                    fisher = e.path("parameters").path("fisher").asText(); // mergekit-style placement
                }
                Map<String, ParamValue> p = params(e.get("parameters"), at + ".parameters", modelKeys, m != null || peft, errors);
                if (spec != null) {
                    int plus = spec.indexOf('+');
                    String model = plus < 0 ? spec : spec.substring(0, plus);
                    String adapter = plus < 0 ? null : spec.substring(plus + 1);
                    if (model.isBlank() || (adapter != null && adapter.isBlank())) {
                        errors.add(at + ".model: '" + spec + "' must be DIR or DIR+ADAPTER_DIR");
                    }
                    models.add(new ModelEntry(model, adapter, fisher, p));
                }
                if (m != null && m.needsFishers() && fisher == null) {
                    errors.add(at + ".fisher: the fisher method needs a Fisher file per model (write one with graft fisher)");
                }
            }
        }
        Map<String, ParamValue> global = params(root.get("parameters"), "parameters", globalKeys, m != null || peft, errors);
        String dtype = text(root, "dtype", errors, false);
        if (dtype != null && !DTYPES.contains(dtype)) {
            errors.add("dtype: '" + dtype + "' is not one of float32, float16, bfloat16");
        }
        String tokSource = text(root, "tokenizer_source", errors, false);
        if (tokSource != null && !tokSource.equals("base")) {
            errors.add("tokenizer_source: only 'base' is supported (graft refuses models whose tokenizers differ)");
        }
        long seed = 0;
        if (root.has("seed")) {
            if (root.get("seed").canConvertToLong() && root.get("seed").isIntegralNumber()) {
                seed = root.get("seed").asLong();
            } else {
                errors.add("seed: expected an integer, got " + root.get("seed"));
            }
        }
        List<String> heads = new ArrayList<>(List.of("classifier."));
        if (root.has("heads")) {
            heads.clear();
            JsonNode h = root.get("heads");
            if (!h.isArray()) {
                errors.add("heads: expected a list of tensor-name prefixes");
            } else {
                h.forEach(x -> heads.add(x.asText()));
            }
        }
        if (m != null && ms != null && ms.isArray()) {
            int count = ms.size();
            if (count < m.minModels() || count > m.maxModels()) {
                errors.add("models: " + m.name() + " takes " + m.minModels() + (m.maxModels() == Integer.MAX_VALUE ? " or more"
                        : ".." + m.maxModels()) + " models, got " + count);
            }
        }
        if (!errors.isEmpty()) {
            throw new GraftException(where + ": " + errors.size() + (errors.size() == 1 ? " problem: " : " problems: ")
                    + String.join("; ", errors));
        }
        return new MergeConfig(List.copyOf(models), base, method, global, dtype, seed, List.copyOf(heads));
    }

    private static String text(JsonNode n, String key, List<String> errors, boolean required) {
        return text(n, key, errors, required, key);
    }

    private static String text(JsonNode n, String key, List<String> errors, boolean required, String path) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            if (required) {
                errors.add(path + ": missing");
            }
            return null;
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            errors.add(path + ": expected a non-empty string, got " + v);
            return null;
        }
        return v.asText();
    }

    private static Map<String, ParamValue> params(JsonNode n, String at, Set<String> allowed, boolean checkNames, List<String> errors) {
        Map<String, ParamValue> out = new LinkedHashMap<>();
        if (n == null || n.isNull()) {
            return out;
        }
        if (!n.isObject()) {
            errors.add(at + ": expected a mapping of parameter names to values");
            return out;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String path = at + "." + e.getKey();
            if (e.getKey().equals("fisher") && e.getValue().isTextual()) {
                continue; // handled by the model entry
            }
            if (TOLERATED.contains(e.getKey())) {
                org.slf4j.LoggerFactory.getLogger(MergeConfig.class).warn("{}: mergekit option ignored (graft always streams"
                        + " in float32 and needs no int8 masks)", path);
                continue;
            }
            if (checkNames && !allowed.contains(e.getKey())) {
                errors.add(path + ": not a parameter of this merge method; expected one of " + allowed);
                continue;
            }
            ParamValue v = value(e.getValue(), path, errors, true);
            if (v != null) {
                out.put(e.getKey(), v);
            }
        }
        return out;
    }

    private static ParamValue value(JsonNode v, String path, List<String> errors, boolean filtersAllowed) {
        if (v.isNumber()) {
            return new ParamValue.Scalar(v.asDouble());
        }
        if (v.isBoolean()) {
            return new ParamValue.Scalar(v.asBoolean() ? 1 : 0);
        }
        if (v.isArray() && !v.isEmpty() && v.get(0).isObject()) {
            if (!filtersAllowed) {
                errors.add(path + ": filters cannot nest");
                return null;
            }
            List<ParamValue.Filtered> entries = new ArrayList<>();
            for (int i = 0; i < v.size(); i++) {
                JsonNode f = v.get(i);
                String fp = path + "[" + i + "]";
                if (!f.isObject() || !f.has("value")) {
                    errors.add(fp + ": expected {filter: NAME_PART, value: ...}");
                    continue;
                }
                JsonNode filter = f.get("filter");
                if (filter != null && !filter.isTextual()) {
                    errors.add(fp + ".filter: expected a string");
                    continue;
                }
                ParamValue inner = value(f.get("value"), fp + ".value", errors, false);
                if (inner != null) {
                    entries.add(new ParamValue.Filtered(filter == null ? null : filter.asText(), inner));
                }
            }
            return new ParamValue.Filters(List.copyOf(entries));
        }
        if (v.isArray() && !v.isEmpty()) {
            double[] a = new double[v.size()];
            for (int i = 0; i < a.length; i++) {
                if (!v.get(i).isNumber()) {
                    errors.add(path + "[" + i + "]: expected a number in the gradient, got " + v.get(i));
                    return null;
                }
                a[i] = v.get(i).asDouble();
            }
            return new ParamValue.Gradient(a);
        }
        errors.add(path + ": expected a number, a list of numbers (a gradient across layers) or a list of"
                + " {filter, value}, got " + v);
        return null;
    }

    /** The config as YAML (written next to the merged model). */
    public String toYaml() {
        Map<String, Object> root = new LinkedHashMap<>();
        List<Object> ms = new ArrayList<>();
        for (ModelEntry e : models) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", e.spec());
            if (e.fisher() != null) {
                m.put("fisher", e.fisher());
            }
            Map<String, Object> p = new LinkedHashMap<>();
            e.parameters().forEach((k, v) -> p.put(k, v.toPlain()));
            m.put("parameters", p);
            ms.add(m);
        }
        root.put("models", ms);
        if (baseModel != null) {
            root.put("base_model", baseModel);
        }
        root.put("merge_method", method);
        Map<String, Object> p = new LinkedHashMap<>();
        parameters.forEach((k, v) -> p.put(k, v.toPlain()));
        root.put("parameters", p);
        if (dtype != null) {
            root.put("dtype", dtype);
        }
        root.put("seed", seed);
        root.put("heads", heads);
        try {
            return YAML.writeValueAsString(root);
        } catch (IOException e) {
            throw new GraftException("cannot write the merge config as YAML (" + e.getMessage() + ")", e);
        }
    }

    /** Global and per-model parameters resolved for one tensor (NaN from unmatched filters dropped). */
    static Map<String, Double> resolve(Map<String, ParamValue> p, String tensor, int layer, int layers) {
        Map<String, Double> out = new java.util.HashMap<>();
        p.forEach((k, v) -> {
            double d = v.resolve(tensor, layer, layers);
            if (!Double.isNaN(d)) {
                out.put(k, d);
            }
        });
        return out;
    }
}

package dev.graft.merge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.GraftException;
import dev.graft.io.safetensors.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A PEFT LoRA adapter read for merging: per adapted module its {@code lora_A} [r, in] and {@code lora_B} [out, r]
 * tensor names, the scale (α/r, or α/√r with rsLoRA), and the other tensors it carries (task heads saved through
 * {@code modules_to_save}). Module paths are the tensor names with PEFT's {@code base_model.model.} prefix and the
 * {@code .lora_A.weight} suffix removed.
 */
public final class LoraAdapter implements AutoCloseable {
    static final String PREFIX = "base_model.model.";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final JsonNode config;
    private final SafetensorsFile weights;
    private final int rank;
    private final double scale;
    private final Map<String, String[]> modules = new TreeMap<>(); // module path -> {A name, B name}
    private final Map<String, String> others = new LinkedHashMap<>(); // stripped name -> stored name

    private LoraAdapter(Path dir, JsonNode config, SafetensorsFile weights) {
        this.dir = dir;
        this.config = config;
        this.weights = weights;
        this.rank = config.path("r").asInt(8);
        double alpha = config.path("lora_alpha").asDouble(8);
        this.scale = config.path("use_rslora").asBoolean(false) ? alpha / Math.sqrt(rank) : alpha / rank;
        for (String name : weights.names()) {
            String s = name.startsWith(PREFIX) ? name.substring(PREFIX.length()) : name;
            if (s.endsWith(".lora_A.weight")) {
                String module = s.substring(0, s.length() - ".lora_A.weight".length());
                String b = name.substring(0, name.length() - "lora_A.weight".length()) + "lora_B.weight";
                if (!weights.names().contains(b)) {
                    throw new GraftException(dir + ": " + name + " has no matching lora_B");
                }
                modules.put(module, new String[] {name, b});
            } else if (!s.endsWith(".lora_B.weight")) {
                others.put(s, name);
            }
        }
    }

    /** True if {@code dir} holds a PEFT adapter. */
    public static boolean isAdapter(Path dir) {
        return Files.isRegularFile(dir.resolve("adapter_config.json"));
    }

    /** Opens an adapter directory; refuses anything but plain LoRA (DoRA's magnitudes do not fold into a delta). */
    public static LoraAdapter open(Path dir) {
        Path cfgFile = dir.resolve("adapter_config.json");
        JsonNode cfg;
        try {
            cfg = JSON.readTree(cfgFile.toFile());
        } catch (IOException e) {
            throw new GraftException(cfgFile + ": cannot read (" + e.getMessage() + ")", e);
        }
        if (!"LORA".equalsIgnoreCase(cfg.path("peft_type").asText())) {
            throw new GraftException(cfgFile + ": peft_type is '" + cfg.path("peft_type").asText()
                    + "'; only LoRA adapters can be merged (fold other methods with graft export --merge first)");
        }
        if (cfg.path("use_dora").asBoolean(false)) {
            throw new GraftException(cfgFile + ": use_dora is true; DoRA adapters cannot be merged as low-rank deltas");
        }
        Path w = dir.resolve("adapter_model.safetensors");
        if (!Files.isRegularFile(w)) {
            throw new GraftException(dir + ": no adapter_model.safetensors");
        }
        return new LoraAdapter(dir, cfg, SafetensorsFile.open(w));
    }

    public Path dir() {
        return dir;
    }

    public JsonNode config() {
        return config;
    }

    public int rank() {
        return rank;
    }

    /** α/r (α/√r with rsLoRA). */
    public double scale() {
        return scale;
    }

    /** Adapted module paths, sorted. */
    public java.util.Set<String> modules() {
        return modules.keySet();
    }

    /** A module's lora_A [r, in]. */
    public float[] a(String module) {
        return weights.readFloats(modules.get(module)[0]);
    }

    /** A module's lora_B [out, r]. */
    public float[] b(String module) {
        return weights.readFloats(modules.get(module)[1]);
    }

    public long[] aShape(String module) {
        return weights.shape(modules.get(module)[0]);
    }

    public long[] bShape(String module) {
        return weights.shape(modules.get(module)[1]);
    }

    /** Stored tensor name of a module's A or B (for writing back under the same keys). */
    public String storedName(String module, boolean a) {
        return modules.get(module)[a ? 0 : 1];
    }

    /** Non-LoRA tensors (heads), by name without PEFT's prefix, to their stored names. */
    public Map<String, String> others() {
        return others;
    }

    public SafetensorsFile weights() {
        return weights;
    }

    /** scale · B·A as a dense [out, in] matrix, row-major. */
    public float[] delta(String module) {
        long[] as = aShape(module);
        long[] bs = bShape(module);
        return Lowrank.product(b(module), (int) bs[0], (int) bs[1], a(module), (int) as[1], scale);
    }

    /**
     * The model tensor a module adapts: {@code <module>.weight}, trying PEFT's SEQ_CLS spelling with and without
     * the {@code bert.} wrapper prefix.
     */
    public static String targetTensor(String module, java.util.Set<String> modelNames) {
        String[] candidates = {module + ".weight", module.startsWith("bert.") ? module.substring(5) + ".weight" : "bert." + module + ".weight"};
        for (String c : candidates) {
            if (modelNames.contains(c)) {
                return c;
            }
        }
        return null;
    }

    @Override
    public void close() {
        weights.close();
    }
}

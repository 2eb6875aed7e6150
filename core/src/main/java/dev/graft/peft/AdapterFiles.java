package dev.graft.peft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.io.AtomicFiles;
import dev.graft.io.Provenance;
import dev.graft.io.tensors.TensorFiles;
import dev.graft.model.Encoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adapters on disk in the Hugging Face PEFT layout: file names, config keys, tensor names. What a saved model is made
 * of (a task model with its head, {@code graft_task.json}) is {@code dev.graft.tune.TaskModelFiles}'s job, one layer up.
 *
 * <ul>
 *   <li>{@code adapter_config.json}: PEFT's config ({@code peft_type}, {@code task_type}, the method's keys,
 *       {@code base_model_name_or_path}, {@code modules_to_save}).</li>
 *   <li>{@code adapter_model.safetensors}: the trained tensors under PEFT's keys. With a task head the layout is
 *       PEFT's for {@code BertForSequenceClassification} ({@code task_type} SEQ_CLS): encoder tensors under
 *       {@code base_model.model.bert.<module path>...} and the head under {@code base_model.model.classifier.weight}
 *       / {@code .bias} (PEFT's modules_to_save, saved with the adapter name removed). Without a head (retrieval) it
 *       is the bare {@code BertModel} layout: {@code base_model.model.<module path>...}.</li>
 *   <li>{@code graft_task.json}: what PEFT does not record — task, label names, pooling, max length.</li>
 *   <li>{@code graft_provenance.json}: see {@link Provenance}.</li>
 * </ul>
 * Reading accepts both layouts, and tolerates (with a warning) config keys the method does not use.
 */
public final class AdapterFiles {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    public static final String TASK = "graft_task.json";
    /** The module PEFT saves a sequence classifier's head under ({@code modules_to_save}), as HF names it. */
    public static final String HEAD = "classifier";
    private static final String PREFIX = "base_model.model.";
    /** Keys every PEFT config may carry that are not a method's own options. */
    private static final Set<String> PEFT_COMMON = Set.of("peft_type", "task_type", "base_model_name_or_path", "revision",
            "inference_mode", "auto_mapping", "modules_to_save", "peft_version", "graft_method");
    /**
     * PEFT config keys that change what an adapter computes, with the value that means "off". Graft implements none
     * of them; an adapter that sets one to anything else is refused rather than loaded with a silently different
     * meaning. Keys that only affect initialisation (init_lora_weights, loftq_config, eva_config, corda_config) are
     * harmless for a trained file and fall under the ordinary "ignored with a warning".
     */
    private static final Map<String, String> NEUTRAL = Map.ofEntries(
            Map.entry("layers_to_transform", "null"), Map.entry("layers_pattern", "null"),
            Map.entry("alpha_pattern", "{}"), Map.entry("rank_pattern", "{}"), Map.entry("exclude_modules", "null"),
            Map.entry("layer_replication", "null"), Map.entry("trainable_token_indices", "null"),
            Map.entry("lora_bias", "false"), Map.entry("use_qalora", "false"), Map.entry("megatron_config", "null"),
            Map.entry("fan_in_fan_out", "false"), Map.entry("bias", "\"none\""));
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(AdapterFiles.class);

    private AdapterFiles() {
    }

    /**
     * Writes {@code adapter_config.json}: the method's resolved {@code config} (after {@link PeftMethod#saveFiles})
     * plus the keys PEFT defines for every method.
     *
     * @param withHead       whether the adapter carries a sequence-classification head ({@code task_type} SEQ_CLS)
     * @param baseNameOrPath PEFT's {@code base_model_name_or_path}
     */
    public static void writeConfig(Path dir, PeftMethod method, ObjectNode config, boolean withHead, String baseNameOrPath)
            throws IOException {
        ObjectNode c = config.deepCopy();
        putPeftKeys(c, method, withHead, baseNameOrPath);
        AtomicFiles.write(dir.resolve(CONFIG), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(c));
    }

    /**
     * The name a method tensor is saved under in {@code adapter_model.safetensors}: PEFT's wrapped-model path
     * ({@code base_model.model.} plus {@code bert.} when there is a head); soft prompts stay unprefixed, as PEFT
     * stores them.
     *
     * @param name a key of {@link Adaptation#savedParameters()}
     */
    public static String savedName(String name, boolean withHead) {
        return name.equals("prompt_embeddings") ? name : PREFIX + (withHead ? "bert." : "") + name;
    }

    /** The saved name of a head tensor, e.g. {@code classifier.weight} → {@code base_model.model.classifier.weight}. */
    public static String savedHeadName(String name) {
        return PREFIX + name;
    }

    /** adapter_config.json's keys that PEFT defines for every method, added to the method's own. */
    private static void putPeftKeys(ObjectNode config, PeftMethod method, boolean seqCls, String baseNameOrPath) {
        config.put("peft_type", method.peftType());
        config.put("graft_method", method.name());
        config.put("task_type", seqCls ? "SEQ_CLS" : "FEATURE_EXTRACTION");
        config.put("base_model_name_or_path", baseNameOrPath);
        config.putNull("revision");
        config.put("inference_mode", true);
        if (seqCls) {
            config.putArray("modules_to_save").add(HEAD);
        } else {
            config.putNull("modules_to_save");
        }
    }

    /**
     * The base model an adapter was trained on, as recorded: graft_task.json's {@code base_model}, else the
     * provenance record's, else PEFT's {@code base_model_name_or_path}; null if none says. A path starting with
     * {@code ./} or {@code ../} is relative to the adapter directory.
     */
    public static String baseModelOf(Path dir) {
        for (String[] where : new String[][] {{TASK, "/base_model"}, {Provenance.FILE, "/base_model/id"},
            {CONFIG, "/base_model_name_or_path"}}) {
            Path f = dir.resolve(where[0]);
            if (Files.isRegularFile(f)) {
                String v = readJson(f).at(where[1]).asText("");
                if (v.startsWith("./") || v.startsWith("../") || v.equals(".") || v.equals("..")) {
                    return dir.resolve(v).normalize().toString(); // relative to the adapter (a merged model's head)
                }
                if (!v.isBlank()) {
                    return v;
                }
            }
        }
        return null;
    }

    /** A method and its resolved inference config, as an adapter directory records them. */
    public record MethodConfig(PeftMethod method, ObjectNode config) {
    }

    /**
     * Reads and checks an adapter directory's {@code adapter_config.json}: finds the method ({@code graft_method},
     * else PEFT's {@code peft_type}), keeps the keys it reads, refuses PEFT keys that would change what the adapter
     * computes, warns about the rest, and resolves the config for inference on {@code encoder}.
     *
     * @throws GraftException naming the directory or file and what is missing or unsupported
     */
    public static MethodConfig readMethod(Path dir, Encoder encoder) {
        if (!Files.isDirectory(dir)) {
            throw new GraftException(dir + ": adapter directory does not exist");
        }
        Path configFile = dir.resolve(CONFIG);
        if (!Files.isRegularFile(configFile)) {
            throw new GraftException(dir + ": no " + CONFIG + "; is this an adapter directory?");
        }
        Path weights = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(weights)) {
            throw new GraftException(dir + ": no " + WEIGHTS + " (adapter_model.bin is not supported: it is a pickle)");
        }
        JsonNode config = readJson(configFile);
        String peftType = config.path("peft_type").asText("");
        if (peftType.isEmpty()) {
            throw new GraftException(configFile + ": field 'peft_type' is missing");
        }
        PeftMethod method = config.hasNonNull("graft_method") ? PeftMethods.byName(config.get("graft_method").asText())
                : PeftMethods.byPeftType(peftType, configFile.toString());
        ObjectNode options = JSON.createObjectNode();
        List<String> ignored = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = config.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (method.configKeys().contains(e.getKey())) {
                options.set(e.getKey(), e.getValue());
            } else if (NEUTRAL.containsKey(e.getKey())) {
                if (!isNeutral(e.getValue(), NEUTRAL.get(e.getKey()))) {
                    throw new GraftException(configFile + ": '" + e.getKey() + "' is " + e.getValue() + ", which changes what "
                            + "the adapter computes; Graft's " + method.name() + " supports only " + NEUTRAL.get(e.getKey()));
                }
            } else if (!PEFT_COMMON.contains(e.getKey())) {
                ignored.add(e.getKey());
            }
        }
        if (!ignored.isEmpty()) {
            LOG.warn("{}: ignoring keys {} that {} does not use", configFile, ignored, method.name());
        }
        options = method.loadFiles(options, dir);
        return new MethodConfig(method, method.inferenceConfig(method.resolveConfig(encoder, options)));
    }

    /**
     * The tensors of {@code adapter_model.safetensors}, split into the method's (by the names {@link
     * Adaptation#parameters()} uses) and the task head's ({@code classifier.weight}, {@code classifier.bias}).
     */
    public record Tensors(Map<String, float[]> method, Map<String, float[]> head) {
    }

    /** Reads an adapter's tensors, PEFT's {@code base_model.model.} and {@code bert.} prefixes removed. */
    public static Tensors readTensors(Path dir) {
        Path weights = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(weights)) {
            throw new GraftException(dir + ": no " + WEIGHTS + "; is this an adapter directory?");
        }
        Map<String, float[]> encoderTensors = new LinkedHashMap<>();
        Map<String, float[]> headTensors = new LinkedHashMap<>();
        splitTensors(TensorFiles.readAll(weights), encoderTensors, headTensors);
        return new Tensors(encoderTensors, headTensors);
    }

    /**
     * The method's tensors in an adapter's {@code adapter_model.safetensors}, by the names {@link
     * Adaptation#parameters()} uses (PEFT's {@code base_model.model.} and {@code bert.} prefixes removed, the task head
     * left out). For methods that start from other adapters (composition, MHR-μ initialisation).
     *
     * @param dir an adapter directory
     */
    public static Map<String, float[]> readAdapterTensors(Path dir) {
        return readTensors(dir).method();
    }

    /** Reads {@code adapter_config.json} of an adapter directory. */
    public static ObjectNode readConfig(Path dir) {
        Path f = dir.resolve(CONFIG);
        if (!Files.isRegularFile(f)) {
            throw new GraftException(dir + ": no " + CONFIG + "; is this an adapter directory?");
        }
        return (ObjectNode) readJson(f);
    }

    private static void splitTensors(Map<String, float[]> tensors, Map<String, float[]> encoderTensors,
                                     Map<String, float[]> headTensors) {
        for (Map.Entry<String, float[]> e : tensors.entrySet()) {
            String k = e.getKey().startsWith(PREFIX) ? e.getKey().substring(PREFIX.length()) : e.getKey();
            if (k.startsWith(HEAD + ".")) {
                headTensors.put(k, e.getValue());
            } else {
                encoderTensors.put(k.startsWith("bert.") ? k.substring(5) : k, e.getValue());
            }
        }
    }

    private static boolean isNeutral(JsonNode value, String neutral) {
        if (value == null || value.isNull()) {
            return true;
        }
        if ((value.isArray() || value.isObject()) && value.isEmpty()) {
            return neutral.equals("null") || neutral.equals("{}");
        }
        return value.toString().equals(neutral);
    }

    /** Reads a JSON object file, with errors naming it. */
    public static JsonNode readJson(Path f) {
        try {
            JsonNode n = JSON.readTree(f.toFile());
            if (n == null || !n.isObject()) {
                throw new GraftException(f + ": expected a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw new GraftException(f + ": not valid JSON (" + e.getMessage() + ")", e);
        }
    }
}

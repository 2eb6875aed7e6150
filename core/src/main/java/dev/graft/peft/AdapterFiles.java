package dev.graft.peft;

import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.io.AtomicFiles;
import dev.graft.io.TensorFiles;
import dev.graft.io.safetensors.SafetensorsWriter;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.train.LabelSpace;
import dev.graft.train.Task;
import dev.graft.train.TaskHead;
import dev.graft.train.TaskModel;
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
 * Adapters on disk in the Hugging Face PEFT layout.
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
     * Writes a trained model's adapter into {@code dir} (created if needed; files replaced atomically).
     *
     * @param maxLength the token limit it was trained with (recorded for eval/predict)
     */
    public static void save(TaskModel model, Path dir, int maxLength) {
        save(model, dir, maxLength, model.base().info().id());
    }

    /**
     * As {@link #save(TaskModel, Path, int)}, recording {@code baseModel} as the base to load it on (a path starting with
     * {@code ./} or {@code ../} is relative to the adapter directory).
     */
    public static void save(TaskModel model, Path dir, int maxLength, String baseModel) {
        boolean seqCls = model.head() != null;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new GraftException(dir + ": cannot create the adapter directory (" + e.getMessage() + ")", e);
        }
        ObjectNode config = model.method().saveFiles(model.methodConfig().deepCopy(), dir).deepCopy();
        putPeftKeys(config, model.method(), seqCls, !baseModel.equals(model.base().info().id()) ? baseModel
                : model.base().bundled().map(b -> b.hfRepo()).orElse(model.base().info().id()));
        Map<String, Parameter> tensors = new LinkedHashMap<>();
        String encoderPrefix = PREFIX + (seqCls ? "bert." : "");
        // PEFT stores soft prompts unprefixed ("prompt_embeddings"); module tensors under the wrapped model's path
        model.adaptation().savedParameters().forEach((k, p) -> tensors.put(k.equals("prompt_embeddings") ? k : encoderPrefix + k, p));
        if (seqCls) {
            model.head().namedParameters(TaskHead.NAME).forEach((k, p) -> tensors.put(PREFIX + k, p));
        }
        try {
            Files.createDirectories(dir);
            TensorFiles.writeParameters(dir.resolve(WEIGHTS), tensors, Map.of("format", "pt"));
            AtomicFiles.write(dir.resolve(CONFIG), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config));
            writeTask(model, dir, maxLength, baseModel);
        } catch (IOException e) {
            throw new GraftException(dir + ": cannot write the adapter (" + e.getMessage() + ")", e);
        }
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
            config.putArray("modules_to_save").add(TaskHead.NAME);
        } else {
            config.putNull("modules_to_save");
        }
    }

    /**
     * Writes a task head detached from its model as a head-only adapter ({@link dev.graft.peft.head.HeadOnly}), e.g. one
     * task's head on a merged backbone.
     *
     * @param head      {@code classifier.weight} [C, H] and {@code classifier.bias} [C]
     * @param shapes    their shapes
     * @param task      the head's graft_task.json content; its {@code base_model} is set to {@code baseModel}
     * @param baseModel the backbone to load it on (a path starting with {@code ../} is relative to {@code dir})
     */
    public static void saveHead(Path dir, Map<String, float[]> head, Map<String, long[]> shapes, ObjectNode task, String baseModel) {
        ObjectNode config = JSON.createObjectNode();
        putPeftKeys(config, PeftMethods.byName(dev.graft.peft.head.HeadOnly.NAME), true, baseModel);
        ObjectNode t = task.deepCopy();
        t.put("base_model", baseModel);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        head.forEach((n, v) -> w.addFloats(PREFIX + n, shapes.get(n), v));
        try {
            Files.createDirectories(dir);
            w.write(dir.resolve(WEIGHTS));
            AtomicFiles.write(dir.resolve(CONFIG), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config));
            AtomicFiles.write(dir.resolve(TASK), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(t));
        } catch (IOException e) {
            throw new GraftException(dir + ": cannot write the head (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Writes {@code graft_task.json} (task, labels, pooling, max length, base model) for {@code model} into {@code dir}:
     * what a head needs besides its tensors.
     */
    public static void writeTask(TaskModel model, Path dir, int maxLength) {
        try {
            writeTask(model, dir, maxLength, model.base().info().id());
        } catch (IOException e) {
            throw new GraftException(dir + ": cannot write " + TASK + " (" + e.getMessage() + ")", e);
        }
    }

    private static void writeTask(TaskModel model, Path dir, int maxLength, String baseModel) throws IOException {
        ObjectNode task = JSON.createObjectNode();
        task.put("task", model.task().cliName());
        ArrayNode labels = task.putArray("labels");
        model.labels().names().forEach(labels::add);
        task.put("pooling", model.pooling().cliName());
        task.put("max_length", maxLength);
        task.put("base_model", baseModel);
        AtomicFiles.write(dir.resolve(TASK), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(task));
    }

    /** The task description saved with an adapter. */
    public record TaskInfo(Task task, List<String> labels, Pooling pooling, int maxLength) {
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

    /** Reads {@code graft_task.json}; for adapters written by PEFT itself (no such file) returns null. */
    public static TaskInfo readTask(Path dir) {
        Path f = dir.resolve(TASK);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        JsonNode n = readJson(f);
        List<String> labels = new ArrayList<>();
        n.path("labels").forEach(l -> labels.add(l.asText()));
        return new TaskInfo(Task.parse(n.path("task").asText("classification")), labels,
                Pooling.parse(n.path("pooling").asText("mean")), n.path("max_length").asInt(128));
    }

    /**
     * Loads an adapter onto {@code base}.
     *
     * @param labelsIfUnknown label names to use when the adapter has a head but no graft_task.json (a PEFT file);
     *                        null: "LABEL_0", "LABEL_1", ... as HF names them
     */
    public static TaskModel load(EncoderModel base, Path dir, List<String> labelsIfUnknown) {
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
        ObjectNode resolved = method.inferenceConfig(method.resolveConfig(base.encoder(), options));

        Map<String, float[]> encoderTensors = new LinkedHashMap<>();
        Map<String, float[]> headTensors = new LinkedHashMap<>();
        splitTensors(TensorFiles.readAll(weights), encoderTensors, headTensors);
        TaskInfo info = readTask(dir);
        LabelSpace labels;
        Pooling pooling;
        if (info != null) {
            labels = new LabelSpace(info.task(), info.labels());
            pooling = info.pooling();
        } else {
            // A PEFT SEQ_CLS adapter: HF's classifier sits on the pooler output.
            float[] bias = headTensors.get(TaskHead.NAME + ".bias");
            int classes = bias == null ? 0 : bias.length;
            List<String> names = new ArrayList<>();
            for (int i = 0; i < classes; i++) {
                names.add(labelsIfUnknown != null && i < labelsIfUnknown.size() ? labelsIfUnknown.get(i) : "LABEL_" + i);
            }
            labels = new LabelSpace(classes > 0 ? Task.CLASSIFICATION : Task.RETRIEVAL, names);
            pooling = classes > 0 ? Pooling.POOLER : base.defaultPooling();
        }
        TaskModel model = new TaskModel(base, method, resolved, labels, pooling, 0);
        try {
            // every tensor in the file must have a place: an unused one means the file asks for something we would drop
            java.util.Set<String> unused = new java.util.TreeSet<>(encoderTensors.keySet());
            unused.removeAll(model.adaptation().parameters().keySet());
            if (!unused.isEmpty()) {
                throw new GraftException(weights + ": " + unused.size() + " tensor(s) that " + method.name()
                        + " with this config does not use, e.g. '" + unused.iterator().next() + "'");
            }
            if (model.head() == null && !headTensors.isEmpty()) {
                throw new GraftException(weights + ": has a classifier head but the task (" + labels.task().cliName() + ") has none");
            }
            assign(model.adaptation().parameters(), encoderTensors, weights, "adapter");
            if (model.head() != null) {
                assign(model.head().namedParameters(TaskHead.NAME), headTensors, weights, "head");
            }
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
    }

    /**
     * An adapter's task head alone on {@code base}, whatever else the adapter changes (a linear-probe model: the
     * encoder stays as it is). For methods that reuse a task's head over other weights, such as aTLAS.
     *
     * @param dir an adapter directory with {@code graft_task.json} and a classifier head
     */
    public static TaskModel loadHead(EncoderModel base, Path dir) {
        Path weights = dir.resolve(WEIGHTS);
        TaskInfo info = readTask(dir);
        if (!Files.isRegularFile(weights) || info == null) {
            throw new GraftException(dir + ": expected an adapter directory with " + WEIGHTS + " and " + TASK + " (written by graft"
                    + " tune, graft merge or graft atlas)");
        }
        Map<String, float[]> encoderTensors = new LinkedHashMap<>();
        Map<String, float[]> headTensors = new LinkedHashMap<>();
        splitTensors(TensorFiles.readAll(weights), encoderTensors, headTensors);
        if (headTensors.isEmpty()) {
            throw new GraftException(weights + ": has no task head (" + TaskHead.NAME + ".weight)");
        }
        PeftMethod method = PeftMethods.byName(dev.graft.peft.head.HeadOnly.NAME);
        TaskModel model = new TaskModel(base, method, method.resolveConfig(base.encoder(), JSON.createObjectNode()),
                new LabelSpace(info.task(), info.labels()), info.pooling(), 0);
        try {
            if (model.head() == null) {
                throw new GraftException(dir + ": task '" + info.task().cliName() + "' has no head");
            }
            assign(model.head().namedParameters(TaskHead.NAME), headTensors, weights, "head");
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
    }

    /**
     * The method's tensors in an adapter's {@code adapter_model.safetensors}, by the names {@link
     * Adaptation#parameters()} uses (PEFT's {@code base_model.model.} and {@code bert.} prefixes removed, the task head
     * left out). For methods that start from other adapters (composition, MHR-μ initialisation).
     *
     * @param dir an adapter directory
     */
    public static Map<String, float[]> readAdapterTensors(Path dir) {
        Path weights = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(weights)) {
            throw new GraftException(dir + ": no " + WEIGHTS + "; is this an adapter directory?");
        }
        Map<String, float[]> encoderTensors = new LinkedHashMap<>();
        splitTensors(TensorFiles.readAll(weights), encoderTensors, new LinkedHashMap<>());
        return encoderTensors;
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
            if (k.startsWith(TaskHead.NAME + ".")) {
                headTensors.put(k, e.getValue());
            } else {
                encoderTensors.put(k.startsWith("bert.") ? k.substring(5) : k, e.getValue());
            }
        }
    }

    private static void assign(Map<String, Parameter> params, Map<String, float[]> values, Path file, String what) {
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            float[] v = values.get(e.getKey());
            if (v == null) {
                throw new GraftException(file + ": " + what + " tensor '" + e.getKey() + "' is missing");
            }
            long expected = e.getValue().getArray().size();
            if (v.length != expected) {
                throw new GraftException(file + ": tensor '" + e.getKey() + "' has " + v.length + " values, expected "
                        + expected + " " + e.getValue().getArray().getShape());
            }
            dev.graft.model.Arrays2.assign(e.getValue().getArray(), v);
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

    private static JsonNode readJson(Path f) {
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

package dev.graft.tune;

import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.io.AtomicFiles;
import dev.graft.io.safetensors.SafetensorsWriter;
import dev.graft.io.tensors.TensorFiles;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.peft.AdapterFiles;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import dev.graft.peft.RecordedBase;
import dev.graft.peft.head.HeadOnly;
import dev.graft.runtime.Arrays2;
import dev.graft.train.LabelSpace;
import dev.graft.train.Task;
import dev.graft.train.TaskHead;
import dev.graft.train.TaskModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A {@link TaskModel} saved as an adapter directory and loaded back: the method's tensors and the task head in PEFT's
 * layout ({@link AdapterFiles}), plus {@code graft_task.json} — the task, label names, pooling, max length and base
 * model, which PEFT does not record.
 */
public final class TaskModelFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TaskModelFiles() {
    }

    /** The task description saved with an adapter. */
    public record TaskInfo(Task task, List<String> labels, Pooling pooling, int maxLength) {
    }

    /** Writes a trained model's adapter into {@code dir} (created if needed; files replaced atomically). */
    public static void save(TaskModel model, Path dir) {
        save(model, dir, model.base().info().id());
    }

    /**
     * As {@link #save(TaskModel, Path)}, recording {@code baseModel} as the base to load it on (a path starting with
     * {@code ./} or {@code ../} is relative to the adapter directory).
     */
    public static void save(TaskModel model, Path dir, String baseModel) {
        boolean withHead = model.head() != null;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new GraftException(dir + ": cannot create the adapter directory (" + e.getMessage() + ")", e);
        }
        ObjectNode config = model.method().saveFiles(model.methodConfig().deepCopy(), dir).deepCopy();
        String peftBase = !baseModel.equals(model.base().info().id()) ? baseModel
                : model.base().bundled().map(b -> b.hfRepo()).orElse(model.base().info().id());
        Map<String, Parameter> tensors = new LinkedHashMap<>();
        model.adaptation().savedParameters().forEach((k, p) -> tensors.put(AdapterFiles.savedName(k, withHead), p));
        if (withHead) {
            model.head().namedParameters(TaskHead.NAME).forEach((k, p) -> tensors.put(AdapterFiles.savedHeadName(k), p));
        }
        try {
            TensorFiles.writeParameters(dir.resolve(AdapterFiles.WEIGHTS), tensors, Map.of("format", "pt"));
            AdapterFiles.writeConfig(dir, model.method(), config, withHead, peftBase);
            writeTask(model, dir, baseModel);
        } catch (IOException e) {
            throw new GraftException(dir + ": cannot write the adapter (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Writes a task head detached from its model as a head-only adapter ({@link HeadOnly}), e.g. one
     * task's head on a merged backbone.
     *
     * @param head      {@code classifier.weight} [C, H] and {@code classifier.bias} [C]
     * @param shapes    their shapes
     * @param task      the head's graft_task.json content; its {@code base_model} is set to {@code baseModel}
     * @param baseModel the backbone to load it on (a path starting with {@code ../} is relative to {@code dir})
     */
    public static void saveHead(Path dir, Map<String, float[]> head, Map<String, long[]> shapes, ObjectNode task, String baseModel) {
        ObjectNode t = task.deepCopy();
        t.put("base_model", baseModel);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        head.forEach((n, v) -> w.addFloats(AdapterFiles.savedHeadName(n), shapes.get(n), v));
        try {
            Files.createDirectories(dir);
            w.write(dir.resolve(AdapterFiles.WEIGHTS));
            AdapterFiles.writeConfig(dir, PeftMethods.byName(HeadOnly.NAME), JSON.createObjectNode(), true, baseModel);
            AtomicFiles.write(dir.resolve(AdapterFiles.TASK), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(t));
        } catch (IOException e) {
            throw new GraftException(dir + ": cannot write the head (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Writes {@code graft_task.json} (task, labels, pooling, max length, base model) for {@code model} into {@code dir}:
     * what a head needs besides its tensors.
     */
    public static void writeTask(TaskModel model, Path dir) {
        try {
            writeTask(model, dir, model.base().info().id());
        } catch (IOException e) {
            throw new GraftException(dir + ": cannot write " + AdapterFiles.TASK + " (" + e.getMessage() + ")", e);
        }
    }

    private static void writeTask(TaskModel model, Path dir, String baseModel) throws IOException {
        ObjectNode task = JSON.createObjectNode();
        task.put("task", model.task().cliName());
        ArrayNode labels = task.putArray("labels");
        model.labels().names().forEach(labels::add);
        task.put("pooling", model.pooling().cliName());
        task.put("max_length", model.maxLength());
        task.put("base_model", baseModel);
        AtomicFiles.write(dir.resolve(AdapterFiles.TASK), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(task));
    }

    /** Reads {@code graft_task.json}; for adapters written by PEFT itself (no such file) returns null. */
    public static TaskInfo readTask(Path dir) {
        Path f = dir.resolve(AdapterFiles.TASK);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        JsonNode n = AdapterFiles.readJson(f);
        List<String> labels = new ArrayList<>();
        n.path("labels").forEach(l -> labels.add(l.asText()));
        return new TaskInfo(Task.parse(n.path("task").asText("classification")), labels,
                Pooling.parse(n.path("pooling").asText("mean")), n.path("max_length").asInt(TaskModel.DEFAULT_MAX_LENGTH));
    }

    /** As {@link #load(EncoderModel, Path, List)} for an adapter that records its labels (every one graft writes). */
    public static TaskModel load(EncoderModel base, Path dir) {
        return load(base, dir, null);
    }

    /**
     * Loads an adapter onto {@code base}, at the max length it recorded (set another with {@link TaskModel#maxLength(int)}).
     *
     * @param labelsIfUnknown label names to use when the adapter has a head but no graft_task.json (a PEFT file);
     *                        null: "LABEL_0", "LABEL_1", ... as HF names them
     */
    public static TaskModel load(EncoderModel base, Path dir, List<String> labelsIfUnknown) {
        return load(base, dir, labelsIfUnknown, RecordedBase.defaultPolicy());
    }

    /**
     * As {@link #load(EncoderModel, Path, List)}, applying {@code onOtherBase} when {@code base} is not the base the
     * adapter records ({@link RecordedBase}: the weights' SHA-256 when both are known, else the name).
     */
    public static TaskModel load(EncoderModel base, Path dir, List<String> labelsIfUnknown, RecordedBase.Policy onOtherBase) {
        AdapterFiles.MethodConfig method = AdapterFiles.readMethod(dir, base.encoder());
        RecordedBase.check(dir, base, onOtherBase);
        AdapterFiles.Tensors tensors = AdapterFiles.readTensors(dir);
        Path weights = dir.resolve(AdapterFiles.WEIGHTS);
        TaskInfo info = readTask(dir);
        LabelSpace labels;
        Pooling pooling;
        if (info != null) {
            labels = new LabelSpace(info.task(), info.labels());
            pooling = info.pooling();
        } else {
            // A PEFT SEQ_CLS adapter: HF's classifier sits on the pooler output.
            float[] bias = tensors.head().get(TaskHead.NAME + ".bias");
            int classes = bias == null ? 0 : bias.length;
            List<String> names = new ArrayList<>();
            for (int i = 0; i < classes; i++) {
                names.add(labelsIfUnknown != null && i < labelsIfUnknown.size() ? labelsIfUnknown.get(i) : "LABEL_" + i);
            }
            labels = new LabelSpace(classes > 0 ? Task.CLASSIFICATION : Task.RETRIEVAL, names);
            pooling = classes > 0 ? Pooling.POOLER : base.defaultPooling();
        }
        TaskModel model = new TaskModel(base, method.method(), method.config(), labels, pooling, 0);
        try {
            if (info != null) {
                useRecordedMaxLength(model, info);
            }
            // every tensor in the file must have a place: an unused one means the file asks for something we would drop
            Set<String> unused = new TreeSet<>(tensors.method().keySet());
            unused.removeAll(model.adaptation().parameters().keySet());
            if (!unused.isEmpty()) {
                throw new GraftException(weights + ": " + unused.size() + " tensor(s) that " + method.method().name()
                        + " with this config does not use, e.g. '" + unused.iterator().next() + "'");
            }
            if (model.head() == null && !tensors.head().isEmpty()) {
                throw new GraftException(weights + ": has a classifier head but the task (" + labels.task().cliName() + ") has none");
            }
            assign(model.adaptation().parameters(), tensors.method(), weights, "adapter");
            if (model.head() != null) {
                assign(model.head().namedParameters(TaskHead.NAME), tensors.head(), weights, "head");
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
        Path weights = dir.resolve(AdapterFiles.WEIGHTS);
        TaskInfo info = readTask(dir);
        if (!Files.isRegularFile(weights) || info == null) {
            throw new GraftException(dir + ": expected an adapter directory with " + AdapterFiles.WEIGHTS + " and "
                    + AdapterFiles.TASK + " (written by graft tune, graft merge or graft atlas)");
        }
        Map<String, float[]> head = AdapterFiles.readTensors(dir).head();
        if (head.isEmpty()) {
            throw new GraftException(weights + ": has no task head (" + TaskHead.NAME + ".weight)");
        }
        return headOnly(base, dir, info, head, weights);
    }

    /**
     * A model directory written with its task head — {@code graft export --merge} of a classifier: the encoder's
     * weights with {@code classifier.weight} [C, H] and {@code classifier.bias} [C] beside them, and
     * {@code graft_task.json} — as a task model on {@code base}, the encoder loaded from that same directory.
     *
     * @param base the encoder of {@code dir} ({@code EncoderModel.load(dir)}, which ignores the head's tensors)
     * @param dir  the model directory
     */
    public static TaskModel loadExported(EncoderModel base, Path dir) {
        TaskInfo info = readTask(dir);
        if (info == null) {
            throw new GraftException(dir + ": no " + AdapterFiles.TASK + "; expected a model directory written by"
                    + " graft export --merge from a classifier adapter");
        }
        Map<String, float[]> head = new LinkedHashMap<>();
        try (dev.graft.io.safetensors.SafetensorsStore store = dev.graft.io.safetensors.SafetensorsStore.open(dir)) {
            for (String n : List.of(TaskHead.NAME + ".weight", TaskHead.NAME + ".bias")) {
                if (!store.names().contains(n)) {
                    throw new GraftException(dir + ": the weights have no '" + n + "'; expected the classifier head that"
                            + " graft export --merge keeps beside the encoder");
                }
                head.put(n, store.readFloats(n));
            }
        }
        return headOnly(base, dir, info, head, dir);
    }

    private static TaskModel headOnly(EncoderModel base, Path dir, TaskInfo info, Map<String, float[]> head, Path weights) {
        PeftMethod method = PeftMethods.byName(HeadOnly.NAME);
        TaskModel model = new TaskModel(base, method, method.resolveConfig(base.encoder(), JSON.createObjectNode()),
                new LabelSpace(info.task(), info.labels()), info.pooling(), 0);
        try {
            if (model.head() == null) {
                throw new GraftException(dir + ": task '" + info.task().cliName() + "' has no head");
            }
            useRecordedMaxLength(model, info);
            assign(model.head().namedParameters(TaskHead.NAME), head, weights, "head");
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
    }

    /** The max length the adapter was trained with, capped at the positions of the base it is loaded on. */
    private static void useRecordedMaxLength(TaskModel model, TaskInfo info) {
        model.maxLength(Math.min(info.maxLength(), model.base().info().maxPositions()));
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
            Arrays2.assign(e.getValue().getArray(), v);
        }
    }
}

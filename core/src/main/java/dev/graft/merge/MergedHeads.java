package dev.graft.merge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.io.safetensors.SafetensorsWriter;
import dev.graft.peft.AdapterFiles;
import dev.graft.tune.TaskModelFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task heads of a model merge: tensors under the config's {@code heads} prefixes are not merged; each model's
 * head is written to {@code heads/<i>-<name>/} so the merged backbone serves every task through its own head.
 *
 * <p>A head Graft can serve — {@code classifier.weight} [C, H] and {@code classifier.bias} [C], with a task file (the
 * model's {@code graft_task.json}, written by {@code graft tune} and {@code graft export --merge}, or labels from
 * config.json's {@code id2label}, HF's classifier on the pooler output) — is written as a head-only adapter
 * ({@link dev.graft.peft.head.HeadOnly}): {@code graft eval|predict --model MERGED --adapter MERGED/heads/<i>-<name>}. Any other head is
 * written as {@code head.safetensors} under its own names, for the user's own code.
 */
final class MergedHeads {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(MergedHeads.class);
    /** Where a head adapter finds its backbone: the merged directory two levels up (survives moving the output). */
    static final String BACKBONE = "../..";

    private MergedHeads() {
    }

    static void write(MergeConfig cfg, List<ModelSource> models, Path out) throws IOException {
        for (int i = 0; i < models.size(); i++) {
            ModelSource m = models.get(i);
            Map<String, float[]> values = new LinkedHashMap<>();
            Map<String, long[]> shapes = new LinkedHashMap<>();
            for (String n : m.names()) {
                if (Compatibility.isHead(n, cfg.heads())) {
                    values.put(n, m.store.readFloats(n));
                    shapes.put(n, m.info(n).shape());
                }
            }
            Path taskFile = m.dir.resolve(AdapterFiles.TASK);
            if (m.adapter != null) {
                for (Map.Entry<String, String> e : m.adapter.others().entrySet()) {
                    if (Compatibility.isHead(e.getKey(), cfg.heads())) {
                        values.put(e.getKey(), m.adapter.weights().readFloats(e.getValue()));
                        shapes.put(e.getKey(), m.adapter.weights().shape(e.getValue()));
                    }
                }
                if (Files.isRegularFile(m.adapter.dir().resolve(AdapterFiles.TASK))) {
                    taskFile = m.adapter.dir().resolve(AdapterFiles.TASK);
                }
            }
            if (values.isEmpty()) {
                continue;
            }
            Path dir = directory(out, i, m.adapter != null ? m.adapter.dir() : m.dir);
            ObjectNode task = values.keySet().equals(Set.of("classifier.weight", "classifier.bias"))
                    ? task(taskFile, m.config, shapes.get("classifier.bias")[0]) : null;
            if (task == null) {
                LOG.warn("{}: head {} is not a classifier Graft can serve (classifier.weight/.bias with labels); written as"
                        + " head.safetensors", m.spec, values.keySet());
                Files.createDirectories(dir);
                SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
                values.forEach((n, v) -> w.addFloats(n, shapes.get(n), v));
                w.write(dir.resolve("head.safetensors"));
            } else {
                TaskModelFiles.saveHead(dir, values, shapes, task, BACKBONE);
            }
        }
    }

    /** {@code heads/<i>-<source directory's name>} under {@code out}: where input i's head goes. */
    static Path directory(Path out, int i, Path source) {
        String name = source.toAbsolutePath().normalize().getFileName().toString().replaceAll("[^A-Za-z0-9._-]", "_");
        return out.resolve("heads").resolve(i + "-" + name);
    }

    /** The head's task description: its graft_task.json, else config.json's id2label (pooler output); null if neither. */
    private static ObjectNode task(Path taskFile, JsonNode modelConfig, long classes) throws IOException {
        if (Files.isRegularFile(taskFile)) {
            JsonNode t = JSON.readTree(taskFile.toFile());
            if (!(t instanceof ObjectNode o)) {
                throw new GraftException(taskFile + ": expected a JSON object");
            }
            return o;
        }
        JsonNode id2label = modelConfig.path("id2label");
        if (id2label.size() != classes || modelConfig.path("problem_type").asText("").equals("regression")) {
            return null;
        }
        ObjectNode t = JSON.createObjectNode();
        t.put("task", classes == 1 ? "regression" : "classification");
        ArrayNode labels = t.putArray("labels");
        for (int c = 0; c < classes; c++) {
            JsonNode l = id2label.get(Integer.toString(c));
            if (l == null) {
                return null;
            }
            labels.add(l.asText());
        }
        t.put("pooling", "pooler");
        t.put("max_length", modelConfig.path("max_position_embeddings").asInt(512));
        return t;
    }
}

package dev.graft.carry;

import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.io.Provenance;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.model.bert.BertConfig;
import dev.graft.model.bert.BertModel;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import dev.graft.runtime.Arrays2;
import dev.graft.testing.TinyBert;
import dev.graft.text.TextTokenizer;
import dev.graft.train.LabelSpace;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.tune.TaskModelFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/** Tiny random base models saved as model directories, and adapters trained (at random) on them, for carry tests. */
final class CarryModels {
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> LABELS = List.of("w", "x", "y", "z");

    private CarryModels() {
    }

    /** A tiny BERT with {@code config}, random weights from {@code seed}, saved as {@code dir}; the tokenizer edited by {@code tokenizer}. */
    static Path base(Path dir, BertConfig config, long seed, double std, Consumer<ObjectNode> tokenizer) {
        Path tokDir = dir.resolveSibling(dir.getFileName() + "-tok");
        Path tok = TinyBert.writeTokenizer(tokDir);
        if (tokenizer != null) {
            try {
                ObjectNode t = (ObjectNode) JSON.readTree(tok.toFile());
                tokenizer.accept(t);
                JSON.writeValue(tok.toFile(), t);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        JsonNode cfg = JSON.valueToTree(config);
        try (EncoderModel m = EncoderModel.fromWeights("tiny", cfg,
                TinyBert.randomWeights(new BertModel(config, true).namedParameterShapes(), seed, std),
                TextTokenizer.load(tok), Pooling.MEAN, false)) {
            m.saveAsHuggingFace(dir);
        }
        return dir;
    }

    /** The standard tiny BERT, saved as {@code dir}. */
    static Path base(Path dir, long seed) {
        return base(dir, TinyBert.config(), seed, 0.2, null);
    }

    /**
     * An adapter of {@code method} on the base at {@code baseDir}, its tensors (and a 4-class head, or none for
     * retrieval) set at random, saved as {@code out} with a provenance record naming the base and its hash.
     */
    static Path adapter(Path baseDir, String method, Task task, long seed, Path out) {
        return adapter(baseDir.toString(), method, task, seed, out);
    }

    /** As {@link #adapter(Path, String, Task, long, Path)} on a bundled model id or directory. */
    static Path adapter(String baseId, String method, Task task, long seed, Path out) {
        try (EncoderModel base = EncoderModel.load(baseId)) {
            PeftMethod m = PeftMethods.byName(method);
            ObjectNode cfg = m.resolveConfig(base.encoder(), JsonNodeFactory.instance.objectNode());
            LabelSpace labels = new LabelSpace(task, task == Task.RETRIEVAL ? List.of() : LABELS);
            try (TaskModel model = new TaskModel(base, m, cfg, labels, Pooling.MEAN, seed)) {
                Random r = new Random(seed);
                for (Map.Entry<String, Parameter> e : model.trainable().entrySet()) {
                    float[] v = e.getValue().getArray().toFloatArray();
                    for (int i = 0; i < v.length; i++) {
                        v[i] += (float) (0.05 * r.nextGaussian());
                    }
                    Arrays2.assign(e.getValue().getArray(), v);
                }
                TaskModelFiles.save(model.maxLength(16), out);
                Provenance.write(out, Provenance.create("adapter", base.info().id(), base.weightsSha256(), Map.of(),
                        Map.of("method", method), seed, Map.of()));
            }
        }
        return out;
    }

    /** Short texts over the tiny vocabulary. */
    static List<String> texts(int n, long seed) {
        Random r = new Random(seed);
        List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            StringBuilder sb = new StringBuilder();
            int len = 3 + r.nextInt(6);
            for (int j = 0; j < len; j++) {
                sb.append(j == 0 ? "" : " ").append(TinyBert.WORDS.get(r.nextInt(TinyBert.WORDS.size())));
            }
            out.add(sb.toString());
        }
        return out;
    }
}

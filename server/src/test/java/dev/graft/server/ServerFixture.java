package dev.graft.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.model.EmbedOptions;
import dev.graft.model.Embedder;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import dev.graft.runtime.Arrays2;
import dev.graft.testing.TinyBert;
import dev.graft.train.Example;
import dev.graft.train.LabelSpace;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.tune.TaskModelFiles;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A tiny random base model saved as a Hugging Face directory, adapters on it, and HTTP helpers. */
final class ServerFixture {
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> LABELS = List.of("neg", "neu", "pos");
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    final Path base;
    final Path adapters;

    ServerFixture(Path root) {
        this.base = root.resolve("base");
        this.adapters = root.resolve("adapters");
        try (EncoderModel m = TinyBert.create(root.resolve("tok"), 11, 0.3)) {
            m.saveAsHuggingFace(base);
        }
        try (EncoderModel ref = EncoderModel.load(base.toString())) {
            save(ref, "lora-a", "lora", "{\"r\": 4, \"target_modules\": [\"query\", \"value\", \"output.dense\"]}", Task.CLASSIFICATION, 1, null);
            save(ref, "lora-b", "lora", "{\"r\": 2, \"target_modules\": [\"key\", \"intermediate.dense\"]}", Task.CLASSIFICATION, 2, null);
            save(ref, "ia3-c", "ia3", "{}", Task.MULTI_LABEL, 3, null);
            save(ref, "ret", "lora", "{\"r\": 4, \"target_modules\": [\"query\", \"value\"]}", Task.RETRIEVAL, 4, null);
            save(ref, "prefix-d", "prefix", "{\"num_virtual_tokens\": 4}", Task.CLASSIFICATION, 7, null);
            save(ref, "prompt-e", "prompt", "{\"num_virtual_tokens\": 4}", Task.CLASSIFICATION, 8, null);
            save(ref, "bitfit-x", "bitfit", "{}", Task.CLASSIFICATION, 5, null);
            save(ref, "other-base", "lora", "{\"r\": 4, \"target_modules\": [\"query\"]}", Task.CLASSIFICATION, 6, "some-other-model");
        }
    }

    private void save(EncoderModel ref, String name, String method, String options, Task task, long seed, String recordedBase) {
        PeftMethod m = PeftMethods.byName(method);
        ObjectNode o;
        try {
            o = (ObjectNode) JSON.readTree(options);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        LabelSpace labels = new LabelSpace(task, task == Task.RETRIEVAL ? List.of() : LABELS);
        try (TaskModel model = new TaskModel(ref, m, m.resolveConfig(ref.encoder(), o), labels, Pooling.MEAN, seed)) {
            if (method.equals("bitfit")) {
                // BitFit's parameters ARE the base's biases: perturbing them would change the reference; the file's
                // values only need to differ from the base's
                perturbCopies(model, seed, adapters.resolve(name));
                return;
            }
            Random r = new Random(seed);
            for (Parameter p : model.trainable().values()) {
                NDArray a = p.getArray();
                float[] v = a.toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] += (float) (r.nextGaussian() * 0.3);
                }
                Arrays2.assign(a, v);
            }
            if (recordedBase == null) {
                TaskModelFiles.save(model, adapters.resolve(name));
            } else {
                TaskModelFiles.save(model, adapters.resolve(name), recordedBase);
            }
        }
    }

    /** Saves a BitFit adapter whose biases differ from the base's, restoring the base's afterwards. */
    private static void perturbCopies(TaskModel model, long seed, Path dir) {
        List<float[]> saved = new ArrayList<>();
        for (Parameter p : model.trainable().values()) {
            saved.add(p.getArray().toFloatArray());
        }
        Random r = new Random(seed);
        for (Parameter p : model.trainable().values()) {
            float[] v = p.getArray().toFloatArray();
            for (int i = 0; i < v.length; i++) {
                v[i] += (float) (r.nextGaussian() * 0.3);
            }
            Arrays2.assign(p.getArray(), v);
        }
        TaskModelFiles.save(model, dir);
        int k = 0;
        for (Parameter p : model.trainable().values()) {
            Arrays2.assign(p.getArray(), saved.get(k++));
        }
    }

    // ---- in-process references (a separate model instance from the server's) ----

    static List<Example> examples(List<String> texts) {
        return texts.stream().map(t -> new Example(t, null, null, null)).toList();
    }

    /** The base's pooled embeddings, not normalised. */
    float[][] baseEmbeddings(List<String> texts) {
        try (EncoderModel ref = EncoderModel.load(base.toString())) {
            return new Embedder(ref, EmbedOptions.defaults(ref).withNormalize(false)).embed(texts);
        }
    }

    float[][] adapterEmbeddings(String adapter, List<String> texts) {
        try (EncoderModel ref = EncoderModel.load(base.toString());
             TaskModel m = TaskModelFiles.load(ref, adapters.resolve(adapter))) {
            return m.embed(examples(texts), m.maxLength(), 32);
        }
    }

    float[][] predictions(String adapter, List<Example> examples) {
        try (EncoderModel ref = EncoderModel.load(base.toString());
             TaskModel m = TaskModelFiles.load(ref, adapters.resolve(adapter))) {
            return m.predict(examples, m.maxLength(), 32);
        }
    }

    // ---- HTTP ----

    static HttpResponse<String> post(GraftServer s, String path, String body) {
        return post(s, path, body, null);
    }

    static HttpResponse<String> post(GraftServer s, String path, String body, String bearer) {
        HttpRequest.Builder b = HttpRequest.newBuilder(s.uri().resolve(path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return send(b.build());
    }

    static HttpResponse<String> get(GraftServer s, String path, String bearer) {
        HttpRequest.Builder b = HttpRequest.newBuilder(s.uri().resolve(path)).timeout(Duration.ofSeconds(60)).GET();
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return send(b.build());
    }

    static HttpResponse<String> send(HttpRequest r) {
        try {
            return HTTP.send(r, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(HttpResponse<String> r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new IllegalStateException(r.body(), e);
        }
    }

    static String body(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static float[] floats(JsonNode array) {
        float[] v = new float[array.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = array.get(i).floatValue();
        }
        return v;
    }

    static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5, what + " [" + i + "]");
        }
    }

    static float[] normalized(float[] v) {
        return GraftServer.normalize(v);
    }

    static URI uri(GraftServer s, String path) {
        return s.uri().resolve(path);
    }
}

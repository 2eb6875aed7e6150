package dev.graft.model;

import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.io.AtomicFiles;
import dev.graft.io.TensorSource;
import dev.graft.io.safetensors.DType;
import dev.graft.io.safetensors.SafetensorsStore;
import dev.graft.io.safetensors.SafetensorsWriter;
import dev.graft.io.tensors.TensorFiles;
import dev.graft.text.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes Hugging Face model directories: {@code config.json}, {@code model.safetensors} (or a sharded
 * {@code model.safetensors.index.json}), {@code tokenizer.json}; and the sentence-transformers files that record
 * pooling ({@code modules.json}, {@code 1_Pooling/config.json}).
 */
final class ModelDirectory {
    private ModelDirectory() {
    }

    /** True if the folder has everything {@link #load} needs. */
    static boolean isComplete(Path dir) {
        return Files.isRegularFile(dir.resolve("config.json")) && Files.isRegularFile(dir.resolve("tokenizer.json"))
                && (Files.isRegularFile(dir.resolve("model.safetensors"))
                || Files.isRegularFile(dir.resolve("model.safetensors.index.json")));
    }

    static EncoderModel load(Path dir, BundledModel bundled) {
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new GraftException(dir + ": no config.json; a model directory needs config.json, model.safetensors"
                    + " and tokenizer.json");
        }
        if (!Files.isRegularFile(dir.resolve("model.safetensors")) && !Files.isRegularFile(dir.resolve("model.safetensors.index.json"))) {
            String hint = Files.isRegularFile(dir.resolve("pytorch_model.bin"))
                    ? " (it has pytorch_model.bin: convert it to safetensors with Hugging Face's tools)" : "";
            throw new GraftException(dir + ": no model.safetensors or model.safetensors.index.json" + hint);
        }
        JsonNode config;
        try {
            config = EncoderModel.JSON.readTree(configFile.toFile());
        } catch (IOException e) {
            throw new GraftException(configFile + ": not valid JSON (" + e.getMessage() + ")", e);
        }
        if (config == null || !config.isObject()) {
            throw new GraftException(configFile + ": expected a JSON object");
        }
        TextTokenizer tokenizer = TextTokenizer.load(dir.resolve("tokenizer.json"));
        PoolingChoice pooling = bundled != null ? new PoolingChoice(bundled.pooling(), bundled.normalize()) : readPooling(dir);
        String id = bundled != null ? bundled.id() : dir.toString();
        try (SafetensorsStore store = SafetensorsStore.open(dir); ClosableTensorSource weights = wrap(store)) {
            EncoderModel m = EncoderModel.assemble(id, config, weights, tokenizer, pooling.pooling(), pooling.normalize(),
                    bundled, weights.description());
            m.weightFiles(store.files());
            return m;
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    record PoolingChoice(Pooling pooling, boolean normalize) {
    }

    /**
     * Pooling from the sentence-transformers files if present; otherwise mean pooling without normalisation, the
     * usual choice for a plain encoder checkpoint.
     */
    static PoolingChoice readPooling(Path dir) {
        Path st = dir.resolve("1_Pooling").resolve("config.json");
        Pooling pooling = Pooling.MEAN;
        boolean normalize = false;
        try {
            if (Files.isRegularFile(st)) {
                JsonNode p = EncoderModel.JSON.readTree(st.toFile());
                if (p.path("pooling_mode_cls_token").asBoolean(false)) {
                    pooling = Pooling.CLS;
                } else if (p.path("pooling_mode_mean_tokens").asBoolean(false)) {
                    pooling = Pooling.MEAN;
                } else {
                    throw new GraftException(st + ": only CLS and mean pooling are supported"
                            + " (pooling_mode_cls_token or pooling_mode_mean_tokens must be true)");
                }
            }
            Path modules = dir.resolve("modules.json");
            if (Files.isRegularFile(modules)) {
                for (JsonNode m : EncoderModel.JSON.readTree(modules.toFile())) {
                    if (m.path("type").asText("").endsWith("Normalize")) {
                        normalize = true;
                    }
                }
            }
        } catch (IOException e) {
            throw new GraftException(dir + ": cannot read the sentence-transformers pooling files (" + e.getMessage() + ")", e);
        }
        return new PoolingChoice(pooling, normalize);
    }

    static void save(EncoderModel model, Path dir) {
        save(model, dir, Map.of());
    }

    /** As {@link #save(EncoderModel, Path)}, with {@code extra} tensors (a task head) written beside the encoder's. */
    static void save(EncoderModel model, Path dir, Map<String, Parameter> extra) {
        try {
            Files.createDirectories(dir);
            Object config = model.encoder().config();
            AtomicFiles.write(dir.resolve("config.json"),
                    EncoderModel.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config));
            Map<String, Parameter> params = new TreeMap<>(model.namedParameters());
            params.putAll(extra);
            writeWeights(dir.resolve("model.safetensors"), params, model);
            Path tokenizerTarget = dir.resolve("tokenizer.json");
            if (!Files.exists(tokenizerTarget) || !Files.isSameFile(model.tokenizer().file(), tokenizerTarget)) {
                AtomicFiles.write(tokenizerTarget, Files.readAllBytes(model.tokenizer().file()));
            }
            writePooling(dir, model.defaultPooling(), model.defaultNormalize(), model.info().hiddenSize());
        } catch (IOException e) {
            throw new GraftException(dir + ": cannot write the model (" + e.getMessage() + ")", e);
        }
    }

    /** sentence-transformers' layout: Transformer, Pooling and optionally Normalize modules. */
    private static void writePooling(Path dir, Pooling pooling, boolean normalize, int hidden) throws IOException {
        if (pooling == Pooling.POOLER) {
            return; // sentence-transformers has no pooler-output mode
        }
        ArrayNode modules = EncoderModel.JSON.createArrayNode();
        modules.addObject().put("idx", 0).put("name", "0").put("path", "").put("type", "sentence_transformers.models.Transformer");
        modules.addObject().put("idx", 1).put("name", "1").put("path", "1_Pooling").put("type", "sentence_transformers.models.Pooling");
        if (normalize) {
            modules.addObject().put("idx", 2).put("name", "2").put("path", "2_Normalize").put("type", "sentence_transformers.models.Normalize");
            Files.createDirectories(dir.resolve("2_Normalize"));
        }
        AtomicFiles.write(dir.resolve("modules.json"), EncoderModel.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(modules));
        ObjectNode p = EncoderModel.JSON.createObjectNode();
        p.put("word_embedding_dimension", hidden);
        p.put("pooling_mode_cls_token", pooling == Pooling.CLS);
        p.put("pooling_mode_mean_tokens", pooling == Pooling.MEAN);
        p.put("pooling_mode_max_tokens", false);
        p.put("pooling_mode_mean_sqrt_len_tokens", false);
        AtomicFiles.write(dir.resolve("1_Pooling").resolve("config.json"),
                EncoderModel.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(p));
    }

    /** A tensor source that holds open files. */
    interface ClosableTensorSource extends TensorSource, AutoCloseable {
        @Override
        void close();
    }

    static ClosableTensorSource wrap(SafetensorsStore store) {
        return new ClosableTensorSource() {
            @Override
            public java.util.Set<String> names() {
                return store.names();
            }

            @Override
            public long[] shape(String name) {
                return store.shape(name);
            }

            @Override
            public float[] readFloats(String name) {
                return store.readFloats(name);
            }

            @Override
            public String description() {
                return store.description();
            }

            @Override
            public void close() {
                store.close();
            }
        };
    }

    /** Weights as F32 with HF names, one tensor at a time straight from the parameter arrays. */
    static void writeWeights(Path file, Map<String, Parameter> params, EncoderModel model) {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt")
                .metadata("graft_model", model.info().id());
        params.forEach((name, p) -> w.add(name, DType.F32, p.getArray().getShape().getShape(), p.getArray().size() * 4L,
                ch -> TensorFiles.writeF32(ch, p.getArray())));
        w.write(file);
    }
}

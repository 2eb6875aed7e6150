package dev.graft.merge;

import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.GraftException;
import dev.graft.io.safetensors.SafetensorsStore;
import dev.graft.model.EncoderModel;
import dev.graft.peft.AdapterFiles;
import dev.graft.peft.RecordedBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Task vectors τ = θ − θ₀ read from what users have on disk, over the base encoder's parameter names: a fine-tuned
 * HF model directory (e.g. {@code graft export --merge} of a full fine-tune), a Graft full fine-tuning adapter, or a
 * LoRA adapter (τ = s·B·A on the adapted weights, zero elsewhere). Task heads and tensors the encoder lacks are left
 * out. Held in memory: one float per encoder weight per task vector.
 */
public final class TaskVectorFiles {
    private TaskVectorFiles() {
    }

    /**
     * @param base θ₀, as currently held by the encoder
     * @param dir  a model or adapter directory fine-tuned from {@code base}
     * @return parameter name to τ (flattened, the parameter's shape); only tensors that differ from θ₀ in kind
     *         (every one for a model, the adapted ones for LoRA)
     */
    public static Map<String, float[]> read(EncoderModel base, Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new GraftException(dir + ": task vector directory does not exist");
        }
        RecordedBase.check(dir, base); // τ against a base it was not trained from is noise: warn, or refuse under --strict
        Map<String, Parameter> params = base.namedParameters();
        Map<String, float[]> tau = new LinkedHashMap<>();
        if (LoraAdapter.isAdapter(dir)) {
            JsonNode cfg = AdapterFiles.readConfig(dir);
            String type = cfg.path("peft_type").asText("");
            if (type.equalsIgnoreCase("FULL")) {
                Map<String, float[]> tensors = AdapterFiles.readAdapterTensors(dir);
                tensors.forEach((name, theta) -> {
                    Parameter p = params.get(name);
                    if (p != null) {
                        tau.put(name, TaskVectors.delta(checked(dir, name, theta, p), p.getArray().toFloatArray()));
                    }
                });
            } else {
                try (LoraAdapter a = LoraAdapter.open(dir)) { // refuses other methods with what to do instead
                    for (String module : a.modules()) {
                        String name = LoraAdapter.targetTensor(module, params.keySet());
                        if (name == null) {
                            throw new GraftException(dir + ": adapted module '" + module + "' is not a weight of " + base.info().id());
                        }
                        tau.put(name, checked(dir, name, a.delta(module), params.get(name)));
                    }
                }
            }
        } else {
            try (SafetensorsStore store = SafetensorsStore.open(dir)) {
                for (Map.Entry<String, Parameter> e : params.entrySet()) {
                    String name = store.names().contains(e.getKey()) ? e.getKey()
                            : store.names().contains("bert." + e.getKey()) ? "bert." + e.getKey() : null;
                    if (name == null) {
                        throw new GraftException(dir + ": has no tensor '" + e.getKey() + "'; is it a model fine-tuned from "
                                + base.info().id() + "?");
                    }
                    float[] theta = checked(dir, name, store.readFloats(name), e.getValue());
                    tau.put(e.getKey(), TaskVectors.delta(theta, e.getValue().getArray().toFloatArray()));
                }
            }
        }
        if (tau.isEmpty()) {
            throw new GraftException(dir + ": changes no weight of " + base.info().id());
        }
        return tau;
    }

    private static float[] checked(Path dir, String name, float[] values, Parameter p) {
        if (values.length != p.getArray().size()) {
            throw new GraftException(dir + ": tensor '" + name + "' has " + values.length + " values; the base model's has "
                    + p.getArray().size() + " " + p.getArray().getShape());
        }
        return values;
    }
}

package dev.graft.peft.bitfit;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.model.Encoder;
import dev.graft.peft.Adaptation;
import dev.graft.peft.PeftConfigs;
import dev.graft.peft.PeftMethod;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * BitFit: train only the bias terms of the encoder (Ben Zaken, Ravfogel, Goldberg, "BitFit: Simple
 * Parameter-efficient Fine-tuning for Transformer-based Masked Language-models", ACL 2022). PEFT has no format for
 * it: Graft saves the biases under their HF names with {@code peft_type} {@code BITFIT}.
 *
 * <p>Option {@code bias_pattern}: which biases, as a substring of the HF name ("" = all, the paper's setting).
 */
public final class BitFit implements PeftMethod {
    @Override
    public String name() {
        return "bitfit";
    }

    @Override
    public String peftType() {
        return "BITFIT";
    }

    @Override
    public String reference() {
        return "https://arxiv.org/abs/2106.10199";
    }

    @Override
    public double defaultLearningRate() {
        return 3e-3;
    }

    @Override
    public Set<String> configKeys() {
        return Set.of("bias_pattern");
    }

    @Override
    public ObjectNode resolveConfig(Encoder encoder, ObjectNode overrides) {
        PeftConfigs.rejectUnknown(overrides, Set.of("bias_pattern"), name());
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.put("bias_pattern", overrides.path("bias_pattern").asText(""));
        return c;
    }

    @Override
    public Adaptation attach(Encoder encoder, ObjectNode config, NDManager manager, long seed) {
        String pattern = config.path("bias_pattern").asText("");
        Map<String, Parameter> biases = new LinkedHashMap<>();
        encoder.namedParameters().forEach((name, p) -> {
            if (name.endsWith(".bias") && name.contains(pattern)) {
                biases.put(name, p);
            }
        });
        return new Adaptation() {
            @Override
            public Map<String, Parameter> parameters() {
                return biases;
            }

            @Override
            public boolean canMerge() {
                return true;
            }

            @Override
            public void merge() {
                // the trained biases are the encoder's own: nothing to fold
            }

            @Override
            public void close() {
                // no hooks: the biases are the encoder's own
            }
        };
    }
}

package dev.graft.peft.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.peft.MethodOption;
import dev.graft.peft.PeftConfigs;
import java.util.List;
import java.util.Set;

/**
 * LoRA settings with PEFT's adapter_config.json names.
 *
 * @param r             rank of the update
 * @param alpha         {@code lora_alpha}; the update is scaled by alpha/r (alpha/√r with rsLoRA)
 * @param dropout       {@code lora_dropout} on the update's input during training
 * @param targetModules {@code target_modules}: module paths or name suffixes (PEFT's matching)
 * @param rsLora        {@code use_rslora}
 * @param dora          {@code use_dora}
 */
public record LoraConfig(int r, double alpha, double dropout, List<String> targetModules, boolean rsLora, boolean dora) {
    static final Set<String> KEYS = Set.of("r", "lora_alpha", "lora_dropout", "target_modules", "use_rslora", "use_dora",
            "bias", "fan_in_fan_out", "init_lora_weights");
    static final int DEFAULT_R = 8;
    static final int DEFAULT_ALPHA = 16;
    static final double DEFAULT_DROPOUT = 0.1;
    static final List<String> DEFAULT_TARGETS = List.of("query", "value");
    /** The flags graft tune offers for LoRA, showing the defaults {@link #resolve} fills in. */
    static final List<MethodOption> OPTIONS = List.of(
            MethodOption.of("--r", MethodOption.Kind.INTEGER, "r", "LoRA rank.").withDefault(DEFAULT_R),
            MethodOption.of("--alpha", MethodOption.Kind.NUMBER, "lora_alpha", "LoRA alpha; the update is scaled by alpha/r.").withDefault(DEFAULT_ALPHA),
            MethodOption.of("--lora-dropout", MethodOption.Kind.NUMBER, "lora_dropout", "Dropout on the LoRA input.").withDefault(DEFAULT_DROPOUT),
            MethodOption.of("--target-modules", MethodOption.Kind.LIST, "target_modules",
                    "Modules to adapt, by HF name or suffix, e.g. query,value.").withDefault(String.join(",", DEFAULT_TARGETS)),
            MethodOption.of("--rslora", MethodOption.Kind.FLAG, "use_rslora", "Rank-stabilised LoRA scaling alpha/sqrt(r)."),
            MethodOption.of("--dora", MethodOption.Kind.FLAG, "use_dora", "DoRA: weight-decomposed LoRA."));

    public LoraConfig {
        targetModules = List.copyOf(targetModules);
        if (targetModules.isEmpty()) {
            throw new GraftException("option 'target_modules' must name at least one module");
        }
    }

    /** The update's scale: alpha/r, or alpha/√r for rank-stabilised LoRA (Kalajdzievski 2023). */
    public double scaling() {
        return rsLora ? alpha / Math.sqrt(r) : alpha / r;
    }

    /** Reads a resolved config. */
    static LoraConfig from(JsonNode c) {
        String bias = c.path("bias").asText("none");
        if (!bias.equals("none")) {
            throw new GraftException("option 'bias' = '" + bias + "' is not supported; LoRA here trains no biases (use \"none\")");
        }
        if (c.path("fan_in_fan_out").asBoolean(false)) {
            throw new GraftException("option 'fan_in_fan_out' = true is for GPT-2-style Conv1D layers; BERT layers need false");
        }
        return new LoraConfig(PeftConfigs.positiveInt(c, "r"), PeftConfigs.number(c, "lora_alpha", 1e-9, 1e9),
                PeftConfigs.number(c, "lora_dropout", 0, 0.999), PeftConfigs.strings(c, "target_modules"),
                PeftConfigs.bool(c, "use_rslora"), PeftConfigs.bool(c, "use_dora"));
    }

    /** Defaults (r 8, alpha 16, dropout 0.1, query and value) with the user's values on top. */
    static ObjectNode resolve(ObjectNode overrides) {
        PeftConfigs.rejectUnknown(overrides, KEYS, "lora");
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.put("r", DEFAULT_R);
        c.put("lora_alpha", DEFAULT_ALPHA);
        c.put("lora_dropout", DEFAULT_DROPOUT);
        DEFAULT_TARGETS.forEach(c.putArray("target_modules")::add);
        c.put("use_rslora", false);
        c.put("use_dora", false);
        c.put("bias", "none");
        c.put("fan_in_fan_out", false);
        c.setAll(overrides);
        c.remove("init_lora_weights");
        from(c); // validate now, naming the bad key
        return c;
    }
}

package dev.graft.peft.ia3;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.GraftException;
import dev.graft.peft.PeftConfigs;
import java.util.List;

/**
 * (IA)³ settings with PEFT's adapter_config.json names.
 *
 * @param targetModules      {@code target_modules}: the dense layers that get a scaling vector (PEFT's matching)
 * @param feedforwardModules {@code feedforward_modules}: those of the targets whose input is scaled (the others' output)
 */
public record Ia3Config(List<String> targetModules, List<String> feedforwardModules) {
    public static final String TARGET_MODULES = "target_modules";
    public static final String FEEDFORWARD_MODULES = "feedforward_modules";
    public static final String FAN_IN_FAN_OUT = "fan_in_fan_out";
    /** PEFT's defaults for BERT. */
    public static final List<String> DEFAULT_TARGETS = List.of("key", "value", "output.dense");
    public static final List<String> DEFAULT_FEEDFORWARD = List.of("output.dense");

    public Ia3Config {
        targetModules = List.copyOf(targetModules);
        feedforwardModules = List.copyOf(feedforwardModules);
        if (targetModules.isEmpty()) {
            throw new GraftException("option '" + TARGET_MODULES + "' must name at least one module");
        }
        for (String f : feedforwardModules) {
            if (!targetModules.contains(f)) {
                throw new GraftException("option '" + FEEDFORWARD_MODULES + "' entry '" + f + "' must also be in "
                        + TARGET_MODULES + " " + targetModules);
            }
        }
    }

    /** Reads a config tree with every key present (a resolved config, or defaults with the user's values on top). */
    static Ia3Config parse(JsonNode c) {
        if (c.path(FAN_IN_FAN_OUT).asBoolean(false)) {
            throw new GraftException("option '" + FAN_IN_FAN_OUT + "' = true is for Conv1D layers; BERT layers need false");
        }
        return new Ia3Config(PeftConfigs.strings(c, TARGET_MODULES), PeftConfigs.strings(c, FEEDFORWARD_MODULES));
    }
}

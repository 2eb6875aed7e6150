package dev.graft.peft.lst;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.GraftException;
import dev.graft.peft.PeftConfigs;

/**
 * Ladder side-tuning settings, under the keys Graft writes to adapter_config.json ({@code peft_type} {@code LST}; PEFT
 * has no LST). How they fit the model (the factor dividing its widths) is {@link LadderSideTuning#resolveConfig}'s check.
 *
 * @param reductionFactor    {@code reduction_factor} r: the side network is H/r wide (FFN: intermediate/r)
 * @param sideAttentionHeads {@code side_attention_heads}: heads of the side network's attention
 * @param gateTemperature    {@code gate_temperature} τ of the ladder gates
 * @param init               {@code init}: {@code pruned} (from the backbone) or {@code random}
 * @param cacheActivations   {@code cache_activations}: keep the frozen backbone's states across epochs
 * @param cacheLimitMb       {@code cache_limit_mb}: that cache's size limit
 */
public record LstConfig(int reductionFactor, int sideAttentionHeads, double gateTemperature, String init,
                        boolean cacheActivations, double cacheLimitMb) {
    public static final String REDUCTION_FACTOR = "reduction_factor";
    public static final String SIDE_ATTENTION_HEADS = "side_attention_heads";
    public static final String GATE_TEMPERATURE = "gate_temperature";
    public static final String INIT = "init";
    public static final String CACHE_ACTIVATIONS = "cache_activations";
    public static final String CACHE_LIMIT_MB = "cache_limit_mb";
    public static final String PRUNED = "pruned";
    public static final String RANDOM = "random";
    /** The paper's factor 8: a side network 1/8 as wide as the backbone. */
    public static final int DEFAULT_REDUCTION_FACTOR = 8;

    public LstConfig {
        PeftConfigs.requirePositive(REDUCTION_FACTOR, reductionFactor);
        PeftConfigs.requirePositive(SIDE_ATTENTION_HEADS, sideAttentionHeads);
        if (!(gateTemperature >= 1e-6 && gateTemperature <= 1e6)) {
            throw new GraftException("option '" + GATE_TEMPERATURE + "' must be a number in [1.0E-6, 1000000.0], got " + gateTemperature);
        }
        if (!PRUNED.equals(init) && !RANDOM.equals(init)) {
            throw new GraftException("option '" + INIT + "' must be pruned or random, got " + init);
        }
        if (!(cacheLimitMb >= 0 && cacheLimitMb <= 1 << 30)) {
            throw new GraftException("option '" + CACHE_LIMIT_MB + "' must be a number in [0.0, 1.073741824E9], got " + cacheLimitMb);
        }
    }

    /** Reads a config tree with every key present. */
    static LstConfig parse(JsonNode c) {
        return new LstConfig(PeftConfigs.positiveInt(c, REDUCTION_FACTOR), PeftConfigs.positiveInt(c, SIDE_ATTENTION_HEADS),
                PeftConfigs.number(c, GATE_TEMPERATURE, 1e-6, 1e6), text(c, INIT), PeftConfigs.bool(c, CACHE_ACTIVATIONS),
                PeftConfigs.number(c, CACHE_LIMIT_MB, 0, 1 << 30));
    }

    private static String text(JsonNode c, String key) {
        JsonNode v = c.get(key);
        if (v == null || !v.isTextual()) {
            throw new GraftException("option '" + key + "' must be pruned or random, got " + v);
        }
        return v.asText();
    }
}

package dev.graft.peft.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.peft.PeftConfigs;
import java.util.Locale;
import java.util.Set;

/**
 * Configuration of sequential bottleneck adapters, with AdapterHub's key names where AdapterHub has the option
 * ({@code mh_adapter}, {@code output_adapter}, {@code reduction_factor}, {@code non_linearity}).
 *
 * @param config         the preset the defaults came from: {@code pfeiffer} (Pfeiffer et al. 2021: one adapter after
 *                       the FFN) or {@code houlsby} (Houlsby et al. 2019: after the attention block and after the FFN)
 * @param mhAdapter      an adapter on the attention block's output ({@code attention.output.dense})
 * @param outputAdapter  an adapter on the FFN's output ({@code output.dense})
 * @param bottleneckSize the adapters' width
 * @param nonLinearity   the activation between the projections
 */
public record SequentialAdapterConfig(String config, boolean mhAdapter, boolean outputAdapter, int bottleneckSize,
                                      NonLinearity nonLinearity) {
    public static final String CONFIG = "config";
    public static final String MH_ADAPTER = "mh_adapter";
    public static final String OUTPUT_ADAPTER = "output_adapter";
    public static final String NON_LINEARITY = "non_linearity";
    /** Every key a user may give. */
    public static final Set<String> KEYS = Set.of(CONFIG, MH_ADAPTER, OUTPUT_ADAPTER, BottleneckSize.REDUCTION_FACTOR,
            BottleneckSize.BOTTLENECK_SIZE, NON_LINEARITY);
    public static final String PFEIFFER = "pfeiffer";
    public static final String HOULSBY = "houlsby";
    /** AdapterHub's and Pfeiffer et al.'s default: bottleneck = H / 16. */
    public static final int DEFAULT_REDUCTION_FACTOR = 16;

    public SequentialAdapterConfig {
        if (!config.equals(PFEIFFER) && !config.equals(HOULSBY)) {
            throw new GraftException("option '" + CONFIG + "' must be 'pfeiffer' or 'houlsby', got '" + config + "'");
        }
        if (!mhAdapter && !outputAdapter) {
            throw new GraftException("options '" + MH_ADAPTER + "' and '" + OUTPUT_ADAPTER
                    + "' are both false: no adapter would be added");
        }
        if (bottleneckSize <= 0) {
            throw new GraftException("option '" + BottleneckSize.BOTTLENECK_SIZE + "' must be positive, got " + bottleneckSize);
        }
    }

    /**
     * Reads a config tree (user options or a resolved config), filling defaults: the preset ({@code pfeiffer}) decides
     * {@code mh_adapter} (false; houlsby: true) and {@code output_adapter} (true), either of which may be given
     * explicitly; bottleneck = ⌊H / 16⌋ (at least 1) unless {@code reduction_factor} or {@code bottleneck_size} is given;
     * {@code non_linearity} relu. Unknown keys are not checked here.
     *
     * @param hidden the encoder's hidden size H
     */
    public static SequentialAdapterConfig parse(JsonNode c, int hidden) {
        String preset = BottleneckSize.present(c, CONFIG) ? preset(c.get(CONFIG)) : PFEIFFER;
        boolean mh = BottleneckSize.present(c, MH_ADAPTER) ? PeftConfigs.bool(c, MH_ADAPTER) : preset.equals(HOULSBY);
        boolean out = !BottleneckSize.present(c, OUTPUT_ADAPTER) || PeftConfigs.bool(c, OUTPUT_ADAPTER);
        int defaultSize = Math.max(1, BottleneckSize.fromReductionFactor(hidden, DEFAULT_REDUCTION_FACTOR));
        int size = BottleneckSize.resolve(c, hidden, defaultSize);
        NonLinearity act = BottleneckSize.present(c, NON_LINEARITY)
                ? NonLinearity.parse(NON_LINEARITY, textOf(c.get(NON_LINEARITY), NON_LINEARITY))
                : NonLinearity.RELU;
        return new SequentialAdapterConfig(preset, mh, out, size, act);
    }

    /**
     * The resolved config as adapter_config.json keys ({@code peft_type} is added by the writer).
     *
     * @param given  the options it was parsed from (to keep the user's {@code reduction_factor} as written)
     * @param hidden the encoder's hidden size H
     */
    public ObjectNode toJson(JsonNode given, int hidden) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put(CONFIG, config);
        o.put(MH_ADAPTER, mhAdapter);
        o.put(OUTPUT_ADAPTER, outputAdapter);
        BottleneckSize.write(o, given, hidden, bottleneckSize);
        o.put(NON_LINEARITY, nonLinearity.configName());
        return o;
    }

    private static String preset(JsonNode v) {
        String s = textOf(v, CONFIG).trim().toLowerCase(Locale.ROOT);
        // AdapterHub's current identifiers for the same two architectures
        return switch (s) {
            case PFEIFFER, "seq_bn" -> PFEIFFER;
            case HOULSBY, "double_seq_bn" -> HOULSBY;
            default -> throw new GraftException("option '" + CONFIG + "' must be 'pfeiffer' or 'houlsby', got " + v);
        };
    }

    private static String textOf(JsonNode v, String key) {
        if (!v.isTextual()) {
            throw new GraftException("option '" + key + "' must be a string, got " + v);
        }
        return v.asText();
    }
}

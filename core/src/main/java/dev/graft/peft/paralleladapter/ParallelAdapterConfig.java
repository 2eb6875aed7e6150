package dev.graft.peft.paralleladapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.peft.adapter.BottleneckSize;
import dev.graft.peft.adapter.NonLinearity;
import java.util.Set;

/**
 * Configuration of the scaled parallel adapter, with AdapterHub's key names ({@code reduction_factor},
 * {@code non_linearity}, {@code scaling}) plus {@code bottleneck_size}.
 *
 * @param bottleneckSize the adapter's width
 * @param scaling        the fixed scale s of the adapter's output
 * @param nonLinearity   the activation between the projections
 */
public record ParallelAdapterConfig(int bottleneckSize, double scaling, NonLinearity nonLinearity) {
    public static final String SCALING = "scaling";
    public static final String NON_LINEARITY = "non_linearity";
    public static final Set<String> KEYS = Set.of(BottleneckSize.BOTTLENECK_SIZE, BottleneckSize.REDUCTION_FACTOR,
            SCALING, NON_LINEARITY);
    /**
     * Default width. He et al. use 512 for their large models (H = 1024), about H/2. The encoders Graft targets are
     * small (MiniLM / BGE-small: H = 384, 6-12 layers) and their tasks classification or retrieval, the setting where
     * Houlsby et al. chose widths from {8, 64, 256}. 64 is H/6 for H = 384: 2·384·64 + 448 ≈ 50k values per layer,
     * about 1.4% of a 22M-parameter 6-layer model, so training stays cheap on a CPU while the FFN branch keeps the
     * larger capacity the paper found the FFN to use well. Raise it for larger encoders.
     */
    public static final int DEFAULT_BOTTLENECK = 64;
    /** He et al.'s s = 4 for the FFN parallel adapter (also AdapterHub's {@code par_bn} default). */
    public static final double DEFAULT_SCALING = 4.0;

    public ParallelAdapterConfig {
        if (bottleneckSize <= 0) {
            throw new GraftException("option '" + BottleneckSize.BOTTLENECK_SIZE + "' must be positive, got " + bottleneckSize);
        }
        if (!(scaling > 0) || Double.isInfinite(scaling)) {
            throw new GraftException("option '" + SCALING + "' must be a positive number, got " + scaling);
        }
    }

    /**
     * Reads a config tree (user options or a resolved config), filling defaults: bottleneck 64 unless
     * {@code bottleneck_size} or {@code reduction_factor} is given, scaling 4, non_linearity relu (He et al.'s choice).
     * Unknown keys are not checked here.
     *
     * @param hidden the encoder's hidden size H
     */
    public static ParallelAdapterConfig parse(JsonNode c, int hidden) {
        int size = BottleneckSize.resolve(c, hidden, DEFAULT_BOTTLENECK);
        double s = DEFAULT_SCALING;
        JsonNode v = c.get(SCALING);
        if (v != null && !v.isNull()) {
            if (!v.isNumber()) {
                // AdapterHub also allows "learned" / "channel"; Graft implements the paper's fixed scale only
                throw new GraftException("option '" + SCALING + "' must be a positive number (a fixed scale), got " + v);
            }
            s = v.asDouble();
        }
        NonLinearity act = NonLinearity.RELU;
        JsonNode a = c.get(NON_LINEARITY);
        if (a != null && !a.isNull()) {
            if (!a.isTextual()) {
                throw new GraftException("option '" + NON_LINEARITY + "' must be a string, got " + a);
            }
            act = NonLinearity.parse(NON_LINEARITY, a.asText());
        }
        return new ParallelAdapterConfig(size, s, act);
    }

    /** The resolved config as adapter_config.json keys ({@code peft_type} is added by the writer). */
    public ObjectNode toJson(JsonNode given, int hidden) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        BottleneckSize.write(o, given, hidden, bottleneckSize);
        o.put(SCALING, scaling);
        o.put(NON_LINEARITY, nonLinearity.configName());
        return o;
    }
}

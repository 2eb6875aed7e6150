package dev.graft.peft.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.graft.GraftException;
import java.util.Arrays;
import java.util.Locale;

/**
 * The activation inside a bottleneck adapter, named as in the {@code non_linearity} key of AdapterHub's adapter
 * configs ({@code relu}, {@code gelu}, {@code swish}).
 */
public enum NonLinearity {
    /** max(0, x): the default of Pfeiffer et al. and of He et al.'s parallel adapter. */
    RELU("relu"),
    /** The exact (erf) GELU, as PyTorch's and HF's {@code gelu}. */
    GELU("gelu"),
    /** x·sigmoid(x) (also called SiLU); AdapterHub's default for the Houlsby configuration. */
    SWISH("swish");

    private final String configName;

    NonLinearity(String configName) {
        this.configName = configName;
    }

    /** The name written to adapter_config.json. */
    public String configName() {
        return configName;
    }

    /**
     * Parses a config value, case-insensitively; {@code silu} is accepted as another name of {@code swish}.
     *
     * @param key the option's name, for the error message
     * @throws GraftException naming {@code key} for an unknown activation
     */
    public static NonLinearity parse(String key, String value) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        if (v.equals("silu")) {
            return SWISH;
        }
        for (NonLinearity n : values()) {
            if (n.configName.equals(v)) {
                return n;
            }
        }
        throw new GraftException("option '" + key + "' must be one of "
                + Arrays.stream(values()).map(NonLinearity::configName).toList() + ", got '" + value + "'");
    }

    /** The graph form of {@link #apply}. */
    public String exportOnnx(dev.graft.io.onnx.OnnxGraphBuilder g, String x) {
        return switch (this) {
            case RELU -> g.op("Relu", x);
            case GELU -> g.geluErf(x);
            case SWISH -> g.silu(x);
        };
    }

    /**
     * Applies the activation out of place (autograd needs the input unchanged).
     *
     * @param x any shape
     * @return same shape as {@code x}, in {@code x}'s manager
     */
    public NDArray apply(NDArray x) {
        return switch (this) {
            case RELU -> Activation.relu(x);
            case GELU -> Activation.gelu(x);
            case SWISH -> Activation.swish(x, 1f);
        };
    }
}

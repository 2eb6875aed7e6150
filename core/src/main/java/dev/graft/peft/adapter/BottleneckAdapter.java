package dev.graft.peft.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

/**
 * One bottleneck adapter module (Houlsby et al. 2019, https://arxiv.org/abs/1902.00751): a down-projection to a few
 * units, a non-linearity, and an up-projection back to the hidden size,
 * {@code delta(h) = up(act(down(h)))} with {@code down(h) = h·W_downᵀ + b_down} and {@code up(z) = z·W_upᵀ + b_up}.
 *
 * <p>{@link #forward} returns only the delta, so that callers can use the module sequentially ({@code h + delta(h)},
 * {@link #apply}), in parallel to another sub-layer (He et al. 2022), or combine the outputs of several adapters
 * (AdapterFusion, ScaLearn).
 *
 * <p>Parameters, by the local names {@link #parameters(String)} appends to a prefix: {@code down.weight}
 * [bottleneck, hidden], {@code down.bias} [bottleneck], {@code up.weight} [hidden, bottleneck], {@code up.bias}
 * [hidden] (HF/PyTorch {@code nn.Linear} layout: weight [out, in]). They correspond one to one to AdapterHub's
 * {@code adapter_down.0.{weight,bias}} and {@code adapter_up.{weight,bias}}.
 */
public final class BottleneckAdapter {
    /** Local parameter names, relative to the adapter's prefix. */
    public static final String DOWN_WEIGHT = "down.weight";
    public static final String DOWN_BIAS = "down.bias";
    public static final String UP_WEIGHT = "up.weight";
    public static final String UP_BIAS = "up.bias";

    /** How the down-projection's weight is drawn (its bias and the whole up-projection start at zero). */
    public enum DownInit {
        /** N(0, 0.02²), BERT's initialiser (AdapterHub's {@code init_weights="bert"} for the down-projection). */
        NORMAL,
        /**
         * U(-1/√hidden, 1/√hidden): PyTorch's default {@code nn.Linear} draw (Kaiming-uniform with a = √5), which He et
         * al.'s parallel adapter keeps for the down-projection (AdapterHub's {@code init_weights="mam_adapter"}).
         */
        KAIMING_UNIFORM
    }

    private final int hidden;
    private final int bottleneck;
    private final NonLinearity nonLinearity;
    private final Parameter downWeight;
    private final Parameter downBias;
    private final Parameter upWeight;
    private final Parameter upBias;

    private BottleneckAdapter(int hidden, int bottleneck, NonLinearity nonLinearity, Parameter downWeight,
                              Parameter downBias, Parameter upWeight, Parameter upBias) {
        this.hidden = hidden;
        this.bottleneck = bottleneck;
        this.nonLinearity = nonLinearity;
        this.downWeight = downWeight;
        this.downBias = downBias;
        this.upWeight = upWeight;
        this.upBias = upBias;
    }

    /**
     * Creates a trainable adapter whose up-projection is zero, so that {@link #forward} is exactly 0 at first and the
     * adapted network starts as the base network (Houlsby et al.'s near-identity initialisation, taken to the limit).
     * The down-projection is random: with it at zero too, no gradient would reach either projection.
     *
     * @param hidden     input and output width H
     * @param bottleneck the bottleneck width (may exceed H; then it is an up-projection first)
     * @param rng        source of the down-projection's values (callers derive it from their seed)
     * @param manager    owns the parameters' arrays
     */
    public static BottleneckAdapter create(int hidden, int bottleneck, NonLinearity nonLinearity, DownInit init,
                                           Random rng, NDManager manager) {
        if (hidden <= 0 || bottleneck <= 0) {
            throw new IllegalArgumentException("hidden and bottleneck sizes must be positive, got " + hidden + ", " + bottleneck);
        }
        Objects.requireNonNull(nonLinearity, "nonLinearity");
        float[] down = new float[Math.multiplyExact(bottleneck, hidden)];
        double bound = 1.0 / Math.sqrt(hidden);
        for (int i = 0; i < down.length; i++) {
            down[i] = switch (init) {
                case NORMAL -> (float) (rng.nextGaussian() * 0.02);
                case KAIMING_UNIFORM -> (float) ((rng.nextDouble() * 2 - 1) * bound);
            };
        }
        Parameter dw = trainable(DOWN_WEIGHT, Parameter.Type.WEIGHT, dev.graft.runtime.Arrays2.owned(manager, down, new Shape(bottleneck, hidden)));
        Parameter db = trainable(DOWN_BIAS, Parameter.Type.BIAS, manager.zeros(new Shape(bottleneck)));
        Parameter uw = trainable(UP_WEIGHT, Parameter.Type.WEIGHT, manager.zeros(new Shape(hidden, bottleneck)));
        Parameter ub = trainable(UP_BIAS, Parameter.Type.BIAS, manager.zeros(new Shape(hidden)));
        return new BottleneckAdapter(hidden, bottleneck, nonLinearity, dw, db, uw, ub);
    }

    private static Parameter trainable(String name, Parameter.Type type, NDArray value) {
        // No shape on the builder: DJL lets setArray be called only on a parameter without a declared shape.
        Parameter p = Parameter.builder().setName(name).setType(type).build();
        p.setArray(value);
        value.setRequiresGradient(true);
        return p;
    }

    /**
     * The adapter's change to {@code h}: {@code up(act(down(h)))}. Intermediates go to {@code h}'s manager.
     *
     * @param h [..., hidden]
     * @return [..., hidden]
     */
    public NDArray forward(NDArray h) {
        // h first: results attach to the first operand's manager (the caller's per-batch scope), not the model's.
        NDArray z = Linear.linear(h, downWeight.getArray(), downBias.getArray()).singletonOrThrow();
        NDArray a = nonLinearity.apply(z);
        return Linear.linear(a, upWeight.getArray(), upBias.getArray()).singletonOrThrow();
    }

    /**
     * The graph form of {@link #forward}.
     *
     * @param name the adapter's saved name prefix (e.g. {@code encoder.layer.0.output.adapter}), naming its weights
     * @param h    [..., hidden]
     * @return [..., hidden]
     */
    public String exportForward(dev.graft.model.nn.OnnxExport export, String name, String h) {
        String z = export.linear(name + ".down", downWeight, downBias, h);
        return export.linear(name + ".up", upWeight, upBias, nonLinearity.exportOnnx(export.graph(), z));
    }

    /**
     * The sequential adapter: {@code h + up(act(down(h)))}.
     *
     * @param h [..., hidden]
     * @return [..., hidden]
     */
    public NDArray apply(NDArray h) {
        return h.add(forward(h));
    }

    /**
     * The four parameters under {@code prefix} + local name, e.g. prefix {@code encoder.layer.0.output.adapter.} gives
     * {@code encoder.layer.0.output.adapter.down.weight}.
     */
    public Map<String, Parameter> parameters(String prefix) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        out.put(prefix + DOWN_WEIGHT, downWeight);
        out.put(prefix + DOWN_BIAS, downBias);
        out.put(prefix + UP_WEIGHT, upWeight);
        out.put(prefix + UP_BIAS, upBias);
        return out;
    }

    public int hiddenSize() {
        return hidden;
    }

    public int bottleneckSize() {
        return bottleneck;
    }

    public NonLinearity nonLinearity() {
        return nonLinearity;
    }

    /** [bottleneck, hidden] */
    public Parameter downWeight() {
        return downWeight;
    }

    /** [bottleneck] */
    public Parameter downBias() {
        return downBias;
    }

    /** [hidden, bottleneck] */
    public Parameter upWeight() {
        return upWeight;
    }

    /** [hidden] */
    public Parameter upBias() {
        return upBias;
    }

    /** Number of trainable values: 2·hidden·bottleneck + bottleneck + hidden. */
    public long parameterCount() {
        return 2L * hidden * bottleneck + bottleneck + hidden;
    }
}

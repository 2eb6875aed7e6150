package dev.graft.peft.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.peft.MethodOption;
import dev.graft.peft.PeftConfigs;

/**
 * The bottleneck width of an adapter, given either directly ({@code bottleneck_size}) or as AdapterHub's
 * {@code reduction_factor} = hidden size / bottleneck width (bottleneck = ⌊H / reduction_factor⌋, as AdapterHub
 * computes it). A resolved config carries both, consistent with each other, so that it resolves to itself again.
 */
public final class BottleneckSize {
    public static final String REDUCTION_FACTOR = "reduction_factor";
    public static final String BOTTLENECK_SIZE = "bottleneck_size";

    private BottleneckSize() {
    }

    /** The {@code --reduction-factor} flag for {@link #REDUCTION_FACTOR}. */
    public static MethodOption reductionFactorOption() {
        return MethodOption.of("--reduction-factor", MethodOption.Kind.INTEGER, REDUCTION_FACTOR, "Bottleneck = hidden / this.");
    }

    /** The {@code --bottleneck} flag for {@link #BOTTLENECK_SIZE}. */
    public static MethodOption bottleneckSizeOption() {
        return MethodOption.of("--bottleneck", MethodOption.Kind.INTEGER, BOTTLENECK_SIZE, "Bottleneck size (instead of --reduction-factor).");
    }

    /**
     * The bottleneck width {@code config} asks for.
     *
     * @param hidden      the encoder's hidden size H
     * @param defaultSize the width when neither key is given
     * @throws GraftException naming the key: a non-positive or non-numeric value, a factor that leaves no unit, or
     *                        both keys given with different widths
     */
    public static int resolve(JsonNode config, int hidden, int defaultSize) {
        Integer size = present(config, BOTTLENECK_SIZE) ? PeftConfigs.positiveInt(config, BOTTLENECK_SIZE) : null;
        Integer fromFactor = null;
        if (present(config, REDUCTION_FACTOR)) {
            double rf = reductionFactor(config);
            fromFactor = fromReductionFactor(hidden, rf);
            if (fromFactor < 1) {
                throw new GraftException("option '" + REDUCTION_FACTOR + "' is " + rf + ", which leaves no bottleneck unit"
                        + " for hidden size " + hidden + "; it must be at most " + hidden);
            }
        }
        if (size != null && fromFactor != null && !size.equals(fromFactor)) {
            throw new GraftException("options '" + REDUCTION_FACTOR + "' (" + config.get(REDUCTION_FACTOR) + ", i.e. "
                    + fromFactor + " units for hidden size " + hidden + ") and '" + BOTTLENECK_SIZE + "' (" + size
                    + ") disagree; give only one of them");
        }
        return size != null ? size : fromFactor != null ? fromFactor : defaultSize;
    }

    /** ⌊hidden / reductionFactor⌋, robust to the rounding of a factor written as hidden / size. */
    public static int fromReductionFactor(int hidden, double reductionFactor) {
        return (int) Math.floor(hidden / reductionFactor + 1e-6);
    }

    /**
     * Writes both keys into a resolved config: {@code bottleneck_size}, and the user's {@code reduction_factor} if they
     * gave one, else H / size (an integer when it is one, as AdapterHub writes it).
     */
    public static void write(ObjectNode out, JsonNode given, int hidden, int size) {
        out.put(BOTTLENECK_SIZE, size);
        double rf = present(given, REDUCTION_FACTOR) ? reductionFactor(given) : (double) hidden / size;
        if (rf == Math.rint(rf) && Math.abs(rf) < Integer.MAX_VALUE) {
            out.put(REDUCTION_FACTOR, (int) rf);
        } else {
            out.put(REDUCTION_FACTOR, rf);
        }
    }

    private static double reductionFactor(JsonNode config) {
        JsonNode v = config.get(REDUCTION_FACTOR);
        if (!v.isNumber() || !(v.asDouble() > 0) || Double.isInfinite(v.asDouble())) {
            throw new GraftException("option '" + REDUCTION_FACTOR + "' must be a positive number (hidden size /"
                    + " bottleneck size), got " + v);
        }
        return v.asDouble();
    }

    static boolean present(JsonNode config, String key) {
        JsonNode v = config.get(key);
        return v != null && !v.isNull();
    }
}

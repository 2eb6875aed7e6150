package dev.graft.merge;

import java.util.List;

/**
 * A merge parameter as written in the config: a number, a gradient (a list of numbers interpolated linearly across
 * the layers), or a list of tensor-name filters ({@code [{filter: attention, value: 0.3}, {value: 0.7}]}; the first
 * entry whose filter is a substring of the tensor name applies, an entry without filter matches everything).
 */
public sealed interface ParamValue {
    /** The value for one tensor. @param layer its layer or -1; @param layers the model's layer count */
    double resolve(String tensor, int layer, int layers);

    /** Something JSON/YAML can write back (for the resolved config). */
    Object toPlain();

    /** A single number. */
    record Scalar(double value) implements ParamValue {
        @Override
        public double resolve(String tensor, int layer, int layers) {
            return value;
        }

        @Override
        public Object toPlain() {
            return value;
        }
    }

    /**
     * Anchors spread evenly over the layers: layer l of L sits at x = l/(L−1)·(k−1) among k anchors and takes the
     * linear interpolation of its neighbours. Tensors outside the layer stack take the first anchor if they are
     * embeddings (their name contains "embed"), the last otherwise (pooler, final norms, heads).
     */
    record Gradient(double[] anchors) implements ParamValue {
        @Override
        public double resolve(String tensor, int layer, int layers) {
            int k = anchors.length;
            if (k == 1) {
                return anchors[0];
            }
            if (layer < 0) {
                return tensor.contains("embed") ? anchors[0] : anchors[k - 1];
            }
            double x = layers <= 1 ? 0 : (double) layer / (layers - 1) * (k - 1);
            int lo = Math.min(k - 2, (int) Math.floor(x));
            double f = x - lo;
            return anchors[lo] * (1 - f) + anchors[lo + 1] * f;
        }

        @Override
        public Object toPlain() {
            return anchors;
        }
    }

    /** One entry of a filter list; {@code filter} null matches every tensor. */
    record Filtered(String filter, ParamValue value) {
    }

    /** A filter list. When nothing matches the parameter is absent (its default applies). */
    record Filters(List<Filtered> entries) implements ParamValue {
        @Override
        public double resolve(String tensor, int layer, int layers) {
            for (Filtered f : entries) {
                if (f.filter() == null || tensor.contains(f.filter())) {
                    return f.value().resolve(tensor, layer, layers);
                }
            }
            return Double.NaN;
        }

        @Override
        public Object toPlain() {
            return entries.stream().map(f -> {
                java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
                if (f.filter() != null) {
                    m.put("filter", f.filter());
                }
                m.put("value", f.value().toPlain());
                return m;
            }).toList();
        }
    }
}

package dev.graft.export;

/**
 * Cosine similarity of int8 embeddings to fp32 ones over a set of texts.
 *
 * @param min   the worst text's cosine
 * @param mean  the mean over texts
 * @param count how many texts
 */
public record CosineStats(double min, double mean, int count) {
    /** The worst and mean of per-text cosines. */
    static CosineStats of(double[] cosines) {
        double min = 1;
        double sum = 0;
        for (double c : cosines) {
            min = Math.min(min, c);
            sum += c;
        }
        return new CosineStats(min, cosines.length == 0 ? 1 : sum / cosines.length, cosines.length);
    }

    /** Accumulates row-by-row cosines. */
    static final class Builder {
        private final java.util.List<Double> values = new java.util.ArrayList<>();

        /**
         * Adds {@code rows} pairs of vectors.
         *
         * @param a [rows, h] flattened
         * @param b [rows, h] flattened
         */
        Builder addRows(float[] a, float[] b, int rows) {
            int h = a.length / rows;
            for (int r = 0; r < rows; r++) {
                double d = 0;
                double na = 0;
                double nb = 0;
                for (int i = r * h; i < (r + 1) * h; i++) {
                    d += (double) a[i] * b[i];
                    na += (double) a[i] * a[i];
                    nb += (double) b[i] * b[i];
                }
                values.add(na == 0 || nb == 0 ? (na == nb ? 1 : 0) : d / Math.sqrt(na * nb));
            }
            return this;
        }

        /** Each pair's cosine, in the order added. */
        double[] values() {
            return values.stream().mapToDouble(Double::doubleValue).toArray();
        }

        CosineStats build() {
            return of(values());
        }
    }
}

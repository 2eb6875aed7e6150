package dev.graft.export;

import dev.graft.text.TokenizedText;
import java.util.ArrayList;
import java.util.List;

/**
 * One dense product's own int8 error, simulated in Java on recorded fp32 inputs: activations quantised per tensor
 * (uint8, asymmetric, as {@code DynamicQuantizeLinear}), weights per column (symmetric, 127 levels), and the relative
 * squared error of the product {@code ‖x̂·Ŵ − x·W‖² / ‖x·W‖²}. It ranks which products to keep in fp32.
 */
final class Int8Error {
    private Int8Error() {
    }

    /** A product input recorded over the calibration batches: per-channel maxima and a sample of real-token rows. */
    static final class Activations {
        private final int width;
        private final int capacity;
        private final float[] channelMax;
        private final List<float[]> rows = new ArrayList<>();
        private long seen;

        Activations(int width, int capacity) {
            this.width = width;
            this.capacity = capacity;
            this.channelMax = new float[width];
        }

        /**
         * Records one batch.
         *
         * @param x     [batch, sequence, width] flattened, padded to the batch's longest text
         * @param batch the batch's texts (to tell real tokens from padding)
         */
        void add(float[] x, List<TokenizedText> batch) {
            int t = x.length / width / batch.size();
            for (int b = 0; b < batch.size(); b++) {
                for (int p = 0; p < t; p++) {
                    int off = (b * t + p) * width;
                    for (int i = 0; i < width; i++) {
                        channelMax[i] = Math.max(channelMax[i], Math.abs(x[off + i]));
                    }
                    // every 5th real token, up to the capacity: a spread over texts and positions
                    if (p < batch.get(b).length() && seen++ % 5 == 0 && rows.size() < capacity) {
                        float[] r = new float[width];
                        System.arraycopy(x, off, r, 0, width);
                        rows.add(r);
                    }
                }
            }
        }

        /** max |x_i| per channel over every position recorded. */
        float[] channelMax() {
            return channelMax.clone();
        }

        List<float[]> rows() {
            return rows;
        }
    }

    /**
     * The relative squared error of the int8 product on the recorded rows.
     *
     * @param w      W [in, out] row-major
     * @param smooth the SmoothQuant divisors [in] applied to x (and multiplied into W's rows), or null
     */
    static double relative(Activations a, float[] w, int in, int out, float[] smooth) {
        List<float[]> rows = a.rows();
        float[] ws = w.clone();
        if (smooth != null) {
            for (int i = 0; i < in; i++) {
                for (int j = 0; j < out; j++) {
                    ws[i * out + j] *= smooth[i];
                }
            }
        }
        float[] scale = new float[out];
        for (int i = 0; i < in; i++) {
            for (int j = 0; j < out; j++) {
                scale[j] = Math.max(scale[j], Math.abs(ws[i * out + j]));
            }
        }
        float[] wq = new float[in * out];
        for (int i = 0; i < in; i++) {
            for (int j = 0; j < out; j++) {
                float s = scale[j] == 0 ? 1 : scale[j] / 127;
                wq[i * out + j] = Math.round(ws[i * out + j] / s) * s;
            }
        }
        float lo = 0;
        float hi = 0;
        float[][] xs = new float[rows.size()][];
        for (int r = 0; r < rows.size(); r++) {
            xs[r] = rows.get(r).clone();
            for (int i = 0; i < in; i++) {
                if (smooth != null) {
                    xs[r][i] /= smooth[i];
                }
                lo = Math.min(lo, xs[r][i]);
                hi = Math.max(hi, xs[r][i]);
            }
        }
        float xscale = hi > lo ? (hi - lo) / 255 : 1;
        int zero = Math.round(-lo / xscale);
        double num = 0;
        double den = 0;
        float[] xq = new float[in];
        double[] exact = new double[out];
        double[] approx = new double[out];
        for (float[] x : xs) {
            for (int i = 0; i < in; i++) {
                int q = Math.max(0, Math.min(255, Math.round(x[i] / xscale) + zero));
                xq[i] = (q - zero) * xscale;
            }
            java.util.Arrays.fill(exact, 0);
            java.util.Arrays.fill(approx, 0);
            for (int i = 0; i < in; i++) {
                float xi = x[i];
                float qi = xq[i];
                int off = i * out;
                for (int j = 0; j < out; j++) {
                    exact[j] += xi * ws[off + j];
                    approx[j] += qi * wq[off + j];
                }
            }
            for (int j = 0; j < out; j++) {
                double d = approx[j] - exact[j];
                num += d * d;
                den += exact[j] * exact[j];
            }
        }
        return den == 0 ? 0 : num / den;
    }
}

package dev.graft.peft.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.graft.runtime.Arrays2;
import dev.graft.runtime.Engines;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The two combinations against naive loops over the same numbers. Shapes: B = 2, T = 3, N = 3, H = 4. */
class CombinerTest {
    static final int B = 2;
    static final int T = 3;
    static final int N = 3;
    static final int H = 4;

    static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    static Parameter param(NDManager m, float[] v, Shape s) {
        return Composition.trainable("p", Parameter.Type.WEIGHT, Arrays2.owned(m, v, s));
    }

    @Test
    void scaLearnSumsScaledDeltasPlusResidual() {

        Random r = new Random(1);
        float[] y = random(r, B * T * H);
        float[] d = random(r, B * T * N * H);
        for (int width : new int[] {H, 1}) {
            float[] w = random(r, N * width);
            try (NDManager m = dev.graft.runtime.Engines.newManager()) {
                NDArray out = new ScaLearnScaling("omega", param(m, w, new Shape(N, width)))
                        .combine(Arrays2.owned(m, y, new Shape(B, T, H)), Arrays2.owned(m, d, new Shape(B, T, N, H)));
                float[] got = out.toFloatArray();
                for (int bt = 0; bt < B * T; bt++) {
                    for (int h = 0; h < H; h++) {
                        double want = y[bt * H + h];
                        for (int n = 0; n < N; n++) {
                            want += w[n * width + (width == 1 ? 0 : h)] * d[(bt * N + n) * H + h];
                        }
                        assertEquals(want, got[bt * H + h], 1e-5);
                    }
                }
            }
        }
    }

    @Test
    void fusionAttendsOverTheSourcesWithSoftmaxOfQueryKeyProducts() {

        Random r = new Random(2);
        float[] y = random(r, B * T * H);
        float[] d = random(r, B * T * N * H);
        float[][] w = {random(r, H * H), random(r, H), random(r, H * H), random(r, H), random(r, H * H), random(r, H)};
        try (NDManager m = dev.graft.runtime.Engines.newManager()) {
            FusionAttention f = new FusionAttention("f.", param(m, w[0], new Shape(H, H)), param(m, w[1], new Shape(H)),
                    param(m, w[2], new Shape(H, H)), param(m, w[3], new Shape(H)), param(m, w[4], new Shape(H, H)),
                    param(m, w[5], new Shape(H)));
            float[] got = f.combine(Arrays2.owned(m, y, new Shape(B, T, H)), Arrays2.owned(m, d, new Shape(B, T, N, H))).toFloatArray();
            for (int bt = 0; bt < B * T; bt++) {
                double[] q = affine(w[0], w[1], y, bt * H);
                double[] s = new double[N];
                double[][] v = new double[N][];
                double max = Double.NEGATIVE_INFINITY;
                for (int n = 0; n < N; n++) {
                    double[] k = affine(w[2], w[3], d, (bt * N + n) * H);
                    v[n] = affine(w[4], w[5], d, (bt * N + n) * H);
                    for (int h = 0; h < H; h++) {
                        s[n] += q[h] * k[h];
                    }
                    max = Math.max(max, s[n]);
                }
                double z = 0;
                for (int n = 0; n < N; n++) {
                    s[n] = Math.exp(s[n] - max);
                    z += s[n];
                }
                for (int h = 0; h < H; h++) {
                    double want = y[bt * H + h];
                    for (int n = 0; n < N; n++) {
                        want += s[n] / z * v[n][h];
                    }
                    assertEquals(want, got[bt * H + h], 1e-4);
                }
            }
        }
    }

    /** x[off .. off+H) · Wᵀ + b with W [H, H] row-major (out, in). */
    static double[] affine(float[] w, float[] b, float[] x, int off) {
        double[] out = new double[H];
        for (int o = 0; o < H; o++) {
            out[o] = b[o];
            for (int i = 0; i < H; i++) {
                out[o] += w[o * H + i] * x[off + i];
            }
        }
        return out;
    }
}

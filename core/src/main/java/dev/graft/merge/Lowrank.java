package dev.graft.merge;

import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_FDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F32;

/** Dense products and truncated SVD for LoRA factors (EJML). Matrices are row-major float arrays. */
public final class Lowrank {
    private Lowrank() {
    }

    /** scale · B·A, with B [out, r] and A [r, in]: the dense [out, in] delta. */
    public static float[] product(float[] b, int out, int r, float[] a, int in, double scale) {
        float[] d = new float[out * in];
        for (int i = 0; i < out; i++) {
            for (int k = 0; k < r; k++) {
                float bik = (float) (b[i * r + k] * scale);
                if (bik == 0) {
                    continue;
                }
                int ao = k * in;
                int dout = i * in;
                for (int j = 0; j < in; j++) {
                    d[dout + j] += bik * a[ao + j];
                }
            }
        }
        return d;
    }

    /** Factors of a rank-r approximation: B [out, r] = U_r·diag(S_r) and A [r, in] = V_rᵀ (PEFT's split). */
    public record Factors(float[] b, float[] a, int rank, float[] singularValues) {
    }

    /**
     * Truncated SVD of a dense [out, in] matrix: the best rank-r approximation in Frobenius norm (Eckart–Young),
     * returned as LoRA factors with scale 1. Ranks above min(out, in) are padded with zero rows/columns.
     */
    public static Factors truncatedSvd(float[] m, int out, int in, int rank) {
        FMatrixRMaj mat = new FMatrixRMaj(out, in, true, m);
        SingularValueDecomposition_F32<FMatrixRMaj> svd = DecompositionFactory_FDRM.svd(out, in, true, true, true);
        if (!svd.decompose(mat)) {
            throw new dev.graft.GraftException("SVD did not converge on a " + out + "x" + in + " matrix");
        }
        FMatrixRMaj u = svd.getU(null, false); // [out, k]
        FMatrixRMaj vt = svd.getV(null, true); // [k, in]
        float[] s = svd.getSingularValues();
        int k = Math.min(out, in);
        Integer[] order = new Integer[k];
        for (int i = 0; i < k; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> Float.compare(s[y], s[x])); // EJML does not sort singular values
        float[] b = new float[out * rank];
        float[] a = new float[rank * in];
        float[] sv = new float[rank];
        for (int c = 0; c < Math.min(rank, k); c++) {
            int src = order[c];
            sv[c] = s[src];
            for (int i = 0; i < out; i++) {
                b[i * rank + c] = u.get(i, src) * s[src];
            }
            for (int j = 0; j < in; j++) {
                a[c * in + j] = vt.get(src, j);
            }
        }
        return new Factors(b, a, rank, sv);
    }
}

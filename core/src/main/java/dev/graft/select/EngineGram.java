package dev.graft.select;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.graft.runtime.Engines;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;

/**
 * The centred Gram matrix (X − μ)ᵀ(X − μ) through the engine's double-precision GEMM (PyTorch's BLAS), for feature
 * matrices large enough that crossing into native code pays: the one O(n·d²) product every estimator shares, and the
 * cost that dominated LogME in plain Java. Rows are centred in Java and sent in fixed-size blocks, so the extra
 * memory is one block whatever n is; the blocks' products add up in a native [d, d] accumulator.
 */
final class EngineGram {
    /** Rows per block: 4096 × 384 doubles is 12 MiB. */
    private static final int BLOCK_ROWS = 4096;

    private EngineGram() {
    }

    /**
     * @param rows [n][d] features (read only)
     * @param mean [d] their column means
     * @return the full symmetric [d, d] (X − μ)ᵀ(X − μ), row-major
     */
    static double[] centred(double[][] rows, double[] mean) {
        int n = rows.length;
        int d = mean.length;
        double[] g;
        // one direct buffer, refilled per block: the engine reads it in place (DJL wraps direct buffers), so each
        // value is written once on the Java side
        ByteBuffer bytes = ByteBuffer.allocateDirect(Math.min(BLOCK_ROWS, n) * d * Double.BYTES).order(ByteOrder.nativeOrder());
        DoubleBuffer block = bytes.asDoubleBuffer();
        try (NDManager manager = Engines.newManager()) {
            NDArray sum = manager.zeros(new Shape(d, d), DataType.FLOAT64);
            for (int lo = 0; lo < n; lo += BLOCK_ROWS) {
                int count = Math.min(BLOCK_ROWS, n - lo);
                block.clear();
                double[] centred = new double[d];
                for (int r = 0; r < count; r++) {
                    double[] row = rows[lo + r];
                    for (int j = 0; j < d; j++) {
                        centred[j] = row[j] - mean[j];
                    }
                    block.put(centred);
                }
                try (NDManager scope = manager.newSubManager()) {
                    // the block's array is used and closed before the buffer is refilled (matMul is synchronous)
                    NDArray x = scope.create(bytes.duplicate().limit(count * d * Double.BYTES), new Shape(count, d), DataType.FLOAT64);
                    sum.addi(x.transpose().matMul(x));
                }
            }
            g = sum.toDoubleArray();
        }
        // GEMM may sum (i, j) and (j, i) in different orders; the eigensolver wants exact symmetry
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < i; j++) {
                g[i * d + j] = g[j * d + i];
            }
        }
        return g;
    }
}

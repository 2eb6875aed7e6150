package dev.graft.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.graft.runtime.Engines;
import java.util.Locale;

/**
 * The machine's fp32 matrix-multiply rate through the same PyTorch build Graft uses: the best of several timed
 * n×n products (2n³ FLOPs each). Prints one JSON line.
 */
public final class MatmulPeak {
    private MatmulPeak() {
    }

    public static void main(String[] args) {
        int threads = args.length > 1 && args[0].equals("--threads") ? Integer.parseInt(args[1]) : 0;
        Engines.configure(threads);
        int n = 1024;
        try (NDManager m = Engines.newManager()) {
            NDArray a = m.randomUniform(-1, 1, new Shape(n, n));
            NDArray b = m.randomUniform(-1, 1, new Shape(n, n));
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 12; i++) {
                long t0 = System.nanoTime();
                NDArray c = a.matMul(b);
                c.getFloat(0, 0); // forces completion
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                c.close();
            }
            double gflops = 2.0 * n * n * n / best / 1e9;
            System.out.printf(Locale.ROOT, "{\"n\": %d, \"seconds\": %.5f, \"gflops\": %.2f}%n", n, best, gflops);
        }
    }
}

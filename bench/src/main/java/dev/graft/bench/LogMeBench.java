package dev.graft.bench;

import dev.graft.select.LogMe;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Times Graft's LogME on features and labels stored as .npy (written by bench/logme.sh), as the NumPy reference sees
 * them. Every run scores a fresh copy of the matrix, so no statistics are reused between runs; prints one JSON line.
 * Usage: LogMeBench --features F.npy --labels L.npy [--runs 7] [--warmup 3]
 */
public final class LogMeBench {
    public static void main(String[] args) throws Exception {
        Path features = null;
        Path labels = null;
        int runs = 7;
        int warmup = 3;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--features" -> features = Path.of(args[i + 1]);
                case "--labels" -> labels = Path.of(args[i + 1]);
                case "--runs" -> runs = Integer.parseInt(args[i + 1]);
                case "--warmup" -> warmup = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        double[][] f = Npy.readMatrix(features);
        int[] y = Npy.readLabels(labels);
        int k = Arrays.stream(y).max().orElse(0) + 1;
        LogMe logme = new LogMe();
        double value = 0;
        double[] times = new double[runs];
        for (int r = -warmup; r < runs; r++) {
            double[][] copy = new double[f.length][];
            for (int i = 0; i < f.length; i++) {
                copy[i] = f[i].clone();
            }
            long t0 = System.nanoTime();
            value = logme.score(copy, y, k);
            long t1 = System.nanoTime();
            if (r >= 0) {
                times[r] = (t1 - t0) / 1e9;
            }
        }
        double[] sorted = times.clone();
        Arrays.sort(sorted);
        System.out.printf("{\"system\": \"graft\", \"value\": %.17g, \"median_s\": %.6f, \"min_s\": %.6f, \"n\": %d, \"d\": %d, "
                        + "\"classes\": %d, \"threads\": %d}%n", value, sorted[runs / 2], sorted[0], f.length, f[0].length, k,
                Runtime.getRuntime().availableProcessors());
    }
}

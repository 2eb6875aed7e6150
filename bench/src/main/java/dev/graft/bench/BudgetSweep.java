package dev.graft.bench;

import dev.graft.model.EmbedOptions;
import dev.graft.model.Embedder;
import dev.graft.model.EncoderModel;
import dev.graft.runtime.Engines;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Compares Graft's batching settings in one JVM, interleaved: every repetition embeds every text set once per setting,
 * the settings in a rotated order, so machine noise falls on all of them alike. What {@code bench/budget-sweep.sh}
 * runs to choose the default {@code --max-batch-tokens}; {@code embed-throughput.sh --budgets} is the same comparison
 * with one JVM per run and ONNX Runtime beside it.
 *
 * <p>Usage: {@code BudgetSweep --texts FILE,FILE [--configs none/32,512/32,1024/32,2048/32,4096/32] [--reps 3] [--limit N]
 * [--threads 1] [--max-length 256]}. A config is {@code maxBatchTokens/batchSize}; {@code none} batches by count alone.
 * {@code --limit} keeps every k-th text so a subset has the whole set's length distribution. Prints one JSON line
 * per measurement, then tables of median texts/s per set and config with the per-repetition ratio to the first config:
 * per second of wall time, and per second of the process's CPU time (what to compare on a machine shared with other
 * jobs, with {@code --threads 1}).
 */
public final class BudgetSweep {
    private BudgetSweep() {
    }

    /** {@code maxBatchTokens/batchSize}; {@code none} for no token budget. */
    record Config(String label, int maxBatchTokens, int batchSize) {
        static Config parse(String s) {
            String[] p = s.split("/");
            int batch = p.length > 1 ? Integer.parseInt(p[1]) : 32;
            int tokens = p[0].equals("none") ? Integer.MAX_VALUE : Integer.parseInt(p[0]);
            return new Config(s, tokens, batch);
        }
    }

    public static void main(String[] args) throws Exception {
        List<Path> files = Arrays.stream(arg(args, "--texts", "bench/data/embed/texts.txt,bench/data/embed/texts-shuffled.txt")
                .split(",")).map(Path::of).toList();
        List<Config> configs = Arrays.stream(arg(args, "--configs", "none/32,512/32,1024/32,2048/32,4096/32").split(","))
                .map(Config::parse).toList();
        int reps = Integer.parseInt(arg(args, "--reps", "3"));
        int limit = Integer.parseInt(arg(args, "--limit", "0"));
        int threads = Integer.parseInt(arg(args, "--threads", "1"));
        int maxLength = Integer.parseInt(arg(args, "--max-length", "256"));
        Engines.configure(threads);
        List<List<String>> sets = new ArrayList<>();
        for (Path f : files) {
            sets.add(subset(Files.readAllLines(f), limit));
        }
        // [set][config][rep] texts per second of wall time, and per second of the process's CPU time: on a machine
        // shared with other jobs the second is what compares configs (time slices lost to others do not count)
        double[][][] rate = new double[sets.size()][configs.size()][reps];
        double[][][] cpuRate = new double[sets.size()][configs.size()][reps];
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (EncoderModel m = EncoderModel.load("all-minilm-l6-v2")) {
            EmbedOptions base = EmbedOptions.defaults(m).withMaxLength(maxLength);
            new Embedder(m, base).embed(sets.get(0).subList(0, Math.min(64, sets.get(0).size()))); // warm-up
            for (int r = 0; r < reps; r++) {
                for (int s = 0; s < sets.size(); s++) {
                    for (int k = 0; k < configs.size(); k++) {
                        int c = (k + r) % configs.size(); // rotate so no config always runs first
                        Config cfg = configs.get(c);
                        Embedder e = new Embedder(m, base.withBatchSize(cfg.batchSize()).withMaxBatchTokens(cfg.maxBatchTokens()));
                        long t0 = System.nanoTime();
                        long cpu0 = os.getProcessCpuTime();
                        e.embed(sets.get(s));
                        double seconds = (System.nanoTime() - t0) / 1e9;
                        double cpuSeconds = (os.getProcessCpuTime() - cpu0) / 1e9;
                        rate[s][c][r] = sets.get(s).size() / seconds;
                        cpuRate[s][c][r] = sets.get(s).size() / cpuSeconds;
                        System.out.printf(Locale.ROOT, "{\"set\": \"%s\", \"config\": \"%s\", \"rep\": %d, \"texts\": %d, \"threads\": %d,"
                                + " \"texts_per_s\": %.2f, \"texts_per_cpu_s\": %.2f}%n", files.get(s).getFileName(), cfg.label(), r + 1,
                                sets.get(s).size(), threads, rate[s][c][r], cpuRate[s][c][r]);
                    }
                }
            }
        }
        System.out.println();
        table("texts per second of wall time", files, configs, rate);
        System.out.println();
        table("texts per second of process CPU time", files, configs, cpuRate);
    }

    private static void table(String what, List<Path> files, List<Config> configs, double[][][] rate) {
        int reps = rate[0][0].length;
        System.out.println("| set | config (max batch tokens / batch size) | " + what + " (median) | / " + configs.get(0).label()
                + " (median, range over repetitions) |");
        System.out.println("|---|---|---|---|");
        for (int s = 0; s < files.size(); s++) {
            for (int c = 0; c < configs.size(); c++) {
                double[] ratio = new double[reps];
                for (int r = 0; r < reps; r++) {
                    ratio[r] = rate[s][c][r] / rate[s][0][r];
                }
                System.out.printf(Locale.ROOT, "| %s | %s | %.1f | %.2fx (%.2f-%.2f) |%n", files.get(s).getFileName(), configs.get(c).label(),
                        median(rate[s][c]), median(ratio), Arrays.stream(ratio).min().orElse(0), Arrays.stream(ratio).max().orElse(0));
            }
        }
    }

    private static List<String> subset(List<String> texts, int limit) {
        if (limit <= 0 || limit >= texts.size()) {
            return texts;
        }
        List<String> out = new ArrayList<>(limit);
        for (int i = 0; i < limit; i++) {
            out.add(texts.get((int) ((long) i * texts.size() / limit)));
        }
        return out;
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String arg(String[] args, String name, String def) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return def;
    }
}

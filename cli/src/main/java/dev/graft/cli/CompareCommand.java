package dev.graft.cli;

import dev.graft.compare.Comparison;
import dev.graft.compare.FlipPlot;
import dev.graft.train.Example;
import dev.graft.train.Flips;
import dev.graft.tune.ModelRef;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "compare", description = {"Compare an old and a new classifier on labelled data: the examples the update breaks"
        + " (negative flips: old right, new wrong) and those it fixes (positive flips).",
    "NFR and PFR are shares of all examples (Yan et al., CVPR 2021, \"Positive-Congruent Training\"). Each side is an"
        + " adapter, a merged model with one head, or a model exported with its head; the two may use different base models."},
        footer = {"", "Examples:",
            "  graft compare --old adapter-v1 --new adapter-v2 --data test.csv",
            "  graft compare --old adapter-v1 --new adapter-v2 --data test.csv --plot flips.png --show-flips 20",
            "  graft compare --old minilm-lora --new bge-lora --new-model bge-small-en-v1.5 --data test.csv --json"})
final class CompareCommand implements Runnable {
    /** Per-class rows printed without --json (the classes with the most negative flips). */
    static final int CLASS_ROWS = 10;

    @Option(names = "--old", required = true, paramLabel = "DIR", description = "The model in use: an adapter directory,"
            + " a merged model with one head (or its heads/<i>-<name> directory), or a model exported with its head.")
    Path oldDir;

    @Option(names = "--new", required = true, paramLabel = "DIR", description = "Its replacement (the same kinds as --old).")
    Path newDir;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Labelled examples (.csv, .tsv, .jsonl).")
    Path data;

    @Option(names = "--old-model", paramLabel = "ID|DIR", description = "The base model of the old adapter (default: the one it records).")
    String oldModel;

    @Option(names = "--new-model", paramLabel = "ID|DIR", description = "The base model of the new adapter (default: the one it records).")
    String newModel;

    @Option(names = "--labels", split = ",", description = "Label names for a PEFT adapter without graft_task.json (in class-index order).")
    List<String> labels;

    @Option(names = "--json", description = "Print the full report as JSON, with every flipped example.")
    boolean json;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Write a bar chart of negative and positive flips per class.")
    Path plot;

    @Option(names = "--show-flips", paramLabel = "N", description = "Flipped examples to list: the first N negative and N"
            + " positive ones (default: 10 in text, all with --json).")
    Integer showFlips;

    @Option(names = "--batch-size", defaultValue = "64", description = "Most examples per forward pass. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Mixin
    TokenBudgetOption budget = new TokenBudgetOption();

    @Mixin
    DataOptions columns = new DataOptions();

    @Mixin
    EngineOption engine = new EngineOption();

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        if (showFlips != null && showFlips < 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--show-flips must be >= 0, got " + showFlips);
        }
        ModelRef oldRef = ModelRef.of(oldDir, oldModel, "--old-model");
        ModelRef newRef = ModelRef.of(newDir, newModel, "--new-model");
        List<Example> examples = columns.reader().read(data);
        Comparison.Result r = Comparison.of(oldRef, newRef).batchSize(batchSize).maxBatchTokens(budget.maxBatchTokens)
                .engine(engine.choice()).labelsIfUnknown(labels).run(examples);
        if (plot != null) {
            FlipPlot.write(plot, r.flips(), oldDir.getFileName() + " → " + newDir.getFileName());
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Output.json(out, report(r, showFlips == null ? Integer.MAX_VALUE : showFlips));
        } else {
            print(out, r, showFlips == null ? 10 : showFlips);
        }
    }

    private Map<String, Object> report(Comparison.Result r, int show) {
        Flips f = r.flips();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("old", side(r.oldRef(), f.oldAccuracy()));
        m.put("new", side(r.newRef(), f.newAccuracy()));
        m.put("data", data.toString());
        m.put("examples", f.examples());
        m.put("labels", r.classes());
        m.put("labels_reordered", r.reordered());
        m.put("negative_flips", f.negativeFlips());
        m.put("positive_flips", f.positiveFlips());
        m.put("nfr", f.negativeFlipRate());
        m.put("pfr", f.positiveFlipRate());
        m.put("agreement", f.agreement());
        m.put("relative_nfr", finiteOrNull(f.relativeNegativeFlipRate()));
        m.put("regression_share", finiteOrNull(f.regressionShare()));
        List<Map<String, Object>> perClass = new ArrayList<>();
        int[] support = f.support();
        int[] neg = f.negativeByClass();
        int[] pos = f.positiveByClass();
        for (int c = 0; c < support.length; c++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("label", f.classes().get(c));
            row.put("examples", support[c]);
            row.put("negative_flips", neg[c]);
            row.put("positive_flips", pos[c]);
            perClass.add(row);
        }
        m.put("per_class", perClass);
        List<Map<String, Object>> flips = new ArrayList<>();
        for (Comparison.Flip x : shown(r.flipped(), show)) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("index", x.index());
            row.put("kind", x.negative() ? "negative" : "positive");
            row.put("text", x.example().text());
            if (x.example().pair() != null) {
                row.put("text_pair", x.example().pair());
            }
            row.put("gold", x.gold());
            row.put("old", x.oldLabel());
            row.put("new", x.newLabel());
            flips.add(row);
        }
        m.put("flips", flips);
        if (plot != null) {
            m.put("plot", plot.toString());
        }
        return m;
    }

    private static Map<String, Object> side(ModelRef ref, double accuracy) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dir", ref.dir().toString());
        m.put("kind", ref.kind().name().toLowerCase(Locale.ROOT));
        m.put("base_model", ref.baseModel());
        m.put("accuracy", accuracy);
        return m;
    }

    private static Double finiteOrNull(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /** The first {@code n} negative flips, then the first {@code n} positive ones, each in example order. */
    private static List<Comparison.Flip> shown(List<Comparison.Flip> all, int n) {
        List<Comparison.Flip> out = new ArrayList<>(all.stream().filter(Comparison.Flip::negative).limit(n).toList());
        out.addAll(all.stream().filter(x -> !x.negative()).limit(n).toList());
        return out;
    }

    private void print(PrintWriter out, Comparison.Result r, int show) {
        Flips f = r.flips();
        out.println("old " + r.oldRef().dir() + ": accuracy " + pct(f.oldAccuracy()));
        out.println("new " + r.newRef().dir() + ": accuracy " + pct(f.newAccuracy()));
        out.println(data + " (" + f.examples() + " examples): negative flips " + f.negativeFlips() + " (NFR "
                + pct(f.negativeFlipRate()) + "), positive flips " + f.positiveFlips() + " (PFR " + pct(f.positiveFlipRate())
                + "), agreement " + pct(f.agreement()));
        if (Double.isFinite(f.relativeNegativeFlipRate())) {
            out.println(String.format(Locale.ROOT, "relative NFR %.2f (1 = as many as if the models erred independently);"
                    + " %s of the new model's errors were right before", f.relativeNegativeFlipRate(), pct(f.regressionShare())));
        }
        if (r.reordered()) {
            out.println("the new model lists the labels as " + r.newOrder() + ": its predictions were aligned by name");
        }
        int[] support = f.support();
        int[] neg = f.negativeByClass();
        int[] pos = f.positiveByClass();
        List<Integer> order = new ArrayList<>();
        for (int c = 0; c < support.length; c++) {
            order.add(c);
        }
        order.sort(Comparator.comparingInt((Integer c) -> -neg[c]).thenComparingInt(c -> -pos[c]).thenComparingInt(c -> c));
        out.println();
        List<List<String>> rows = new ArrayList<>();
        for (int c : order.subList(0, Math.min(CLASS_ROWS, order.size()))) {
            rows.add(List.of(f.classes().get(c), Integer.toString(support[c]), Integer.toString(neg[c]), Integer.toString(pos[c])));
        }
        Output.table(out, List.of("label", "examples", "negative", "positive"), rows);
        if (order.size() > CLASS_ROWS) {
            out.println("... and " + (order.size() - CLASS_ROWS) + " more classes (--json lists all)");
        }
        List<Comparison.Flip> flips = shown(r.flipped(), show);
        for (boolean negative : new boolean[] {true, false}) {
            List<Comparison.Flip> some = flips.stream().filter(x -> x.negative() == negative).toList();
            int total = negative ? f.negativeFlips() : f.positiveFlips();
            if (some.isEmpty()) {
                continue;
            }
            out.println();
            out.println((negative ? "negative flips (old right, new wrong)" : "positive flips (old wrong, new right)")
                    + (some.size() < total ? ", first " + some.size() + " of " + total : "") + ":");
            for (Comparison.Flip x : some) {
                out.println("  #" + x.index() + "  gold " + x.gold() + "  old " + x.oldLabel() + "  new " + x.newLabel()
                        + "  " + abbreviate(x.example().text()));
            }
        }
        if (plot != null) {
            out.println();
            out.println("wrote " + plot);
        }
        out.flush();
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }

    private static String abbreviate(String text) {
        String oneLine = text.replaceAll("\\s+", " ").strip();
        return oneLine.length() <= 80 ? oneLine : oneLine.substring(0, 77) + "...";
    }
}

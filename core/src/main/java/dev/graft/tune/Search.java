package dev.graft.tune;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.io.AtomicDirectory;
import dev.graft.io.AtomicFiles;
import dev.graft.io.Provenance;
import dev.graft.peft.AdapterFiles;
import dev.graft.train.Budget;
import dev.graft.train.DivergedException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * {@code graft tune --auto}: a small, honest search over the learning rate and the budget. Every trial is an ordinary
 * {@link Tuning} run on the same frozen base in this JVM, with the same data, holdout (or --eval file) and seed; it is
 * judged on the selection metric of its best checkpoint there — never on test data. Learning rates are spread
 * geometrically around the method's default (or the one given) by factors of 3; then, when the best trial's best score
 * came in the last fifth of its updates (it was still improving), one more trial gives that learning rate twice the
 * budget. A trial whose loss becomes NaN or infinite stops at once and counts as diverged; early stopping (patience)
 * ends the others that stop improving. The best trial's adapter is moved into the output directory, with the search
 * recorded in its {@code graft_provenance.json}, tabled in {@code search.json} and plotted in {@code search.png}.
 */
public final class Search {
    /** Learning rates tried by default: the default, a third of it, three times it. */
    public static final int DEFAULT_LEARNING_RATES = 3;
    /** Step between neighbouring learning rates. */
    static final double FACTOR = 3;
    /** A best score at or after this fraction of a trial's updates means it was still improving. */
    static final double STILL_IMPROVING = 0.8;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TRIALS = ".search-trials";

    private final Tuning tuning;
    private int learningRates = DEFAULT_LEARNING_RATES;
    private List<Double> explicitRates;
    private boolean extendBudget = true;
    private Consumer<String> log = s -> { };

    private Search(Tuning tuning) {
        this.tuning = tuning;
    }

    /** A search around every setting of {@code configured} (its learning rate, if set, is the centre). */
    public static Search of(Tuning configured) {
        return new Search(configured);
    }

    /** How many learning rates to try (at least 2), spread by factors of 3 around the centre. */
    public Search learningRates(int n) {
        if (n < 2) {
            throw new GraftException("--search must be at least 2 (learning rates to try), got " + n);
        }
        this.learningRates = n;
        return this;
    }

    /** Tries exactly these learning rates instead of a spread around the centre. */
    public Search learningRates(List<Double> rates) {
        if (rates.isEmpty() || rates.stream().anyMatch(r -> !(r > 0 && r < 1))) {
            throw new GraftException("search learning rates must be numbers in (0, 1), got " + rates);
        }
        this.explicitRates = List.copyOf(rates);
        return this;
    }

    /** Whether a still-improving best trial gets one more trial with twice the budget (default true). */
    public Search extendBudget(boolean e) {
        this.extendBudget = e;
        return this;
    }

    /** Where a line per finished trial goes (the CLI prints them). */
    public Search log(Consumer<String> lines) {
        this.log = lines;
        return this;
    }

    /**
     * One trial.
     *
     * @param learningRate the peak learning rate it used
     * @param budget       "auto", or "2x" for the extended budget
     * @param updates      updates it made
     * @param score        the selection metric at its best checkpoint; null when it diverged
     * @param bestUpdate   the update of that checkpoint
     * @param outcome      "best", "ok", "stopped early" or "diverged: ..."
     */
    public record Trial(int index, double learningRate, String budget, long updates, Double score, long bestUpdate,
                        String outcome) {
    }

    /** The trials in the order they ran, which one won, and the winner's run (its adapter is in the output). */
    public record Result(List<Trial> trials, int best, String metric, Tuning.Result adapter) {
    }

    /** The learning-rate multipliers for {@code n} trials: 3^(i − (n−1)/2), i = 0..n−1. */
    static double[] multipliers(int n) {
        double[] m = new double[n];
        for (int i = 0; i < n; i++) {
            m[i] = Math.pow(FACTOR, i - (n - 1) / 2.0);
        }
        return m;
    }

    /**
     * Runs the trials and leaves the best one's adapter in {@code output} (created; must not hold an adapter).
     *
     * @throws GraftException when there is nothing to judge trials on, or every trial diverged
     */
    public Result run(Path output) {
        if (Files.exists(output.resolve(AdapterFiles.CONFIG))) {
            throw new GraftException(output + ": already holds an adapter; choose another --output");
        }
        if (tuning.resuming()) {
            throw new GraftException("--auto cannot --resume a stopped run; run the search again");
        }
        double centre = explicitRates != null ? 0 : tuning.baseLearningRate();
        Path trialsDir = output.resolve(TRIALS);
        List<Trial> trials = new ArrayList<>();
        List<Tuning.Result> results = new ArrayList<>();
        String metric = null;
        try {
            AtomicDirectory.deleteTree(trialsDir);
            List<Double> rates = explicitRates != null ? explicitRates
                    : java.util.Arrays.stream(multipliers(learningRates)).map(m -> centre * m).boxed().toList();
            for (double lr : rates) {
                String judged = runTrial(tuning.copy().learningRate(lr), "auto", trialsDir, trials, results);
                if (judged == null && results.get(results.size() - 1) != null) {
                    throw new GraftException("--auto needs data to judge the trials on: give --eval FILE, or at least "
                            + "50 training examples so that part of them can be held out");
                }
                metric = judged != null ? judged : metric;
            }
            int best = best(trials);
            if (best < 0) {
                throw new GraftException("--auto: every trial diverged (learning rates " + describe(trials)
                        + "); give a smaller --lr to centre the search on");
            }
            Trial top = trials.get(best);
            Tuning.Result topRun = results.get(best);
            boolean stillImproving = topRun.training().budget().rule() == Budget.Rule.AUTO
                    && !topRun.training().stoppedEarly() && top.bestUpdate() >= STILL_IMPROVING * top.updates();
            if (extendBudget && stillImproving) {
                long doubled = 2 * topRun.training().budget().updates();
                runTrial(tuning.copy().learningRate(top.learningRate()).updates((int) Math.min(Integer.MAX_VALUE, doubled)),
                        "2x", trialsDir, trials, results);
                best = best(trials);
            }
            List<Trial> marked = new ArrayList<>();
            for (Trial t : trials) {
                marked.add(t.index() == best ? withOutcome(t, "best") : t);
            }
            Result result = new Result(List.copyOf(marked), best, metric, results.get(best));
            keep(result, trialsDir.resolve(Integer.toString(best)), output);
            return result;
        } finally {
            AtomicDirectory.deleteTree(trialsDir);
        }
    }

    /** Runs one trial into {@code trialsDir/<index>}; returns the selection metric's name, or null without one. */
    private String runTrial(Tuning trial, String budget, Path trialsDir, List<Trial> trials, List<Tuning.Result> results) {
        int index = trials.size();
        double lr = trial.baseLearningRate();
        Tuning.Result r;
        try {
            r = trial.run(trialsDir.resolve(Integer.toString(index)));
        } catch (DivergedException e) {
            trials.add(new Trial(index, lr, budget, 0, null, 0, "diverged: " + e.getMessage()));
            results.add(null);
            log.accept(line(trials.get(index)));
            return null;
        }
        String metric = r.selectionMetric();
        Double score = metric == null ? null : r.metrics().get(metric);
        trials.add(new Trial(index, lr, budget, r.training().steps(), score, r.training().bestStep(),
                r.training().stoppedEarly() ? "stopped early" : "ok"));
        results.add(r);
        log.accept(line(trials.get(index)));
        return metric;
    }

    /** The trial with the highest score (the first on ties); -1 when none has one. */
    static int best(List<Trial> trials) {
        int best = -1;
        for (Trial t : trials) {
            if (t.score() != null && !t.score().isNaN() && (best < 0 || t.score() > trials.get(best).score())) {
                best = t.index();
            }
        }
        return best;
    }

    private static Trial withOutcome(Trial t, String outcome) {
        return new Trial(t.index(), t.learningRate(), t.budget(), t.updates(), t.score(), t.bestUpdate(), outcome);
    }

    static String line(Trial t) {
        return String.format(Locale.ROOT, "trial %d: lr %.2e, budget %s: %s", t.index() + 1, t.learningRate(), t.budget(),
                t.score() == null ? t.outcome() : String.format(Locale.ROOT, "%.4f at update %d of %d%s", t.score(),
                        t.bestUpdate(), t.updates(), t.outcome().equals("stopped early") ? " (stopped early)" : ""));
    }

    private static String describe(List<Trial> trials) {
        return String.join(", ", trials.stream().map(t -> String.format(Locale.ROOT, "%.2e", t.learningRate())).toList());
    }

    /** Moves the best trial's files into {@code output} and adds the search to its provenance, table and plot. */
    private static void keep(Result result, Path bestDir, Path output) {
        try {
            Files.createDirectories(output);
            try (Stream<Path> files = Files.list(bestDir)) {
                for (Path f : files.toList()) {
                    Path target = output.resolve(f.getFileName().toString());
                    AtomicDirectory.deleteTree(target);
                    Files.move(f, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            ObjectNode search = JSON.createObjectNode();
            search.put("metric", result.metric());
            search.put("best", result.best());
            ArrayNode table = search.putArray("trials");
            for (Trial t : result.trials()) {
                table.add(JSON.valueToTree(t));
            }
            AtomicFiles.write(output.resolve("search.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(search));
            Path provenance = output.resolve(Provenance.FILE);
            ObjectNode record = (ObjectNode) JSON.readTree(provenance.toFile());
            record.set("search", search);
            Provenance.write(output, record);
            SearchPlot.write(output.resolve("search.png"), result);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package dev.graft.cli;

import dev.graft.GraftException;
import dev.graft.features.FeatureCache;
import dev.graft.features.LabelledTexts;
import dev.graft.model.BundledModel;
import dev.graft.model.BundledModels;
import dev.graft.model.Pooling;
import dev.graft.select.Estimators;
import dev.graft.select.rank.AdapterCandidate;
import dev.graft.select.rank.ClassifierCandidate;
import dev.graft.select.rank.FineTunedAccuracy;
import dev.graft.select.rank.ModelRanker;
import dev.graft.select.rank.RankPlot;
import dev.graft.select.rank.RankReport;
import dev.graft.select.rank.RankValidation;
import dev.graft.train.Example;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Ranks candidate models for a labelled dataset with transferability estimators; optionally validates by fine-tuning. */
@Command(name = "rank", description = "Rank pretrained models for a labelled dataset without fine-tuning them (LogME, H-score, ...).",
        footer = {"", "Metrics (higher = predicted better): logme, hscore, shrinkage-hscore, transrate, gbc, gbc-spherical, sfda,"
                + " nleep, tmi, knn, linear-probe. docs/select.md explains each.",
            "Features are extracted once per (model, data, pooling, max length) and cached under ~/.cache/graft/features.",
            "", "Examples:",
            "  graft rank --models all --data train.csv",
            "  graft rank --models all-minilm-l6-v2,bge-small-en-v1.5 --data train.csv --metrics logme,hscore --plot rank.png",
            "  graft rank --models bge-small-en-v1.5 --data train.csv --layers            (which layer transfers best)",
            "  graft rank --models all --data train.csv --team 2                       (best pair of models)",
            "  graft rank --models all --data train.csv --validate dev.csv             (fine-tune each with LoRA and compare)"})
final class RankCommand implements Callable<Integer> {
    @Option(names = "--models", split = ",", paramLabel = "ID|DIR", description = "Candidates: ids, directories, or 'all' (the bundled models).")
    List<String> models = new ArrayList<>();

    @Option(names = "--adapters", split = ",", paramLabel = "DIR", description = "Fine-tuned adapters with a classifier head as candidates (also scored by LEEP and NCE).")
    List<Path> adapters = new ArrayList<>();

    @Option(names = "--base", paramLabel = "ID|DIR", description = "Base model of --adapters (default: the one each adapter records).")
    String base;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Labelled texts (.csv, .tsv, .jsonl).")
    Path data;

    @Option(names = "--metrics", split = ",", description = "Estimators (default: all).")
    List<String> metrics;

    @Option(names = "--layers", description = "Also score every layer of every model.")
    boolean layers;

    @Option(names = "--team", paramLabel = "K", defaultValue = "0", description = "Also choose the best team of K models (concatenated features).")
    int team;

    @Option(names = "--team-metric", defaultValue = "logme", description = "Estimator that picks the team. Default: ${DEFAULT-VALUE}.")
    String teamMetric;

    @Option(names = "--sample", paramLabel = "N", description = "Score a stratified random subset of N examples.")
    Integer sample;

    @Option(names = "--seed", defaultValue = "42")
    long seed;

    @Option(names = "--pooling", description = "cls, mean or pooler (default: each model's own).")
    String pooling;

    @Option(names = "--max-length", description = "Token limit per text (default: each model's own).")
    Integer maxLength;

    @Mixin
    TokenBudgetOption budget = new TokenBudgetOption();

    @Option(names = "--plot", paramLabel = "PNG", description = "Write a bar chart of the ranking.")
    Path plot;

    @Option(names = "--validate", paramLabel = "FILE", description = "Fine-tune every model with the same LoRA budget on --data, measure accuracy on FILE, and report how well each metric predicted it.")
    Path validate;

    @Option(names = "--validate-epochs", defaultValue = "2")
    int validateEpochs;

    @Option(names = "--validate-output", paramLabel = "DIR", description = "Keep the validation adapters here (default: a temporary folder).")
    Path validateOutput;

    @Option(names = "--no-cache", description = "Extract features again even if cached (e.g. to time extraction).")
    boolean noCache;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Mixin
    DataOptions columns = new DataOptions();

    @Mixin
    EngineOption engine = new EngineOption();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        List<String> ids = expand(models);
        LabelledTexts texts = LabelledTexts.read(data, columns.reader());
        if (sample != null) {
            texts = texts.sample(sample, seed);
        }
        ModelRanker.Options o = ModelRanker.Options.builder().metrics(metrics == null ? Estimators.names() : metrics)
                .layers(layers).teamSize(team).teamMetric(teamMetric).pooling(pooling == null ? null : Pooling.parse(pooling))
                .maxLength(maxLength).maxBatchTokens(budget.maxBatchTokens).build();
        PrintWriter err = spec.commandLine().getErr();
        if (ids.isEmpty() && adapters.isEmpty()) {
            throw new GraftException("give candidates with --models (ids, directories or 'all') and/or --adapters");
        }
        if (validate != null && !adapters.isEmpty()) {
            throw new GraftException("--validate fine-tunes --models; leave out --adapters");
        }
        Consumer<String> log = line -> {
            if (!json) {
                err.println(line);
                err.flush();
            }
        };
        List<ClassifierCandidate> classifiers = new ArrayList<>();
        RankReport report;
        try {
            for (Path a : adapters) {
                classifiers.add(AdapterCandidate.load(a, base, maxLength));
            }
            FeatureCache cache = (noCache ? new FeatureCache(new FeatureCache().directory(), false) : new FeatureCache())
                    .withEngine(engine.choice());
            report = new ModelRanker(cache, new ConsoleProgress(256), log).rank(ids, classifiers, texts, o);
        } finally {
            classifiers.forEach(ClassifierCandidate::close);
        }

        Map<String, Double> accuracy = null;
        Map<String, RankValidation.Agreement> agreement = null;
        if (validate != null) {
            List<Example> held = LabelledTexts.read(validate, columns.reader()).examples(validate.toString());
            accuracy = FineTunedAccuracy.lora().epochs(validateEpochs).seed(seed).maxLength(maxLength).output(validateOutput)
                    .progress(new ConsoleProgress(1)).log(log).measure(ids, texts.examples(data.toString()), held);
            agreement = RankValidation.compare(report, accuracy);
        }
        if (plot != null) {
            RankPlot.write(report, accuracy, "Ranking on " + data.getFileName() + " (" + texts.size() + " examples)", plot);
        }
        if (json) {
            Output.json(out, toJson(report, accuracy, agreement));
        } else {
            print(out, report, accuracy, agreement);
        }
        return 0;
    }

    private static List<String> expand(List<String> models) {
        List<String> ids = new ArrayList<>();
        for (String m : models) {
            if (m.equals("all")) {
                BundledModels.all().stream().map(BundledModel::id).forEach(ids::add);
            } else if (!m.isBlank()) {
                ids.add(m.trim());
            }
        }
        if (ids.stream().distinct().count() != ids.size()) {
            throw new GraftException("--models lists a model twice: " + ids);
        }
        return ids;
    }

    private static void print(PrintWriter out, RankReport r, Map<String, Double> accuracy, Map<String, RankValidation.Agreement> agreement) {
        out.printf(Locale.ROOT, "%d examples, %d classes; scores (rank) per estimator, higher = predicted better%n", r.examples(), r.classes());
        List<String> header = new ArrayList<>();
        header.add("candidate");
        header.addAll(r.metrics());
        if (accuracy != null) {
            header.add("fine-tuned acc");
        }
        List<List<String>> rows = new ArrayList<>();
        for (RankReport.Candidate c : r.candidates()) {
            List<String> row = new ArrayList<>();
            row.add(c.label());
            for (String m : r.metrics()) {
                List<RankReport.Candidate> ranked = r.ranked(m);
                row.add(c.scores().containsKey(m) ? String.format(Locale.ROOT, "%.4g (%d)", c.scores().get(m), ranked.indexOf(c) + 1) : "");
            }
            if (accuracy != null) {
                row.add(c.layer() < 0 && accuracy.containsKey(c.model()) ? String.format(Locale.ROOT, "%.4f", accuracy.get(c.model())) : "");
            }
            rows.add(row);
        }
        Output.table(out, header, rows);
        if (r.team() != null) {
            List<RankReport.Candidate> models = r.candidates().stream().filter(c -> c.layer() < 0).toList();
            out.printf(Locale.ROOT, "team of %d by %s: %s; score %.4g vs best single %.4g (gain %+.4g)%n", r.team().chosen().size(),
                    r.teamMetric(), String.join(" + ", r.team().chosen().stream().map(i -> models.get(i).model()).toList()),
                    r.team().scoreAfterEach().get(r.team().scoreAfterEach().size() - 1), r.team().bestSingle(), r.team().gain());
        }
        if (agreement != null) {
            out.println();
            out.println("agreement with fine-tuned accuracy:");
            List<List<String>> arows = new ArrayList<>();
            agreement.forEach((m, a) -> arows.add(List.of(m, String.format(Locale.ROOT, "%.3f", a.kendallTau()),
                    String.format(Locale.ROOT, "%.3f", a.weightedTau()), a.top1() ? "yes" : "no")));
            Output.table(out, List.of("estimator", "Kendall tau", "weighted tau", "top-1"), arows);
        }
        double est = r.estimatorSeconds();
        out.printf(Locale.ROOT, "time: features %.1f s, estimators %.2f s (%.1f%% of the total)%n", r.extractionSeconds(), est,
                100 * est / (est + r.extractionSeconds()));
    }

    private static Map<String, Object> toJson(RankReport r, Map<String, Double> accuracy, Map<String, RankValidation.Agreement> agreement) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("examples", r.examples());
        j.put("classes", r.classes());
        List<Map<String, Object>> cands = new ArrayList<>();
        for (RankReport.Candidate c : r.candidates()) {
            Map<String, Object> cj = new LinkedHashMap<>();
            cj.put("model", c.model());
            if (c.layer() >= 0) {
                cj.put("layer", c.layer());
            }
            cj.put("scores", c.scores());
            if (accuracy != null && c.layer() < 0) {
                cj.put("fine_tuned_accuracy", accuracy.get(c.model()));
            }
            cands.add(cj);
        }
        j.put("candidates", cands);
        Map<String, List<String>> ranking = new LinkedHashMap<>();
        for (String m : r.metrics()) {
            ranking.put(m, r.ranked(m).stream().map(RankReport.Candidate::label).toList());
        }
        j.put("ranking", ranking);
        if (r.team() != null) {
            List<RankReport.Candidate> models = r.candidates().stream().filter(c -> c.layer() < 0).toList();
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("metric", r.teamMetric());
            t.put("models", r.team().chosen().stream().map(i -> models.get(i).model()).toList());
            t.put("score_after_each", r.team().scoreAfterEach());
            t.put("best_single", r.team().bestSingle());
            t.put("gain", r.team().gain());
            j.put("team", t);
        }
        if (agreement != null) {
            Map<String, Object> a = new LinkedHashMap<>();
            agreement.forEach((m, g) -> a.put(m, Map.of("kendall_tau", g.kendallTau(), "weighted_tau", g.weightedTau(), "top1", g.top1())));
            j.put("validation", a);
        }
        j.put("feature_seconds", r.extractionSeconds());
        j.put("metric_seconds", r.metricSeconds());
        j.put("estimator_seconds", r.estimatorSeconds());
        return j;
    }
}

package dev.graft.select.rank;

import dev.graft.GraftException;
import dev.graft.features.FeatureCache;
import dev.graft.features.LabelledTexts;
import dev.graft.features.LayerFeatures;
import dev.graft.model.EmbedOptions;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.runtime.Progress;
import dev.graft.select.Estimator;
import dev.graft.select.Estimators;
import dev.graft.select.Leep;
import dev.graft.select.Nce;
import dev.graft.select.TeamSelection;
import dev.graft.text.TokenBudgetBatcher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Ranks candidate encoders for a labelled dataset without fine-tuning them: extracts each model's pooled features
 * once (cached on disk by {@link FeatureCache}), scores them with every requested estimator, optionally per layer,
 * and optionally picks a team of models whose concatenated features score best.
 */
public final class ModelRanker {
    /**
     * @param metrics    estimator names ({@link Estimators#names()})
     * @param layers     also score every layer of every model
     * @param teamSize   0 = no team; else the team size k (2 ≤ k ≤ models)
     * @param teamMetric the estimator that picks the team
     * @param pooling    null = each model's own pooling
     * @param maxLength  null = each model's own limit
     * @param maxBatchTokens the most padded tokens per forward pass while extracting features ({@link TokenBudgetBatcher})
     */
    public record Options(List<String> metrics, boolean layers, int teamSize, String teamMetric, Pooling pooling,
                          Integer maxLength, int maxBatchTokens) {
        public Options {
            metrics = List.copyOf(metrics);
            if (metrics.isEmpty()) {
                throw new GraftException("--metrics: expected at least one of " + Estimators.names());
            }
            metrics.forEach(Estimators::byName);
            if (teamSize < 0) {
                throw new GraftException("--team must be positive, got " + teamSize);
            }
            if (teamSize > 0) {
                Estimators.byName(teamMetric);
            }
            new TokenBudgetBatcher(maxBatchTokens, 1); // validates, naming --max-batch-tokens
        }

        /** Options with the default token budget. */
        public Options(List<String> metrics, boolean layers, int teamSize, String teamMetric, Pooling pooling,
                       Integer maxLength) {
            this(metrics, layers, teamSize, teamMetric, pooling, maxLength, TokenBudgetBatcher.DEFAULT_MAX_BATCH_TOKENS);
        }

        /** Options with {@code graft rank}'s defaults: every estimator, no layers, no team, each model's pooling and limit. */
        public static Builder builder() {
            return new Builder();
        }
    }

    /** Builds {@link Options}; unset values keep {@code graft rank}'s defaults. */
    public static final class Builder {
        private List<String> metrics = Estimators.names();
        private boolean layers;
        private int teamSize;
        private String teamMetric = "logme";
        private Pooling pooling;
        private Integer maxLength;
        private int maxBatchTokens = TokenBudgetBatcher.DEFAULT_MAX_BATCH_TOKENS;

        private Builder() {
        }

        /** Estimator names ({@link Estimators#names()}); default all of them. */
        public Builder metrics(String... names) {
            return metrics(List.of(names));
        }

        public Builder metrics(List<String> names) {
            this.metrics = List.copyOf(names);
            return this;
        }

        /** Also score every layer of every model. */
        public Builder layers(boolean every) {
            this.layers = every;
            return this;
        }

        /** Also pick the best team of {@code k} models (2 ≤ k ≤ models); 0, the default, picks none. */
        public Builder teamSize(int k) {
            this.teamSize = k;
            return this;
        }

        /** The estimator that picks the team; default {@code logme}. */
        public Builder teamMetric(String name) {
            this.teamMetric = name;
            return this;
        }

        /** One pooling for every model; default each model's own. */
        public Builder pooling(Pooling p) {
            this.pooling = p;
            return this;
        }

        /** One token limit for every model (capped at each model's positions); null, the default, = each model's own. */
        public Builder maxLength(Integer tokens) {
            this.maxLength = tokens;
            return this;
        }

        /**
         * The most padded tokens per forward pass while extracting features (texts × the batch's longest text);
         * default {@value TokenBudgetBatcher#DEFAULT_MAX_BATCH_TOKENS}.
         */
        public Builder maxBatchTokens(int tokens) {
            this.maxBatchTokens = tokens;
            return this;
        }

        /** @throws GraftException for an unknown estimator, a negative team size or a budget below 1 */
        public Options build() {
            return new Options(metrics, layers, teamSize, teamMetric, pooling, maxLength, maxBatchTokens);
        }
    }

    private final FeatureCache cache;
    private final Progress progress;
    private final Consumer<String> log;

    /**
     * @param log receives one line per step ("loading bge-small-en ...") for the CLI to show
     */
    public ModelRanker(FeatureCache cache, Progress progress, Consumer<String> log) {
        this.cache = cache;
        this.progress = progress;
        this.log = log;
    }

    public RankReport rank(List<String> models, LabelledTexts data, Options o) {
        return rank(models, List.of(), data, o);
    }

    /**
     * Ranks models and, alongside them, candidates with a source classifier; those also get the LEEP and NCE scores
     * (the metrics {@code leep} and {@code nce}, which plain models lack).
     */
    public RankReport rank(List<String> models, List<ClassifierCandidate> classifiers, LabelledTexts data, Options o) {
        if (models.isEmpty() && classifiers.isEmpty()) {
            throw new GraftException("--models: expected at least one model id or directory");
        }
        if (o.teamSize() > models.size()) {
            throw new GraftException("--team " + o.teamSize() + " needs at least that many models, got " + models.size());
        }
        if (data.numClasses() < 2) {
            throw new GraftException("the data has a single class ('" + data.classNames().get(0) + "'); ranking needs at least 2");
        }
        List<Estimator> estimators = o.metrics().stream().map(Estimators::byName).toList();
        Map<String, Double> seconds = new LinkedHashMap<>();
        o.metrics().forEach(m -> seconds.put(m, 0.0));
        List<RankReport.Candidate> candidates = new ArrayList<>();
        List<double[][]> finalFeatures = new ArrayList<>();
        double extraction = 0;
        for (String id : models) {
            long t0 = System.nanoTime();
            log.accept("features of " + id);
            LayerFeatures f;
            try (EncoderModel m = EncoderModel.load(id)) {
                // one --max-length for models of different sizes: each gets at most its own limit
                Integer maxLength = o.maxLength() == null ? null : Math.min(o.maxLength(), m.info().maxPositions());
                EmbedOptions eo = EmbedOptions.defaults(m, o.pooling(), maxLength).withMaxBatchTokens(o.maxBatchTokens());
                f = cache.get(m, data.texts(), eo, o.layers(), progress);
            }
            extraction += (System.nanoTime() - t0) / 1e9;
            double[][] last = LayerFeatures.toDouble(f.last());
            finalFeatures.add(last);
            Map<String, Double> finalScores = score(estimators, last, data, seconds, id);
            candidates.add(new RankReport.Candidate(id, -1, finalScores));
            if (o.layers()) {
                int lastLayer = f.layers().size() - 1;
                for (int l = 0; l < lastLayer; l++) {
                    candidates.add(new RankReport.Candidate(id, l, score(estimators, LayerFeatures.toDouble(f.layer(l)), data,
                            seconds, id + " @ layer " + l)));
                }
                // the final representation is the last layer's features: its scores are already computed
                candidates.add(new RankReport.Candidate(id, lastLayer, finalScores));
            }
        }
        for (ClassifierCandidate c : classifiers) {
            long t0 = System.nanoTime();
            log.accept("features and predictions of " + c.label());
            double[][] features = LayerFeatures.toDouble(c.features(data.texts()));
            float[][] probs = c.sourceProbabilities(data.texts());
            extraction += (System.nanoTime() - t0) / 1e9;
            Map<String, Double> scores = score(estimators, features, data, seconds, c.label());
            long t1 = System.nanoTime();
            scores.put(Leep.NAME, Leep.score(LayerFeatures.toDouble(probs), data.labels(), data.numClasses()));
            seconds.merge(Leep.NAME, (System.nanoTime() - t1) / 1e9, Double::sum);
            long t2 = System.nanoTime();
            int[] argmax = new int[probs.length];
            for (int i = 0; i < probs.length; i++) {
                for (int z = 1; z < probs[i].length; z++) {
                    if (probs[i][z] > probs[i][argmax[i]]) {
                        argmax[i] = z;
                    }
                }
            }
            scores.put(Nce.NAME, Nce.score(argmax, data.labels(), data.numClasses()));
            seconds.merge(Nce.NAME, (System.nanoTime() - t2) / 1e9, Double::sum);
            candidates.add(new RankReport.Candidate(c.label(), -1, scores));
        }
        List<String> metricNames = new ArrayList<>(o.metrics());
        if (!classifiers.isEmpty()) {
            metricNames.add(Leep.NAME);
            metricNames.add(Nce.NAME);
        }
        TeamSelection.Result team = null;
        if (o.teamSize() > 0) {
            if (!classifiers.isEmpty()) {
                throw new GraftException("--team chooses among models; leave out --adapters");
            }
            long t0 = System.nanoTime();
            team = TeamSelection.greedy(finalFeatures, data.labels(), data.numClasses(), Estimators.byName(o.teamMetric()), o.teamSize());
            seconds.merge(o.teamMetric(), (System.nanoTime() - t0) / 1e9, Double::sum);
        }
        return new RankReport(data.size(), data.numClasses(), metricNames, candidates, team, o.teamSize() > 0 ? o.teamMetric() : null,
                extraction, seconds);
    }

    private static Map<String, Double> score(List<Estimator> estimators, double[][] features, LabelledTexts data,
                                             Map<String, Double> seconds, String candidate) {
        Map<String, Double> scores = new LinkedHashMap<>();
        for (Estimator e : estimators) {
            long t0 = System.nanoTime();
            try {
                scores.put(e.name(), e.score(features, data.labels(), data.numClasses()));
            } catch (GraftException ex) {
                throw new GraftException(candidate + ", " + e.name() + ": " + ex.getMessage(), ex);
            }
            seconds.merge(e.name(), (System.nanoTime() - t0) / 1e9, Double::sum);
        }
        return scores;
    }
}

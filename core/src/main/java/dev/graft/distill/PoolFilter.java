package dev.graft.distill;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.GraftException;
import dev.graft.io.AtomicFiles;
import dev.graft.model.EmbedOptions;
import dev.graft.model.Embedder;
import dev.graft.model.EncoderModel;
import dev.graft.runtime.Progress;
import dev.graft.text.TokenBudgetBatcher;
import dev.graft.train.Example;
import dev.graft.train.TaskModel;
import dev.graft.tune.BinaryProbe;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * Picks, from a large pool of unrelated text, the texts that look like a task's few seed examples: Trans-LoRA's
 * discriminator filter, for distilling when the task's own data is gone.
 *
 * <p>Trans-LoRA (Wang et al. 2024, {@link #REFERENCE}) transfers a LoRA adapter to a new base model without the
 * original training data: a teacher (the old base with its adapter) labels synthetic inputs, and a discriminator —
 * trained to tell the few real seed examples from synthetic ones — keeps only the inputs that resemble the task's
 * distribution. The paper's discriminator is itself a fine-tuned LoRA model over generated text; Graft's variant filters
 * an existing unlabelled pool (any text file) with a far cheaper discriminator on frozen features:
 * <ol>
 *   <li>embed seeds and pool with a frozen encoder ({@link Embedder}: the model's pooling, token-budget batches);</li>
 *   <li>train a class-balanced L2-regularised logistic regression, seeds positive and pool negative, on standardised
 *       features ({@link BinaryProbe}: the probe of {@code graft tune}); class balance matters because the seeds are a
 *       few dozen against thousands. The L2 strength is fixed at {@link #DEFAULT_LAMBDA} unless {@link #lambdas}
 *       asks for cross-validation (see there for why);</li>
 *   <li>score the pool out of fold: the pool is dealt to {@value #DEFAULT_FOLDS} folds (pool index mod F) and each fold
 *       is scored by a classifier trained on the seeds and the other folds. A pool text the classifier trained on as a
 *       negative has its score pulled towards that label, the more the more it stands out (an in-distribution text in
 *       a pool of unrelated ones, the kind wanted), so its score would measure the fit rather than the text. Held out,
 *       each score is an honest estimate, and a threshold on it means what it says. (On this class's small test pool
 *       the kept set was the same either way at the default λ: a strong penalty keeps any one text's pull small.);</li>
 *   <li>keep the {@code keep} highest-scoring pool texts (ties to the earlier pool text), optionally only those whose
 *       score reaches a threshold.</li>
 * </ol>
 * The score is P(seed | text) under class balance: 0.5 means "as seed-like as pool-like". In-distribution pool texts are
 * labelled negative during training too (the pool is unlabelled, not known to be unrelated), so their scores are
 * pulled down, but less than those of unrelated texts: the ranking, not the absolute value, is what to trust.
 *
 * <pre>{@code
 * List<Example> seeds = ExampleFiles.reader().readUnlabelled(Path.of("seeds.txt"));
 * List<Example> pool = ExampleFiles.reader().readUnlabelled(Path.of("pool.txt"));
 * PoolFilter.Report r = PoolFilter.select(encoder, seeds, pool, 5000, progress);
 * log(r.summary());
 * List<Example> unlabeled = r.examples();   // for the teacher to label
 * }</pre>
 *
 * Deterministic: the same inputs give the same kept texts and scores. Cost, past embedding: 5 logistic fits per λ
 * tried to cross-validate (on at most 10,000 texts), then one per fold, and about (2 + folds) × n × H doubles of memory
 * at the peak for n texts of H features: 20,000 pool texts at H = 384 took about 430 MB and 11 s (2 shared cores).
 */
public final class PoolFilter {
    /** The paper. */
    public static final String REFERENCE = "Wang et al., Trans-LoRA: towards data-free Transferable Parameter Efficient "
            + "Finetuning, NeurIPS 2024; https://arxiv.org/abs/2405.17258";
    /** Cross-fitting folds over the pool. */
    public static final int DEFAULT_FOLDS = 5;
    /**
     * The default L2 strength λ (penalty λ/2 ‖W‖² on standardised weights, added to the class-weighted mean log loss):
     * strong on purpose. With a few dozen seeds against hundreds of feature dimensions, a weakly penalised classifier
     * fits what sets the particular seeds apart; as λ grows its direction tends to the class-balanced difference of the
     * seeds' and the pool's mean standardised features — a centroid classifier, resting on the one statistic a few
     * seeds estimate well. Measured on this class's test pool (20 cooking and 20 networking/programming sentences,
     * all-minilm-l6-v2; 3 shuffles × 3, 5 and 10 seeds, keeping 20): λ ≥ 100 kept only cooking texts in all nine
     * cases, λ ≤ 1 kept 85–95% cooking texts; cross-validation by held-out AUC was no help at that size (one or two held-out seeds per fold)
     * and once chose λ = 1e-4. At 100 the scores still spread enough (about 0.39–0.53 there) to rank and threshold; at
     * 1000 they all sit within 0.01 of 0.5.
     */
    public static final double DEFAULT_LAMBDA = 100;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Examples a task model embeds per call, between progress reports. */
    private static final int EMBED_CHUNK = 1024;

    private final double threshold;
    private final int folds;
    private final double[] lambdas;

    private PoolFilter(double threshold, int folds, double[] lambdas) {
        this.threshold = threshold;
        this.folds = folds;
        this.lambdas = lambdas;
    }

    /**
     * No threshold (keep the top {@code keep} whatever their scores), {@value #DEFAULT_FOLDS} folds, λ fixed at
     * {@value #DEFAULT_LAMBDA}.
     */
    public static PoolFilter defaults() {
        return new PoolFilter(0, DEFAULT_FOLDS, new double[] {DEFAULT_LAMBDA});
    }

    /**
     * This filter with its own L2 strengths: one value fixes λ; several let cross-validation choose by held-out AUC of
     * seeds against pool (worth it with hundreds of seeds; with a few dozen see {@link #DEFAULT_LAMBDA}).
     *
     * @param grid non-negative λ values, in any order
     */
    public PoolFilter lambdas(double... grid) {
        if (grid.length == 0 || Arrays.stream(grid).anyMatch(v -> !(v >= 0) || Double.isInfinite(v))) {
            throw new GraftException("pool filter: λ values must be finite and non-negative, and at least one, got "
                    + Arrays.toString(grid));
        }
        double[] strongestFirst = Arrays.stream(grid).boxed().sorted(Comparator.reverseOrder())
                .mapToDouble(Double::doubleValue).toArray();
        return new PoolFilter(threshold, folds, strongestFirst);
    }

    /**
     * This filter keeping only pool texts whose score is at least {@code minScore} (fewer than {@code keep} may pass).
     *
     * For a threshold alone, pass {@code keep} = {@link Integer#MAX_VALUE}.
     *
     * @param minScore in [0, 1]; 0 keeps the top {@code keep} whatever their scores, 0.5 only texts judged more
     *                 seed-like than pool-like. The default strong penalty ({@link #DEFAULT_LAMBDA}) keeps scores
     *                 near 0.5 (closer the fewer the feature dimensions), so thresholds above 0.5 say little: rank
     *                 by {@code keep}, and use 0.5 to drop what leans pool-like
     */
    public PoolFilter threshold(double minScore) {
        if (!(minScore >= 0 && minScore <= 1)) {
            throw new GraftException("pool filter: threshold must be a probability in [0, 1], got " + minScore);
        }
        return new PoolFilter(minScore, folds, lambdas);
    }

    /** This filter with {@code f} cross-fitting folds over the pool (at least 2; more folds, more fits). */
    public PoolFilter folds(int f) {
        if (f < 2) {
            throw new GraftException("pool filter: folds must be at least 2, got " + f);
        }
        return new PoolFilter(threshold, f, lambdas);
    }

    /**
     * Keeps the {@code keep} pool texts most like the seeds, with the defaults ({@link #defaults()}) and the encoder's
     * own embedding options ({@link EmbedOptions#defaults(EncoderModel)}).
     *
     * @see #filter(EncoderModel, EmbedOptions, List, List, int, Progress)
     */
    public static Report select(EncoderModel encoder, List<Example> seeds, List<Example> pool, int keep,
                                Progress progress) {
        return defaults().filter(encoder, null, seeds, pool, keep, progress);
    }

    /**
     * Embeds seeds and pool with the frozen {@code encoder} and keeps the {@code keep} pool texts most like the seeds.
     * Only each example's {@link Example#text() text} is read (a pair's second text is not).
     *
     * @param options  pooling, max length and batching of the embedding; null for the encoder's defaults
     *                 ({@link EmbedOptions#defaults(EncoderModel)})
     * @param seeds    a few examples of the task (a few dozen to hundreds), at least one
     * @param pool     the unlabelled texts to choose from, at least 2 (thousands or more)
     * @param keep     the most pool texts to keep, positive; more than the pool keeps all of it (in score order)
     * @param progress receives the embedding phase (texts) and the fitting phase (folds + 1, see
     *                 {@link BinaryProbe#crossFit(float[][], boolean[], int[], int, double[], Progress)}); may be null
     */
    public Report filter(EncoderModel encoder, EmbedOptions options, List<Example> seeds, List<Example> pool, int keep,
                         Progress progress) {
        validate(seeds, pool, keep);
        Progress bar = progress == null ? Progress.NONE : progress;
        List<String> texts = new ArrayList<>(seeds.size() + pool.size());
        seeds.forEach(e -> texts.add(e.text()));
        pool.forEach(e -> texts.add(e.text()));
        EmbedOptions how = options != null ? options : EmbedOptions.defaults(encoder);
        float[][] features = new Embedder(encoder, how).embed(texts, bar);
        return filter(Arrays.copyOfRange(features, 0, seeds.size()),
                Arrays.copyOfRange(features, seeds.size(), features.length), seeds.size(), pool, keep, bar);
    }

    /**
     * As {@link #filter(EncoderModel, EmbedOptions, List, List, int, Progress)} on the features a task model's head reads
     * (its adapted encoder's pooled output, {@link TaskModel#embed}, at the model's max length; a pair's two texts are
     * both read): e.g. a distillation teacher's own view of the texts.
     *
     * @param batchSize the most examples per forward pass (the default token budget also applies)
     */
    public Report filter(TaskModel model, int batchSize, List<Example> seeds, List<Example> pool, int keep,
                         Progress progress) {
        validate(seeds, pool, keep);
        if (batchSize <= 0) {
            throw new GraftException("pool filter: batch size must be positive, got " + batchSize);
        }
        Progress bar = progress == null ? Progress.NONE : progress;
        List<Example> all = new ArrayList<>(seeds.size() + pool.size());
        all.addAll(seeds);
        all.addAll(pool);
        float[][] features = new float[all.size()][];
        TokenBudgetBatcher batcher = TokenBudgetBatcher.withBatchSize(batchSize);
        bar.start("embedding", all.size());
        // in chunks so the bar moves; each chunk is still sorted by length and batched by the token budget
        for (int start = 0; start < all.size(); start += EMBED_CHUNK) {
            int end = Math.min(all.size(), start + EMBED_CHUNK);
            float[][] part = model.embed(all.subList(start, end), model.maxLength(), batcher);
            System.arraycopy(part, 0, features, start, part.length);
            bar.advance(end - start);
        }
        bar.finish();
        return filter(Arrays.copyOfRange(features, 0, seeds.size()),
                Arrays.copyOfRange(features, seeds.size(), features.length), seeds.size(), pool, keep, bar);
    }

    /**
     * As {@link #filter(EncoderModel, EmbedOptions, List, List, int, Progress)} on features already computed (e.g. by
     * {@code TaskModel.embed} or read from {@code graft features}).
     *
     * @param seedFeatures frozen features of the seeds [seeds, H]
     * @param poolFeatures frozen features of the pool [pool.size(), H], row i for pool text i
     */
    public Report filter(float[][] seedFeatures, float[][] poolFeatures, List<Example> pool, int keep, Progress progress) {
        if (seedFeatures.length == 0) {
            throw new GraftException("pool filter: no seed features; expected at least one seed");
        }
        return filter(seedFeatures, poolFeatures, seedFeatures.length, pool, keep,
                progress == null ? Progress.NONE : progress);
    }

    private Report filter(float[][] seedFeatures, float[][] poolFeatures, int seedCount, List<Example> pool, int keep,
                          Progress progress) {
        validate(seedCount, pool, keep);
        if (poolFeatures.length != pool.size()) {
            throw new GraftException("pool filter: " + poolFeatures.length + " pool feature rows for " + pool.size()
                    + " pool texts; expected one row per text");
        }
        int s = seedFeatures.length;
        int h = seedFeatures[0].length;
        for (int i = 0; i < s; i++) {
            if (seedFeatures[i].length != h) {
                throw new GraftException("pool filter: seed feature row " + i + " has " + seedFeatures[i].length
                        + " values; expected " + h + " like row 0");
            }
        }
        for (int i = 0; i < poolFeatures.length; i++) {
            if (poolFeatures[i].length != h) {
                throw new GraftException("pool filter: pool feature row " + i + " has " + poolFeatures[i].length
                        + " values; expected " + h + " like the seeds'");
            }
        }
        int n = s + poolFeatures.length;
        int f = Math.min(folds, pool.size());
        float[][] x = new float[n][];
        boolean[] positive = new boolean[n];
        int[] fold = new int[n];
        for (int i = 0; i < s; i++) {
            x[i] = seedFeatures[i];
            positive[i] = true;
            fold[i] = -1; // seeds are few: every classifier trains on all of them, and none is scored
        }
        for (int i = 0; i < poolFeatures.length; i++) {
            x[s + i] = poolFeatures[i];
            fold[s + i] = i % f;
        }
        BinaryProbe.OutOfFold scored = BinaryProbe.crossFit(x, positive, fold, f, lambdas, progress);
        double[] scores = Arrays.copyOfRange(scored.probabilities(), s, n);
        int[] order = rank(scores, keep, threshold);
        List<Kept> kept = new ArrayList<>(order.length);
        for (int i : order) {
            kept.add(new Kept(pool.get(i), scores[i], i));
        }
        int atLeastHalf = (int) Arrays.stream(scores).filter(v -> v >= 0.5).count();
        return new Report(List.copyOf(kept), s, pool.size(), atLeastHalf, threshold, f, scored.lambda(),
                scored.cvAuc());
    }

    /**
     * The indices of at most {@code keep} scores at least {@code threshold}, highest first; equal scores in index order.
     */
    static int[] rank(double[] scores, int keep, double threshold) {
        return IntStream.range(0, scores.length).boxed()
                .filter(i -> scores[i] >= threshold)
                .sorted(Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparingInt(i -> i))
                .limit(keep)
                .mapToInt(Integer::intValue).toArray();
    }

    private static void validate(List<Example> seeds, List<Example> pool, int keep) {
        if (seeds == null || seeds.isEmpty()) {
            throw new GraftException("pool filter: no seed texts (--seeds); expected at least one example of the task");
        }
        for (int i = 0; i < seeds.size(); i++) {
            if (seeds.get(i) == null || seeds.get(i).text() == null) {
                throw new GraftException("pool filter: seed " + i + " has no text");
            }
        }
        validate(seeds.size(), pool, keep);
        for (int i = 0; i < pool.size(); i++) {
            if (pool.get(i) == null || pool.get(i).text() == null) {
                throw new GraftException("pool filter: pool text " + i + " has no text");
            }
        }
    }

    private static void validate(int seeds, List<Example> pool, int keep) {
        if (seeds == 0) {
            throw new GraftException("pool filter: no seed texts (--seeds); expected at least one example of the task");
        }
        if (pool == null || pool.size() < 2) {
            throw new GraftException("pool filter: the pool (--filter-pool) has " + (pool == null ? 0 : pool.size())
                    + " texts; expected at least 2 to choose from");
        }
        if (keep <= 0) {
            throw new GraftException("pool filter: --keep must be positive, got " + keep);
        }
    }

    /**
     * One kept pool text.
     *
     * @param example the pool's example (its {@link Example#source() source} is "file:line")
     * @param score   its out-of-fold P(seed) in [0, 1]
     * @param index   its position in the pool list
     */
    public record Kept(Example example, double score, int index) {
        /** Where the text came from, "file:line". */
        public String source() {
            return example.source();
        }
    }

    /**
     * What the filter kept, and how.
     *
     * @param kept        the kept pool texts, highest score first (equal scores in pool order)
     * @param seeds       the number of seed texts
     * @param pool        the number of pool texts scored
     * @param atLeastHalf how many pool texts scored at least 0.5 (kept or not)
     * @param threshold   the minimum score a kept text needed (0: none)
     * @param folds       the cross-fitting folds over the pool
     * @param lambda      the classifier's L2 strength (fixed, or chosen by cross-validation: see {@link PoolFilter#lambdas})
     * @param cvAuc       the classifier's held-out AUC at that λ, seeds against pool (NaN when too few texts to
     *                    cross-validate): the chance a held-out seed outscores a pool text. In-distribution pool texts
     *                    pull it towards 0.5, so a pool rich in them scores low; near 0.5 for a pool without them
     *                    means the encoder cannot tell the seeds from the pool
     */
    public record Report(List<Kept> kept, int seeds, int pool, int atLeastHalf, double threshold, int folds,
                         double lambda, double cvAuc) {
        /** The kept examples, highest score first: the unlabelled inputs for distillation. */
        public List<Example> examples() {
            return kept.stream().map(Kept::example).toList();
        }

        /**
         * Writes the kept texts as JSON lines, highest score first: {@code {"text": ..., "text_pair": ... (pairs only),
         * "score": 0.53, "source": "pool.txt:812"}} — a file {@link dev.graft.train.ExampleFiles.Reader#readUnlabelled}
         * reads back as unlabelled input. Replaces {@code file} atomically.
         *
         * @throws GraftException naming the file when it cannot be written
         */
        public void writeJsonl(Path file) {
            try {
                AtomicFiles.write(file, channel -> {
                    OutputStream out = Channels.newOutputStream(channel);
                    try (JsonGenerator json = JSON.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
                        json.configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false); // the channel is forced after
                        json.setRootValueSeparator(null);
                        for (Kept k : kept) {
                            json.writeStartObject();
                            json.writeStringField("text", k.example().text());
                            if (k.example().pair() != null) {
                                json.writeStringField("text_pair", k.example().pair());
                            }
                            json.writeNumberField("score", k.score());
                            json.writeStringField("source", k.source());
                            json.writeEndObject();
                            json.writeRaw('\n');
                        }
                    }
                });
            } catch (IOException e) {
                throw new GraftException(file + ": cannot write the kept pool texts (" + e + ")", e);
            }
        }

        /** The lowest kept score (NaN when none was kept). */
        public double minKept() {
            return kept.isEmpty() ? Double.NaN : kept.get(kept.size() - 1).score();
        }

        /** The median kept score (the mean of the middle two for an even count; NaN when none was kept). */
        public double medianKept() {
            int k = kept.size();
            if (k == 0) {
                return Double.NaN;
            }
            // kept is sorted descending
            return k % 2 == 1 ? kept.get(k / 2).score() : (kept.get(k / 2 - 1).score() + kept.get(k / 2).score()) / 2;
        }

        /** The highest kept score (NaN when none was kept). */
        public double maxKept() {
            return kept.isEmpty() ? Double.NaN : kept.get(0).score();
        }

        /**
         * One line for the CLI, e.g. {@code pool filter: kept 500 of 20000 pool texts (40 seeds); 812 scored >= 0.5;
         * kept scores min 0.513 median 0.541 max 0.602; lambda 100.0, 5-fold cross-fitting; held-out AUC 0.688}.
         */
        public String summary() {
            String scores = kept.isEmpty() ? "none kept"
                    : String.format(Locale.ROOT, "kept scores min %.3f median %.3f max %.3f", minKept(), medianKept(),
                    maxKept());
            return String.format(Locale.ROOT, "pool filter: kept %d of %d pool texts (%d seeds)%s; %d scored >= 0.5; %s;"
                            + " lambda %s, %d-fold cross-fitting%s", kept.size(), pool, seeds,
                    threshold > 0 ? String.format(Locale.ROOT, " with score >= %s", threshold) : "", atLeastHalf, scores,
                    lambda, folds, Double.isNaN(cvAuc) ? "" : String.format(Locale.ROOT, "; held-out AUC %.3f", cvAuc));
        }
    }
}

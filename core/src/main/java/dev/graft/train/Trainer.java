package dev.graft.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.model.TokenBatch;
import dev.graft.runtime.Engines;
import dev.graft.runtime.Progress;
import dev.graft.text.TokenizedText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The training loop: shuffled batches, forward with the PEFT method attached, loss, backward into the trainable
 * parameters only, global-norm clipping, AdamW with a warm-up schedule, gradient accumulation, periodic evaluation,
 * early stopping, best-checkpoint selection, and resumable checkpoints. It makes the {@link Budget}'s updates, which
 * may end mid-epoch; the schedule spans exactly them, and the last update is always evaluated.
 *
 * <p>Reproducibility: the data order of epoch e depends only on (seed, e), and dropout is re-seeded from
 * (seed, update) before every forward pass, so a run resumed from a checkpoint makes exactly the updates an
 * uninterrupted run makes.
 *
 * <p>Memory: every batch's arrays live in a sub-manager closed after the step, gradient handles are closed, and the
 * optimizer updates in place, so native memory stays flat after the first steps.
 *
 * <p>Testing hook: with the system property {@value #HALT_AFTER_UPDATE} set to N, the JVM halts
 * ({@link Runtime#halt(int)}, exit code {@value #HALT_EXIT_CODE}: no shutdown hooks, no cleanup, as a kill) right
 * after the checkpoint of update N is written, and before anything else is. Tests use it to interrupt a run at a
 * known point instead of racing a kill against the clock; it is not for production use.
 */
public final class Trainer {
    /** System property naming the update after whose checkpoint the JVM halts (testing only). */
    public static final String HALT_AFTER_UPDATE = "graft.test.haltAfterUpdate";
    /** Exit code of a JVM halted by {@link #HALT_AFTER_UPDATE}. */
    public static final int HALT_EXIT_CODE = 86;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TaskModel model;
    private final TrainingConfig config;
    private final Path runDir;
    private final Progress progress;
    private Double startLoss;
    private Distillation distillation;

    /**
     * @param model    the model to train (its {@link TaskModel#trainable()} parameters change)
     * @param config   the run's settings
     * @param runDir   where checkpoints ({@code checkpoint/}, {@code best/}), {@code metrics.jsonl} and
     *                 {@code training.png} go; null to keep nothing on disk
     * @param progress receives progress (steps) and a status line
     */
    public Trainer(TaskModel model, TrainingConfig config, Path runDir, Progress progress) {
        this.model = model;
        this.config = config;
        // what it trains at is what it is saved with and served at; 0 keeps the model's default (capped at its
        // positions), and a larger explicit value than the positions fails here, before any training
        if (config.maxLength() > 0) {
            model.maxLength(config.maxLength());
        }
        this.runDir = runDir;
        this.progress = progress == null ? Progress.NONE : progress;
    }

    /**
     * Declares that the model starts fitted (a linear-probe head, say) with this mean training loss (NaN when unknown:
     * an adapter trained before): a fresh run with evaluation data evaluates it as update 0, so the best-checkpoint
     * selection keeps it unless training beats it.
     */
    public Trainer startsFitted(double trainLoss) {
        this.startLoss = trainLoss;
        return this;
    }

    /**
     * Learns from another model's outputs ({@link Distillation}) instead of (or besides) the labels: every training
     * example needs a target there; for embedding targets the examples need no pair, and the held-out ones are
     * scored by their cosine to the teacher.
     */
    public Trainer distilling(Distillation d) {
        this.distillation = d;
        return this;
    }

    /**
     * Trains.
     *
     * @param train  training examples
     * @param eval   evaluation examples (may be empty: then the last parameters are kept)
     * @param resume continue from {@code runDir/checkpoint} if it exists
     */
    public TrainingResult train(List<Example> train, List<Example> eval, boolean resume) {
        if (train.isEmpty()) {
            throw new GraftException("the training data is empty");
        }
        Task task = model.task();
        if (model.trainable().isEmpty()) {
            throw new GraftException("nothing to train: method '" + model.method().name() + "' has no parameters of its own"
                    + " and the task '" + task.cliName() + "' has no head");
        }
        if (distillation != null && distillation.embeddings() != (task == Task.RETRIEVAL)) {
            throw new GraftException("embedding distillation needs a retrieval model, class distillation a classifier; got "
                    + task.cliName());
        }
        if (distillation != null && task != Task.CLASSIFICATION && task != Task.RETRIEVAL) {
            throw new GraftException("distillation supports classification and embeddings, not " + task.cliName());
        }
        if (task == Task.RETRIEVAL && distillation == null) {
            for (Example e : train) {
                if (e.pair() == null || e.pair().isBlank()) {
                    throw new GraftException(e.source() + ": retrieval training needs a positive passage in the pair column");
                }
            }
            if (config.batchSize() < 2) {
                throw new GraftException("retrieval training needs --batch-size of at least 2 (in-batch negatives)");
            }
        }
        Targets targets = Targets.of(model.labels(), train);
        float[] classWeights = config.classWeights() && task == Task.CLASSIFICATION ? targets.inverseFrequency() : null;
        for (Example e : eval) {
            Targets.checkLabel(model.labels(), e); // a label only seen at evaluation fails now, not after training
        }
        List<TokenizedText> tokens = model.tokenize(train, model.maxLength());
        List<TokenizedText> pairTokens = task == Task.RETRIEVAL && distillation == null ? pairTokens(train) : null;

        Map<String, Parameter> params = model.trainable();
        params.values().forEach(p -> p.getArray().setRequiresGradient(true));
        int batchesPerEpoch = (train.size() + config.batchSize() - 1) / config.batchSize();
        Budget budget = Budget.of(config, train.size());
        long totalUpdates = budget.updates();
        LearningRateSchedule schedule = new LearningRateSchedule(config.schedule(), config.learningRate(),
                Math.round(totalUpdates * config.warmupRatio()), totalUpdates);
        String selection = selectionMetric();
        Engine engine = Engines.pytorch();

        long haltAfterUpdate = Long.getLong(HALT_AFTER_UPDATE, -1);
        RunState state = new RunState();
        List<Map<String, Object>> history = new ArrayList<>();
        try (AdamW optimizer = new AdamW(model.manager(), 0.9, 0.999, 1e-8, config.weightDecay())) {
            Checkpoints checkpoints = runDir == null ? null : new Checkpoints(runDir);
            if (resume) {
                if (checkpoints == null || !checkpoints.hasCheckpoint()) {
                    throw new GraftException("--resume: no checkpoint in " + (runDir == null ? "(no output folder)"
                            : runDir.resolve("checkpoint")) + "; start without --resume");
                }
                state = checkpoints.restore(params, optimizer, config);
                history.addAll(state.history);
            }
            if (startLoss != null && !resume && !eval.isEmpty()) {
                Map<String, Object> record = startRecord(eval);
                state.bestValue = selected(record, selection);
                state.bestStep = 0;
                if (checkpoints != null) {
                    checkpoints.saveBest(params);
                    checkpoints.appendMetrics(record);
                } else {
                    state.bestInMemory = snapshot(params);
                }
                history.add(record);
                state.history = history;
            }
            progress.start("training", totalUpdates);
            progress.advance(state.updates);
            long started = System.nanoTime();
            long examplesSeen = 0;
            long tokensSeen = 0;
            double lossSum = 0;
            int lossCount = 0;
            // the budget may end mid-epoch; each epoch's order depends only on (seed, epoch), so resuming repeats it
            for (int epoch = state.epoch; state.updates < totalUpdates && !state.stopped; epoch++) {
                List<Integer> order = epochOrder(train.size(), epoch);
                int firstBatch = epoch == state.epoch ? state.batchInEpoch : 0;
                for (int b = firstBatch; b < batchesPerEpoch && state.updates < totalUpdates && !state.stopped; b++) {
                    List<Integer> idx = order.subList(b * config.batchSize(), Math.min(order.size(), (b + 1) * config.batchSize()));
                    // Dropout depends only on (seed, update, micro-batch): resumed runs repeat it exactly.
                    engine.setRandomSeed((int) (config.seed() * 1_000_003L + state.updates * 131L + b));
                    double loss = forwardBackward(idx, train, tokens, pairTokens, targets, classWeights);
                    if (!Double.isFinite(loss)) {
                        throw nonFinite("loss", state.updates, checkpoints);
                    }
                    lossSum += loss;
                    lossCount++;
                    examplesSeen += idx.size();
                    for (int i : idx) {
                        tokensSeen += tokens.get(i).length() + (pairTokens == null ? 0 : pairTokens.get(i).length());
                    }
                    boolean lastInEpoch = b == batchesPerEpoch - 1;
                    if ((b + 1) % config.accumulation() != 0 && !lastInEpoch) {
                        continue;
                    }
                    double lr = schedule.at(state.updates);
                    double norm = update(params, optimizer, lr);
                    if (!Double.isFinite(norm)) {
                        throw nonFinite("gradient norm", state.updates, checkpoints);
                    }
                    state.updates++;
                    state.epoch = epoch;
                    state.batchInEpoch = b + 1;
                    double seconds = (System.nanoTime() - started) / 1e9;
                    progress.advance(1);
                    progress.message(String.format("loss %.4f lr %.2e %.1f ex/s", lossSum / lossCount, lr,
                            examplesSeen / Math.max(seconds, 1e-9)));
                    // the last update is always evaluated, so the end of the budget competes for the best checkpoint
                    boolean evalNow = state.updates == totalUpdates
                            || (budget.evalEvery() > 0 ? state.updates % budget.evalEvery() == 0 : lastInEpoch);
                    if (evalNow) {
                        Map<String, Object> record = new LinkedHashMap<>();
                        record.put("step", state.updates);
                        record.put("epoch", epoch + (b + 1) / (double) batchesPerEpoch);
                        record.put("loss", lossSum / lossCount);
                        record.put("lr", lr);
                        record.put("grad_norm", norm);
                        record.put("examples_per_s", examplesSeen / Math.max(seconds, 1e-9));
                        lossSum = 0;
                        lossCount = 0;
                        if (!eval.isEmpty()) {
                            record.put("eval", evaluate(eval));
                            double value = selected(record, selection);
                            if (value > state.bestValue || state.bestStep < 0) {
                                state.bestValue = value;
                                state.bestStep = state.updates;
                                state.sinceBest = 0;
                                if (checkpoints != null) {
                                    checkpoints.saveBest(params);
                                } else {
                                    state.bestInMemory = snapshot(params);
                                }
                            } else if (budget.patience() > 0 && ++state.sinceBest >= budget.patience()) {
                                state.stopped = true;
                                record.put("early_stop", true);
                            }
                        }
                        history.add(record);
                        state.history = history;
                        if (checkpoints != null) {
                            if (lastInEpoch) {
                                state.epoch = epoch + 1;
                                state.batchInEpoch = 0;
                            }
                            checkpoints.save(params, optimizer, state);
                            if (state.updates == haltAfterUpdate) {
                                Runtime.getRuntime().halt(HALT_EXIT_CODE); // metrics.jsonl not yet appended: the worst moment
                            }
                            checkpoints.appendMetrics(record);
                        }
                    }
                }
                state.epoch = epoch + 1;
                state.batchInEpoch = 0;
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            progress.finish();
            if (!eval.isEmpty() && state.bestStep >= 0) {
                if (checkpoints != null) {
                    checkpoints.restoreBest(params);
                } else if (state.bestInMemory != null) {
                    restore(params, state.bestInMemory);
                }
            }
            params.values().forEach(p -> p.getArray().setRequiresGradient(false));
            Map<String, Double> finalMetrics = eval.isEmpty() ? Map.of() : evaluate(eval);
            if (checkpoints != null) {
                checkpoints.plot(history, selection);
            }
            return new TrainingResult(finalMetrics, state.bestStep < 0 ? state.updates : state.bestStep, state.updates,
                    seconds, examplesSeen / Math.max(seconds, 1e-9), Collections.unmodifiableList(history),
                    tokensSeen / Math.max(seconds, 1e-9), budget, state.stopped);
        }
    }

    /**
     * No updates: evaluates the model as it is (a head fitted in closed form, say) and records that as update 0 in
     * {@code metrics.jsonl} and {@code training.png}, as {@link #train} records its evaluations.
     *
     * @param train     the training examples (only counted, for the budget the result reports: none of it used)
     * @param eval      evaluation examples (may be empty: then no metrics)
     * @param trainLoss the model's mean training loss, computed by whoever fitted it, for the record and plot
     */
    public TrainingResult evaluateOnly(List<Example> train, List<Example> eval, double trainLoss) {
        long started = System.nanoTime();
        startsFitted(trainLoss);
        Map<String, Object> record = startRecord(eval);
        List<Map<String, Object>> history = List.of(record);
        if (runDir != null) {
            Checkpoints checkpoints = new Checkpoints(runDir);
            checkpoints.appendMetrics(record);
            checkpoints.plot(history, selectionMetric());
        }
        @SuppressWarnings("unchecked")
        Map<String, Double> metrics = (Map<String, Double>) record.getOrDefault("eval", Map.of());
        Budget planned = Budget.of(config, train.size());
        Budget none = new Budget(0, planned.updatesPerEpoch(), 0, 0, planned.rule());
        return new TrainingResult(metrics, 0, 0, (System.nanoTime() - started) / 1e9, 0, history, 0, none, false);
    }

    /** The update-0 record of a model that starts fitted: its training loss and, with eval data, its metrics. */
    private Map<String, Object> startRecord(List<Example> eval) {
        for (Example e : eval) {
            Targets.checkLabel(model.labels(), e);
        }
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("step", 0);
        record.put("epoch", 0.0);
        if (!Double.isNaN(startLoss)) {
            record.put("loss", startLoss); // NaN: a model that starts trained, whose training loss nobody computed
        }
        if (!eval.isEmpty()) {
            record.put("eval", evaluate(eval));
        }
        return record;
    }

    /** The model's metrics on the evaluation examples (for embedding distillation: its agreement with the teacher). */
    private Map<String, Double> evaluate(List<Example> eval) {
        return distillation != null && distillation.embeddings()
                ? distillation.evaluate(model, eval, model.maxLength(), config.batchSize() * 2)
                : Evaluator.evaluate(model, eval, model.maxLength(), config.batchSize() * 2);
    }

    private String selectionMetric() {
        if (config.selectionMetric() != null) {
            return config.selectionMetric();
        }
        return distillation != null ? distillation.selectionMetric(model.task()) : Evaluator.defaultMetric(model.task());
    }

    /** The selection metric's value in an evaluation record. */
    private double selected(Map<String, Object> record, String selection) {
        Map<?, ?> metrics = (Map<?, ?>) record.get("eval");
        if (!(metrics.get(selection) instanceof Double value)) {
            throw new GraftException("selection metric '" + selection + "' is not computed for "
                    + model.task().cliName() + "; available: " + metrics.keySet());
        }
        return value;
    }

    private List<TokenizedText> pairTokens(List<Example> train) {
        List<String> pairs = new ArrayList<>();
        for (Example e : train) {
            pairs.add(e.pair());
        }
        return model.base().tokenizer().encodeAll(pairs, model.maxLength());
    }

    /** The shuffled example order of one epoch, a function of (seed, epoch) only. */
    private List<Integer> epochOrder(int n, int epoch) {
        List<Integer> order = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(config.seed() * 7919L + epoch));
        return order;
    }

    /** Forward and backward for one micro-batch; returns its (unscaled) loss. Gradients accumulate in the parameters. */
    private double forwardBackward(List<Integer> idx, List<Example> train, List<TokenizedText> tokens,
                                   List<TokenizedText> pairTokens, Targets targets, float[] classWeights) {
        try (NDManager scope = model.base().manager().newSubManager()) {
            List<TokenizedText> batch = new ArrayList<>(idx.size());
            idx.forEach(i -> batch.add(tokens.get(i)));
            TokenBatch in = TokenBatch.of(batch, scope);
            try (GradientCollector gc = Engines.pytorch().newGradientCollector()) {
                NDArray loss = distillation != null ? distillationLoss(idx, train, in, targets, classWeights)
                        : taskLoss(idx, in, pairTokens, targets, classWeights, scope);
                float value = loss.getFloat();
                if (Float.isFinite(value)) {
                    gc.backward(config.accumulation() == 1 ? loss
                            : loss.div(dev.graft.runtime.Arrays2.scalar(scope, config.accumulation())));
                }
                return value;
            }
        }
    }

    /** The loss toward another model's outputs for one micro-batch. */
    private NDArray distillationLoss(List<Integer> idx, List<Example> train, TokenBatch in, Targets targets,
                                     float[] classWeights) {
        List<Example> examples = new ArrayList<>(idx.size());
        idx.forEach(i -> examples.add(train.get(i)));
        if (distillation.embeddings()) {
            return distillation.loss(model.pooled(in, true), examples, null, null);
        }
        return distillation.loss(model.forward(in, true), examples, targets.classes(idx), classWeights);
    }

    /** The task's own loss against the labels for one micro-batch. */
    private NDArray taskLoss(List<Integer> idx, TokenBatch in, List<TokenizedText> pairTokens, Targets targets,
                             float[] classWeights, NDManager scope) {
        return switch (model.task()) {
            case CLASSIFICATION -> Losses.crossEntropy(model.forward(in, true), targets.classes(idx), classWeights);
            case MULTI_LABEL -> Losses.binaryCrossEntropy(model.forward(in, true), targets.multiHot(idx));
            case REGRESSION -> Losses.meanSquaredError(model.forward(in, true), targets.values(idx));
            case RETRIEVAL -> {
                List<TokenizedText> pos = new ArrayList<>(idx.size());
                idx.forEach(i -> pos.add(pairTokens.get(i)));
                NDArray q = model.pooled(in, true);
                NDArray p = model.pooled(TokenBatch.of(pos, scope), true);
                yield Losses.contrastive(q, p, (float) config.temperature());
            }
        };
    }

    /** Clips the accumulated gradients, applies AdamW, zeroes the gradients; returns the pre-clip global norm. */
    private double update(Map<String, Parameter> params, AdamW optimizer, double lr) {
        try (NDManager scope = model.manager().newSubManager()) {
            Map<String, NDArray> grads = new LinkedHashMap<>();
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                NDArray g = e.getValue().getArray().getGradient();
                g.attach(scope); // the handle (not the gradient storage) is freed with the scope
                grads.put(e.getKey(), g);
            }
            double norm = GradientClipping.clip(grads.values(), config.maxGradNorm());
            if (Double.isFinite(norm)) {
                optimizer.step(params, grads, lr);
            }
            for (NDArray g : grads.values()) {
                g.muli(0f); // PyTorch accumulates into .grad: reset it for the next update
            }
            return norm;
        }
    }

    private DivergedException nonFinite(String what, long update, Checkpoints checkpoints) {
        String kept = checkpoints != null && checkpoints.hasCheckpoint()
                ? "; the last good checkpoint is kept in " + checkpoints.dir() + " (resume with --resume after lowering --lr)"
                : "; no checkpoint was written yet";
        return new DivergedException("training stopped: the " + what + " became NaN or infinite at update " + update
                + " (try a lower --lr or --max-grad-norm 1.0)" + kept);
    }

    static Map<String, float[]> snapshot(Map<String, Parameter> params) {
        Map<String, float[]> s = new LinkedHashMap<>();
        params.forEach((k, p) -> s.put(k, p.getArray().toFloatArray()));
        return s;
    }

    static void restore(Map<String, Parameter> params, Map<String, float[]> values) {
        params.forEach((k, p) -> {
            float[] v = values.get(k);
            if (v == null) {
                throw new GraftException("checkpoint lacks parameter '" + k + "'");
            }
            dev.graft.runtime.Arrays2.assign(p.getArray(), v);
        });
    }

    /** Mutable progress of a run, saved in checkpoints. */
    static final class RunState {
        long updates;
        int epoch;
        int batchInEpoch;
        double bestValue = Double.NEGATIVE_INFINITY;
        long bestStep = -1;
        int sinceBest;
        boolean stopped;
        List<Map<String, Object>> history = new ArrayList<>();
        Map<String, float[]> bestInMemory;

        ObjectNode toJson() {
            ObjectNode n = JSON.createObjectNode();
            n.put("updates", updates).put("epoch", epoch).put("batch_in_epoch", batchInEpoch)
                    .put("best_value", bestValue).put("best_step", bestStep).put("since_best", sinceBest)
                    .put("stopped", stopped);
            n.set("history", JSON.valueToTree(history));
            return n;
        }
    }

    static void writeJson(Path file, Object value) {
        try {
            dev.graft.io.AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(value));
        } catch (IOException e) {
            throw new GraftException(file + ": cannot write (" + e.getMessage() + ")", e);
        }
    }

    static boolean exists(Path p) {
        return Files.exists(p);
    }
}

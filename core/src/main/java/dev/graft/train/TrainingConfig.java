package dev.graft.train;

import dev.graft.GraftException;

/**
 * Everything that shapes a training run. Defaults ({@link #defaults()}) work for LoRA on the small bundled encoders; build one with
 * {@code TrainingConfig.builder().epochs(4).learningRate(1e-3).build()}, change one with {@code c.toBuilder()...build()}.
 * How long it trains is {@link Budget#of}'s rule: {@code updates}, else {@code epochs}, else a budget adapted to the data.
 *
 * @param epochs           exactly this many passes over the training data; 0 = not set
 * @param updates          exactly this many optimizer updates (overrides epochs); 0 = not set
 * @param batchSize        examples per forward pass
 * @param accumulation     forward passes per optimizer update (effective batch = batchSize × accumulation)
 * @param learningRate     peak learning rate
 * @param weightDecay      AdamW decoupled weight decay (not applied to biases and layer norms)
 * @param warmupRatio      fraction of updates spent warming up linearly from 0
 * @param schedule         decay after warm-up
 * @param maxGradNorm      global gradient norm clip (0 = off)
 * @param maxLength        token limit per example; 0 = {@value TaskModel#DEFAULT_MAX_LENGTH} capped at the model's positions
 * @param seed             seeds data order, dropout and initialisation
 * @param evalEvery        evaluate every N updates; 0 = the budget's interval (each epoch for a budget in epochs)
 * @param patience         early stopping after this many evaluations without improvement; 0 = off; -1 = the budget's
 *                         default ({@value Budget#PATIENCE} for an automatic budget, else off)
 * @param classWeights     weight classes by inverse frequency (imbalanced data)
 * @param selectionMetric  metric that picks the best checkpoint (e.g. accuracy, pearson, mrr); null = the task's default
 * @param temperature      contrastive loss temperature (retrieval)
 */
public record TrainingConfig(int epochs, int updates, int batchSize, int accumulation, double learningRate, double weightDecay,
                             double warmupRatio, LearningRateSchedule.Kind schedule, double maxGradNorm, int maxLength,
                             long seed, int evalEvery, int patience, boolean classWeights, String selectionMetric,
                             double temperature) {
    public TrainingConfig {
        check(epochs >= 0, "epochs", "a positive integer", epochs);
        check(updates >= 0, "updates", "a positive integer", updates);
        check(batchSize > 0, "batch-size", "a positive integer", batchSize);
        check(accumulation > 0, "accumulation", "a positive integer", accumulation);
        check(learningRate > 0 && learningRate < 1, "lr", "a number in (0, 1)", learningRate);
        check(weightDecay >= 0, "weight-decay", "non-negative", weightDecay);
        check(warmupRatio >= 0 && warmupRatio < 1, "warmup", "in [0, 1)", warmupRatio);
        check(maxGradNorm >= 0, "max-grad-norm", "non-negative", maxGradNorm);
        check(maxLength == 0 || maxLength >= 2, "max-length", "at least 2", maxLength);
        check(evalEvery >= 0, "eval-every", "non-negative", evalEvery);
        check(patience >= -1, "patience", "non-negative", patience);
        check(temperature > 0, "temperature", "positive", temperature);
    }

    private static void check(boolean ok, String option, String expected, Object got) {
        if (!ok) {
            throw new GraftException("--" + option + " must be " + expected + ", got " + got);
        }
    }

    /**
     * The automatic budget ({@link Budget}), batch 16, lr 5e-4 (LoRA's usual range), weight decay 0.01, 6% warm-up,
     * linear decay, clip 1.0, max length 128 capped at the model's positions.
     */
    public static TrainingConfig defaults() {
        return builder().build();
    }

    /** A builder holding {@link #defaults()}' values. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this config's values, to change some of them. */
    public Builder toBuilder() {
        return new Builder().epochs(epochs).updates(updates).batchSize(batchSize).accumulation(accumulation).learningRate(learningRate)
                .weightDecay(weightDecay).warmupRatio(warmupRatio).schedule(schedule).maxGradNorm(maxGradNorm)
                .maxLength(maxLength).seed(seed).evalEvery(evalEvery).patience(patience).classWeights(classWeights)
                .selectionMetric(selectionMetric).temperature(temperature);
    }

    /** Collects settings; {@link #build} validates them (the record's constructor names the bad option). */
    public static final class Builder {
        private int epochs;
        private int updates;
        private int batchSize = 16;
        private int accumulation = 1;
        private double learningRate = 5e-4;
        private double weightDecay = 0.01;
        private double warmupRatio = 0.06;
        private LearningRateSchedule.Kind schedule = LearningRateSchedule.Kind.LINEAR;
        private double maxGradNorm = 1.0;
        private int maxLength;
        private long seed = 42;
        private int evalEvery;
        private int patience = -1;
        private boolean classWeights;
        private String selectionMetric;
        private double temperature = 0.05;

        private Builder() {
        }

        public Builder epochs(int v) {
            epochs = v;
            return this;
        }

        /** Exactly this many optimizer updates, whatever the epochs; 0 = not set. */
        public Builder updates(int v) {
            updates = v;
            return this;
        }

        public Builder batchSize(int v) {
            batchSize = v;
            return this;
        }

        public Builder accumulation(int v) {
            accumulation = v;
            return this;
        }

        public Builder learningRate(double v) {
            learningRate = v;
            return this;
        }

        public Builder weightDecay(double v) {
            weightDecay = v;
            return this;
        }

        public Builder warmupRatio(double v) {
            warmupRatio = v;
            return this;
        }

        public Builder schedule(LearningRateSchedule.Kind v) {
            schedule = v;
            return this;
        }

        public Builder maxGradNorm(double v) {
            maxGradNorm = v;
            return this;
        }

        public Builder maxLength(int v) {
            maxLength = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public Builder evalEvery(int v) {
            evalEvery = v;
            return this;
        }

        public Builder patience(int v) {
            patience = v;
            return this;
        }

        public Builder classWeights(boolean v) {
            classWeights = v;
            return this;
        }

        /** The metric that picks the best checkpoint; null = the task's default. */
        public Builder selectionMetric(String v) {
            selectionMetric = v;
            return this;
        }

        public Builder temperature(double v) {
            temperature = v;
            return this;
        }

        public TrainingConfig build() {
            return new TrainingConfig(epochs, updates, batchSize, accumulation, learningRate, weightDecay, warmupRatio, schedule,
                    maxGradNorm, maxLength, seed, evalEvery, patience, classWeights, selectionMetric, temperature);
        }
    }
}

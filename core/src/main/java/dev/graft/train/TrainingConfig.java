package dev.graft.train;

import dev.graft.GraftException;

/**
 * Everything that shapes a training run. Defaults ({@link #defaults()}) work for LoRA on the small bundled encoders.
 *
 * @param epochs           passes over the training data
 * @param batchSize        examples per forward pass
 * @param accumulation     forward passes per optimizer update (effective batch = batchSize × accumulation)
 * @param learningRate     peak learning rate
 * @param weightDecay      AdamW decoupled weight decay (not applied to biases and layer norms)
 * @param warmupRatio      fraction of updates spent warming up linearly from 0
 * @param schedule         decay after warm-up
 * @param maxGradNorm      global gradient norm clip (0 = off)
 * @param maxLength        token limit per example
 * @param seed             seeds data order, dropout and initialisation
 * @param evalEvery        evaluate every N updates; 0 = at the end of each epoch
 * @param patience         early stopping after this many evaluations without improvement; 0 = off
 * @param classWeights     weight classes by inverse frequency (imbalanced data)
 * @param selectionMetric  metric that picks the best checkpoint (e.g. accuracy, pearson, mrr); null = the task's default
 * @param temperature      contrastive loss temperature (retrieval)
 */
public record TrainingConfig(int epochs, int batchSize, int accumulation, double learningRate, double weightDecay,
                             double warmupRatio, LearningRateSchedule.Kind schedule, double maxGradNorm, int maxLength,
                             long seed, int evalEvery, int patience, boolean classWeights, String selectionMetric,
                             double temperature) {
    public TrainingConfig {
        check(epochs > 0, "epochs", "a positive integer", epochs);
        check(batchSize > 0, "batch-size", "a positive integer", batchSize);
        check(accumulation > 0, "accumulation", "a positive integer", accumulation);
        check(learningRate > 0 && learningRate < 1, "lr", "a number in (0, 1)", learningRate);
        check(weightDecay >= 0, "weight-decay", "non-negative", weightDecay);
        check(warmupRatio >= 0 && warmupRatio < 1, "warmup", "in [0, 1)", warmupRatio);
        check(maxGradNorm >= 0, "max-grad-norm", "non-negative", maxGradNorm);
        check(maxLength >= 2, "max-length", "at least 2", maxLength);
        check(evalEvery >= 0, "eval-every", "non-negative", evalEvery);
        check(patience >= 0, "patience", "non-negative", patience);
        check(temperature > 0, "temperature", "positive", temperature);
    }

    private static void check(boolean ok, String option, String expected, Object got) {
        if (!ok) {
            throw new GraftException("--" + option + " must be " + expected + ", got " + got);
        }
    }

    /** 3 epochs, batch 16, lr 5e-4 (LoRA's usual range), weight decay 0.01, 6% warm-up, linear decay, clip 1.0. */
    public static TrainingConfig defaults() {
        return new TrainingConfig(3, 16, 1, 5e-4, 0.01, 0.06, LearningRateSchedule.Kind.LINEAR, 1.0, 128, 42, 0, 0,
                false, null, 0.05);
    }

    /**
     * A learning rate that works for a method on the small bundled encoders without tuning: full fine-tuning wants
     * BERT's usual 5e-5; few-parameter methods want much larger steps; soft prompts the largest (Lester et al.).
     */
    public static double defaultLearningRate(String method) {
        return switch (method) {
            case "full" -> 5e-5;
            case "lora" -> 3e-3;
            case "adapter", "parallel-adapter" -> 1e-3;
            case "bitfit", "ia3", "lst" -> 3e-3;
            case "prefix" -> 1e-3;
            case "prompt" -> 3e-2;
            // ScaLearn trains a handful of scales (N per site or fewer): they move slowly at adapter learning rates
            case "scalearn", "scalearn-uniform", "scalearn++", "scalearn-uniform++" -> 1e-2;
            case "fusion" -> 5e-4;
            default -> 1e-3;
        };
    }

    public TrainingConfig withEpochs(int v) {
        return new TrainingConfig(v, batchSize, accumulation, learningRate, weightDecay, warmupRatio, schedule, maxGradNorm,
                maxLength, seed, evalEvery, patience, classWeights, selectionMetric, temperature);
    }

    public TrainingConfig withLearningRate(double v) {
        return new TrainingConfig(epochs, batchSize, accumulation, v, weightDecay, warmupRatio, schedule, maxGradNorm,
                maxLength, seed, evalEvery, patience, classWeights, selectionMetric, temperature);
    }

    public TrainingConfig withBatchSize(int v) {
        return new TrainingConfig(epochs, v, accumulation, learningRate, weightDecay, warmupRatio, schedule, maxGradNorm,
                maxLength, seed, evalEvery, patience, classWeights, selectionMetric, temperature);
    }

    public TrainingConfig withSeed(long v) {
        return new TrainingConfig(epochs, batchSize, accumulation, learningRate, weightDecay, warmupRatio, schedule,
                maxGradNorm, maxLength, v, evalEvery, patience, classWeights, selectionMetric, temperature);
    }

    public TrainingConfig withMaxLength(int v) {
        return new TrainingConfig(epochs, batchSize, accumulation, learningRate, weightDecay, warmupRatio, schedule,
                maxGradNorm, v, seed, evalEvery, patience, classWeights, selectionMetric, temperature);
    }

    public TrainingConfig withEvalEvery(int v) {
        return new TrainingConfig(epochs, batchSize, accumulation, learningRate, weightDecay, warmupRatio, schedule,
                maxGradNorm, maxLength, seed, v, patience, classWeights, selectionMetric, temperature);
    }

    public TrainingConfig withWarmupRatio(double v) {
        return new TrainingConfig(epochs, batchSize, accumulation, learningRate, weightDecay, v, schedule, maxGradNorm,
                maxLength, seed, evalEvery, patience, classWeights, selectionMetric, temperature);
    }

    public TrainingConfig withAccumulation(int v) {
        return new TrainingConfig(epochs, batchSize, v, learningRate, weightDecay, warmupRatio, schedule, maxGradNorm,
                maxLength, seed, evalEvery, patience, classWeights, selectionMetric, temperature);
    }

    public TrainingConfig withPatience(int v) {
        return new TrainingConfig(epochs, batchSize, accumulation, learningRate, weightDecay, warmupRatio, schedule,
                maxGradNorm, maxLength, seed, evalEvery, v, classWeights, selectionMetric, temperature);
    }

    public TrainingConfig withClassWeights(boolean v) {
        return new TrainingConfig(epochs, batchSize, accumulation, learningRate, weightDecay, warmupRatio, schedule,
                maxGradNorm, maxLength, seed, evalEvery, patience, v, selectionMetric, temperature);
    }

    public TrainingConfig withSchedule(LearningRateSchedule.Kind v) {
        return new TrainingConfig(epochs, batchSize, accumulation, learningRate, weightDecay, warmupRatio, v, maxGradNorm,
                maxLength, seed, evalEvery, patience, classWeights, selectionMetric, temperature);
    }

    public TrainingConfig withWeightDecay(double v) {
        return new TrainingConfig(epochs, batchSize, accumulation, learningRate, v, warmupRatio, schedule, maxGradNorm,
                maxLength, seed, evalEvery, patience, classWeights, selectionMetric, temperature);
    }

    public TrainingConfig withMaxGradNorm(double v) {
        return new TrainingConfig(epochs, batchSize, accumulation, learningRate, weightDecay, warmupRatio, schedule, v,
                maxLength, seed, evalEvery, patience, classWeights, selectionMetric, temperature);
    }
}

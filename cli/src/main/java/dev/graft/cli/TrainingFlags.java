package dev.graft.cli;

import dev.graft.GraftException;
import dev.graft.train.Budget;
import dev.graft.train.LearningRateSchedule;
import dev.graft.train.TaskModel;
import dev.graft.train.TrainingConfig;
import picocli.CommandLine.Option;

/** The training settings every command that trains shares (tune, fuse, distill): budget, optimizer, lengths, selection. */
final class TrainingFlags {
    @Option(names = "--epochs", description = "Exactly N passes over the data (default: the data-sized budget of updates).")
    Integer epochs;

    @Option(names = "--updates", description = "Exactly N optimizer updates. Default: " + Budget.EPOCHS + " epochs, at least "
            + Budget.FLOOR + " and at most " + Budget.CAP + " updates.")
    Integer updates;

    @Option(names = "--lr", description = "Peak learning rate (default depends on the method: lora 1e-3, full 5e-5, adapters 1e-3, ...).")
    Double lr;

    @Option(names = "--batch-size", defaultValue = "16")
    int batchSize;

    @Option(names = "--accumulation", defaultValue = "1", description = "Batches per update (gradient accumulation).")
    int accumulation;

    @Option(names = "--max-length", description = "Token limit per example, at most the model's positions. Default: "
            + TaskModel.DEFAULT_MAX_LENGTH + " (fewer if the model has fewer).")
    Integer maxLength;

    @Option(names = "--seed", defaultValue = "42")
    long seed;

    @Option(names = "--weight-decay", defaultValue = "0.01")
    double weightDecay;

    @Option(names = "--warmup", defaultValue = "0.06", description = "Warm-up fraction of the updates.")
    double warmup;

    @Option(names = "--schedule", defaultValue = "linear", description = "linear, cosine or constant.")
    String schedule;

    @Option(names = "--max-grad-norm", defaultValue = "1.0", description = "Global gradient-norm clip (0 = off).")
    double maxGradNorm;

    @Option(names = "--eval-every", defaultValue = "0", description = "Evaluate every N updates (default: " + Budget.EVALUATIONS
            + " times per budget, at least " + Budget.MIN_EVAL_EVERY + " updates apart; with --epochs each epoch).")
    int evalEvery;

    @Option(names = "--patience", description = "Early stop after N evaluations without improvement (0 = off). Default: "
            + Budget.PATIENCE + " with the default budget, else off.")
    Integer patience;

    @Option(names = "--class-weights", description = "Weight classes by inverse frequency.")
    boolean classWeights;

    @Option(names = "--metric", description = "Metric that selects the best checkpoint (default: accuracy / micro_f1 / spearman / mrr).")
    String metric;

    @Option(names = "--no-holdout", description = "Without --eval, train on all of --train (no selection, no early stop).")
    boolean noHoldout;

    @Option(names = "--no-probe-init", description = "Start from a random head instead of a linear probe fitted on the"
            + " frozen features first (LP-FT, Kumar et al. 2022); for comparisons. With --method head the probe is the result.")
    boolean noProbeInit;

    /**
     * The settings as a config builder; unset values stay 0 (or -1 for patience), TrainingConfig's "default" markers
     * that Budget and Tuning resolve. The learning rate is left to Tuning: --lr, else the method's default.
     */
    TrainingConfig.Builder config() {
        if (epochs != null && updates != null) {
            throw new GraftException("--epochs and --updates: give one of them");
        }
        if (patience != null && patience < 0) {
            throw new GraftException("--patience must be non-negative, got " + patience);
        }
        return TrainingConfig.builder().epochs(orZero(epochs)).updates(orZero(updates))
                .batchSize(batchSize).accumulation(accumulation)
                .weightDecay(weightDecay).warmupRatio(warmup).schedule(LearningRateSchedule.Kind.parse(schedule))
                .maxGradNorm(maxGradNorm).maxLength(orZero(maxLength)).seed(seed).evalEvery(evalEvery)
                .patience(patience == null ? -1 : patience).classWeights(classWeights).selectionMetric(metric);
    }

    private static int orZero(Integer value) {
        return value == null ? 0 : value;
    }
}

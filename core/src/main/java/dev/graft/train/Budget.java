package dev.graft.train;

/**
 * How many optimizer updates a run makes, how often it evaluates and how patient it is: the plan the {@link Trainer}
 * follows. Without {@code epochs} or {@code updates} in the config the budget adapts to the data: {@value #EPOCHS}
 * epochs, but at least {@value #FLOOR} updates (small data needs many passes) and at most {@value #CAP} (large data
 * needs less than ten passes). The constants are starting points, to be tuned by {@code bench/tune-defaults.sh}.
 *
 * @param updates         updates to make (the learning-rate schedule spans exactly these)
 * @param updatesPerEpoch updates one pass over the training data takes
 * @param evalEvery       evaluate every this many updates; 0 = at the end of each epoch (and always after the last)
 * @param patience        stop after this many evaluations without improvement; 0 = never stop early
 * @param rule            where the number came from
 */
public record Budget(long updates, long updatesPerEpoch, int evalEvery, int patience, Rule rule) {
    /** Passes over the data of the automatic budget, between {@link #FLOOR} and {@link #CAP}. */
    public static final int EPOCHS = 10;
    /** The automatic budget's least number of updates. */
    public static final int FLOOR = 300;
    /** The automatic budget's largest number of updates. */
    public static final int CAP = 3_000;
    /** Evaluations over a budget given in updates (unless --eval-every says otherwise). */
    public static final int EVALUATIONS = 20;
    /** The fewest updates between two evaluations: evaluating costs a pass over the evaluation data. */
    public static final int MIN_EVAL_EVERY = 10;
    /** Evaluations without improvement before an automatic budget stops early. */
    public static final int PATIENCE = 5;

    /** Where a budget's number of updates came from. */
    public enum Rule {
        /** Derived from the data's size ({@link #EPOCHS} epochs within [{@link #FLOOR}, {@link #CAP}]). */
        AUTO,
        /** Exactly the configured number of epochs. */
        EPOCHS,
        /** Exactly the configured number of updates. */
        UPDATES;

        /** Lower-case name, as the output and the provenance write it. */
        public String cliName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * The plan for {@code examples} training examples under {@code config}: its updates, or exactly its epochs, or the
     * automatic budget; its evaluation interval or the budget's; its patience, else {@value #PATIENCE} for an automatic
     * budget and none otherwise.
     */
    public static Budget of(TrainingConfig config, int examples) {
        long batches = (examples + (long) config.batchSize() - 1) / config.batchSize();
        // an epoch ends with an update even when its last accumulation group is short
        long perEpoch = Math.max(1, (batches + config.accumulation() - 1) / config.accumulation());
        Rule rule = config.updates() > 0 ? Rule.UPDATES : config.epochs() > 0 ? Rule.EPOCHS : Rule.AUTO;
        long updates = switch (rule) {
            case UPDATES -> config.updates();
            case EPOCHS -> perEpoch * config.epochs();
            case AUTO -> Math.min(CAP, Math.max(FLOOR, perEpoch * EPOCHS));
        };
        int evalEvery = config.evalEvery() > 0 || rule == Rule.EPOCHS ? config.evalEvery()
                : (int) Math.max(updates / EVALUATIONS, MIN_EVAL_EVERY);
        int patience = config.patience() >= 0 ? config.patience() : rule == Rule.AUTO ? PATIENCE : 0;
        return new Budget(updates, perEpoch, evalEvery, patience, rule);
    }
}

package dev.graft.runtime;

/**
 * Receives progress from long-running library work (embedding, training, ranking) so a caller can show a bar.
 * The library never prints; the CLI turns these calls into a progress bar on stderr.
 */
public interface Progress {
    /** Does nothing. */
    Progress NONE = new Progress() {
        @Override
        public void start(String task, long total) {
        }

        @Override
        public void advance(long done) {
        }
    };

    /**
     * A new phase begins.
     *
     * @param task  short description, e.g. "embedding"
     * @param total number of units (texts, steps) in this phase, or -1 if unknown
     */
    void start(String task, long total);

    /** {@code done} more units have finished. */
    void advance(long done);

    /** Extra text for the bar (e.g. "loss 0.31 lr 2e-4"); optional. */
    default void message(String text) {
    }

    /** The phase is over. */
    default void finish() {
    }
}

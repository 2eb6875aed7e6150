package dev.graft.cli;

import dev.graft.runtime.Progress;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A progress bar on stderr (stdout stays clean for results), shown only for work large enough to wait for. */
final class ConsoleProgress implements Progress {
    private final long minimum;
    private ProgressBar bar;

    /** @param minimum show a bar only when a phase has at least this many units */
    ConsoleProgress(long minimum) {
        this.minimum = minimum;
    }

    @Override
    public void start(String task, long total) {
        finish();
        if (total >= minimum) {
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(500).setMaxRenderedLength(110)
                    .setConsumer(new ConsoleProgressBarConsumer(System.err)).showSpeed().build();
        }
    }

    @Override
    public void advance(long done) {
        if (bar != null) {
            bar.stepBy(done);
        }
    }

    @Override
    public void message(String text) {
        if (bar != null) {
            bar.setExtraMessage(" " + text);
        }
    }

    @Override
    public void finish() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}

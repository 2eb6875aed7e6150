package dev.graft.cli;

import dev.graft.runtime.Progress;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress on stderr (stdout stays clean for results), shown only for work large enough to wait for: a redrawn bar
 * on a terminal; elsewhere (a log file, a pipe, CI) a plain line per tenth of the work, since each redraw of a bar
 * would be one more line there; nothing with {@code --quiet}.
 */
final class ConsoleProgress implements Progress {
    private final long minimum;
    private ProgressBar bar;
    private PlainProgress plain;

    /** @param minimum show progress only when a phase has at least this many units */
    ConsoleProgress(long minimum) {
        this.minimum = minimum;
    }

    @Override
    public void start(String task, long total) {
        finish();
        if (total < minimum || total <= 0 || GraftCli.quiet) {
            return;
        }
        if (System.console() == null) {
            plain = new PlainProgress(System.err, task, total);
        } else {
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(500).setMaxRenderedLength(110)
                    .setConsumer(new ConsoleProgressBarConsumer(System.err)).showSpeed().build();
        }
    }

    @Override
    public void advance(long done) {
        if (bar != null) {
            bar.stepBy(done);
        } else if (plain != null) {
            plain.advance(done);
        }
    }

    @Override
    public void message(String text) {
        if (bar != null) {
            bar.setExtraMessage(" " + text);
        } else if (plain != null) {
            plain.message(text);
        }
    }

    @Override
    public void finish() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
        plain = null;
    }
}

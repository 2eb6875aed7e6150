package dev.graft.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress for a log file, a pipe or CI: one plain line each time another tenth of the work is done, e.g.
 * {@code embedding: 30% (600/2000) 12.3 s}, at most 10 lines a phase and never a carriage return.
 */
final class PlainProgress {
    private final PrintStream out;
    private final String task;
    private final long total;
    private final long started = System.nanoTime();
    private long done;
    private int tenthsShown;
    private String message = "";

    PlainProgress(PrintStream out, String task, long total) {
        this.out = out;
        this.task = task;
        this.total = total;
    }

    void advance(long more) {
        done += more;
        int tenths = (int) Math.min(10, done * 10 / Math.max(1, total));
        if (tenths > tenthsShown) {
            tenthsShown = tenths;
            out.printf(Locale.ROOT, "%s: %d%% (%d/%d) %.1f s%s%n", task, tenths * 10, done, total,
                    (System.nanoTime() - started) / 1e9, message);
            out.flush();
        }
    }

    void message(String text) {
        message = " " + text;
    }
}

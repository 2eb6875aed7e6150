package dev.graft.cli;

import dev.graft.GraftException;
import dev.graft.distill.PoolFilter;
import dev.graft.distill.Teacher;
import dev.graft.runtime.Progress;
import dev.graft.train.Example;
import dev.graft.train.ExampleFiles;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Transfer texts chosen from a pool of unrelated text (Trans-LoRA's discriminator filter), for the commands that
 * distil: {@code --filter-pool POOL --seeds FILE --keep N}.
 */
final class PoolFilterOptions {
    @Option(names = "--filter-pool", paramLabel = "FILE", description = "A pool of texts (.txt, .csv, .jsonl) to choose"
            + " transfer texts from: the --keep most like --seeds, judged by a classifier on the teacher's features"
            + " (Trans-LoRA's discriminator filter).")
    Path pool;

    @Option(names = "--seeds", paramLabel = "FILE", description = "A few examples of the task (texts; labels ignored) for --filter-pool.")
    Path seeds;

    @Option(names = "--keep", paramLabel = "N", description = "How many pool texts --filter-pool keeps. Default: 10 times the seeds.")
    Integer keep;

    boolean given() {
        return pool != null;
    }

    /**
     * The kept pool texts (none without --filter-pool); prints the filter's summary line.
     *
     * @param reader the columns of the files
     */
    List<Example> select(Teacher teacher, ExampleFiles.Reader reader, int batchSize, Progress progress, PrintWriter log) {
        if (pool == null) {
            if (seeds != null || keep != null) {
                throw new GraftException("--seeds and --keep choose texts from --filter-pool POOL; add it");
            }
            return List.of();
        }
        if (seeds == null) {
            throw new GraftException("--filter-pool needs --seeds FILE: a few examples of the task to tell task-like texts by");
        }
        if (keep != null && keep <= 0) {
            throw new GraftException("--keep must be a positive number of texts, got " + keep);
        }
        List<Example> seedTexts = reader.readUnlabelled(seeds);
        List<Example> poolTexts = reader.readUnlabelled(pool);
        int n = keep != null ? keep : 10 * seedTexts.size();
        PoolFilter.Report r = teacher.filterPool(PoolFilter.defaults(), seedTexts, poolTexts, n, batchSize, progress);
        log.println(r.summary());
        log.flush();
        return r.examples();
    }
}

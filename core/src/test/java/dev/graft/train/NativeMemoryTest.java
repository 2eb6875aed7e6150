package dev.graft.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import dev.graft.runtime.Progress;
import dev.graft.testing.TinyBert;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training loop must not leak native memory: after warm-up, resident memory stays flat while updates continue.
 * Native (PyTorch) allocations are invisible to the Java heap, so this reads the process RSS.
 */
class NativeMemoryTest {
    @TempDir
    Path dir;

    static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D+", ""));
            }
        }
        throw new IllegalStateException("no VmRSS");
    }

    /** Collects garbage and lets the cleaner free direct buffers, so RSS reflects live memory. */
    static void settle() throws InterruptedException {
        System.gc();
        Thread.sleep(300);
    }

    @Test
    void rssStaysFlatOverALongRun() throws IOException {
        List<Example> train = ToyTasks.sentiment(64, 1);
        try (EncoderModel base = TinyBert.create(dir, 11)) {
            PeftMethod method = PeftMethods.byName("full");
            var cfg = method.resolveConfig(base.encoder(), JsonNodeFactory.instance.objectNode());
            try (TaskModel model = new TaskModel(base, method, cfg, LabelSpace.fromTraining(Task.CLASSIFICATION, train), Pooling.MEAN, 3)) {
                java.util.List<Long> samples = new java.util.ArrayList<>();
                Progress sampler = new Progress() {
                    long updates;

                    @Override
                    public void start(String task, long total) {
                    }

                    @Override
                    public void advance(long done) {
                        updates += done;
                        if (updates >= 300 && updates % 100 == 0) {
                            try {
                                settle();
                                samples.add(rssKb());
                            } catch (IOException | InterruptedException e) {
                                throw new IllegalStateException(e);
                            }
                        }
                    }
                };
                // 126 epochs × 8 batches = 1008 updates, with an evaluation every 100 updates
                TrainingConfig cfgRun = TrainingConfig.builder().epochs(126).batchSize(8).maxLength(16)
                        .learningRate(1e-4).evalEvery(100).build();
                new Trainer(model, cfgRun, null, sampler).train(train, train.subList(0, 16), false);
                // RSS after warm-up wanders within a band (malloc arenas keep freed memory; steps of ~20 MB were seen
                // here); a leak climbs steadily out of it. Compare the peak of the last three samples with the peak of
                // the first three, ~500 updates apart: leaking one update's gradients, moments or temporaries (the
                // tiny model has ~30 K weights, 120 KB) would climb ~60 MB.
                long early = samples.subList(0, 3).stream().mapToLong(Long::longValue).max().orElseThrow();
                long late = samples.subList(samples.size() - 3, samples.size()).stream().mapToLong(Long::longValue).max().orElseThrow();
                assertTrue(late - early < 40 * 1024, "RSS climbed by " + (late - early) + " KB from updates 300-500 to 800-1000: "
                        + samples);
            }
        }
    }
}

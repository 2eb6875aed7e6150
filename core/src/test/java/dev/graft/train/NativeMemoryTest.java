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
                long[] rss = new long[2];
                long[] heap = new long[2];
                Progress sampler = new Progress() {
                    long updates;

                    @Override
                    public void start(String task, long total) {
                    }

                    @Override
                    public void advance(long done) {
                        updates += done;
                        try {
                            if (updates == 200) {
                                settle();
                                rss[0] = rssKb();
                                heap[0] = Runtime.getRuntime().totalMemory() >> 10;
                            } else if (updates == 1000) {
                                settle();
                                rss[1] = rssKb();
                                heap[1] = Runtime.getRuntime().totalMemory() >> 10;
                            }
                        } catch (IOException | InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                };
                // 126 epochs × 8 batches = 1008 updates, with an evaluation every 100 updates
                TrainingConfig cfgRun = TrainingConfig.defaults().withEpochs(126).withBatchSize(8).withMaxLength(16)
                        .withLearningRate(1e-4).withEvalEvery(100);
                new Trainer(model, cfgRun, null, sampler).train(train, train.subList(0, 16), false);
                long growthKb = rss[1] - rss[0];
                // After warm-up RSS wanders by up to ~30 MB (malloc arenas, allocator caching); leaking the gradients or
                // optimizer temporaries of one update (~80 KB here), or any batch's activations, adds > 60 MB over
                // these 800 updates.
                assertTrue(growthKb < 40 * 1024, "RSS grew by " + growthKb + " KB between update 200 and 1000 ("
                        + rss[0] + " -> " + rss[1] + " KB; Java heap committed " + heap[0] + " -> " + heap[1] + " KB)");
            }
        }
    }
}

package dev.graft.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OrderedWindowTest {
    private final ExecutorService pool = Executors.newFixedThreadPool(4);

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void resultsComeInOrderAndNoMoreThanTheBoundRunAhead() throws Exception {
        int bound = 3;
        AtomicInteger started = new AtomicInteger();
        AtomicInteger takes = new AtomicInteger(); // take calls begun
        AtomicInteger most = new AtomicInteger();
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (OrderedWindow<Integer> w = new OrderedWindow<>(pool, 40, bound, "test", i -> {
                started.incrementAndGet();
                most.accumulateAndGet(i + 1 - takes.get(), Math::max); // tasks started beyond the last one asked for
                Thread.sleep(ThreadLocalRandom.current().nextInt(3)); // finish out of order
                return i;
            })) {
                for (int i = 0; i < 40; i++) {
                    takes.set(i + 1);
                    assertEquals(i, w.take("task " + i));
                    if (i % 7 == 0) {
                        Thread.sleep(5); // a slow consumer: the producer must wait for it
                    }
                }
            }
        });
        assertEquals(40, started.get());
        assertTrue(most.get() <= bound, "at most " + bound + " tasks ahead of the consumer, saw " + most.get());
    }

    @Test
    void aFailingTaskIsRethrownAndNothingHangs() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (OrderedWindow<Integer> w = new OrderedWindow<>(pool, 100, 2, "test", i -> {
                if (i == 3) {
                    throw new IllegalStateException("boom at 3");
                }
                return i;
            })) {
                for (int i = 0; i < 3; i++) {
                    assertEquals(i, w.take("t"));
                }
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> w.take("t"));
                assertEquals("boom at 3", e.getMessage());
            } // close stops the producer, which is blocked on a full window
        });
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (OrderedWindow<Integer> w = new OrderedWindow<>(pool, 5, 2, "test", i -> {
                throw new IOException("disk gone");
            })) {
                IOException e = assertThrows(IOException.class, () -> w.take("tensor x"));
                assertTrue(e.getMessage().contains("tensor x"), e.getMessage());
            }
        });
    }

    @Test
    void aPoolThatRefusesWorkFailsTheTakeInsteadOfHanging() {
        ExecutorService dead = Executors.newSingleThreadExecutor();
        dead.shutdown();
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (OrderedWindow<Integer> w = new OrderedWindow<>(dead, 3, 2, "test", i -> i)) {
                assertThrows(RuntimeException.class, () -> w.take("t"));
            }
        });
    }
}

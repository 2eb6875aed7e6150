package dev.graft.merge;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;

/**
 * A bounded, in-order producer/consumer window: tasks 0..count−1 run on a pool, at most {@code bound} of them
 * submitted and not yet taken, and the consumer takes their results strictly in index order. This bounds memory to
 * {@code bound} results whatever the pool's speed, while the writer still consumes in file order. A task's exception
 * is rethrown by {@link #take}; closing stops submitting (a consumer that gave up never leaves the producer blocked).
 *
 * @param <T> a task's result
 */
final class OrderedWindow<T> implements AutoCloseable {
    /** Task i's work, run on the pool. */
    @FunctionalInterface
    interface Task<T> {
        T run(int index) throws Exception;
    }

    private final List<CompletableFuture<T>> results;
    private final Semaphore window;
    private final Thread producer;
    private int next;

    /** Starts submitting {@code count} tasks to {@code pool}, at most {@code bound} ahead of {@link #take}. */
    OrderedWindow(ExecutorService pool, int count, int bound, String name, Task<T> task) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, got " + bound);
        }
        results = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            results.add(new CompletableFuture<>());
        }
        window = new Semaphore(bound);
        producer = new Thread(() -> {
            for (int i = 0; i < count; i++) {
                try {
                    window.acquire();
                } catch (InterruptedException e) {
                    return;
                }
                int k = i;
                try {
                    pool.execute(() -> {
                        try {
                            results.get(k).complete(task.run(k));
                        } catch (Throwable t) {
                            results.get(k).completeExceptionally(t);
                        }
                    });
                } catch (RuntimeException e) { // a pool that refuses work must not leave the consumer waiting
                    results.get(k).completeExceptionally(e);
                    return;
                }
            }
        }, name);
        producer.setDaemon(true);
        producer.start();
    }

    /** The next result in index order, waiting for it; frees its slot. Failures as {@link #await}. */
    T take(String what) throws IOException {
        CompletableFuture<T> f = results.get(next++);
        try {
            T r = await(f, what);
            f.obtrudeValue(null); // the window holds no taken result
            return r;
        } finally {
            window.release();
        }
    }

    /**
     * A future's result; a RuntimeException or Error from the task is rethrown as is, anything else as an
     * IOException naming {@code what}.
     */
    static <T> T await(CompletableFuture<T> f, String what) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IOException("merging " + what + " failed: " + c, c);
        }
    }

    /** Stops submitting; tasks already on the pool finish on their own. */
    @Override
    public void close() {
        producer.interrupt();
    }
}

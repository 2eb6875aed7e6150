package dev.graft.runtime;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.graft.GraftException;

/**
 * The compute engine: PyTorch through DJL, always offline. Natives come from the {@code pytorch-native-cpu}
 * (or {@code -cu128}) jar on the classpath; nothing is downloaded at run time.
 */
public final class Engines {
    /** DJL's name for the PyTorch engine. */
    public static final String PYTORCH = "PyTorch";
    private static volatile Engine engine;
    private static volatile int configuredThreads;

    private Engines() {
    }

    /**
     * Sets the number of intra-op compute threads; call before the first model is loaded (later calls after the
     * engine started are ignored by PyTorch, so they raise an error instead of being silently dropped).
     *
     * @param threads threads to use, or 0 for the engine's default (one per core)
     */
    public static synchronized void configure(int threads) {
        if (threads < 0) {
            throw new GraftException("threads must be 0 (all cores) or positive, got " + threads);
        }
        if (engine != null && threads != configuredThreads && threads != 0) {
            throw new GraftException("the compute engine already started with " + describeThreads(configuredThreads)
                    + "; set the thread count before loading a model");
        }
        configuredThreads = threads;
        if (threads > 0) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        }
    }

    /** The thread count set with {@link #configure}, or 0 (all cores) if none was set. */
    public static synchronized int configuredThreadCount() {
        return configuredThreads;
    }

    /** The PyTorch engine, started on first use in offline mode. */
    public static Engine pytorch() {
        Engine e = engine;
        if (e == null) {
            synchronized (Engines.class) {
                e = engine;
                if (e == null) {
                    e = start();
                    engine = e;
                }
            }
        }
        return e;
    }

    private static Engine start() {
        // Offline: DJL must never try to download natives; a missing native jar becomes an error below.
        System.setProperty("ai.djl.offline", "true");
        if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        // The graph executor optimiser only matters for TorchScript; our eager blocks skip it.
        System.setProperty("ai.djl.pytorch.graph_optimizer", "false");
        try {
            return Engine.getEngine(PYTORCH);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new GraftException("cannot start PyTorch: its native library was not found offline. Put"
                    + " ai.djl.pytorch:pytorch-native-cpu:2.7.1 (classifier linux-x86_64) and"
                    + " ai.djl.pytorch:pytorch-jni:2.7.1-0.35.1 on the classpath (" + e.getMessage() + ")", e);
        }
    }

    /** A new root manager on the engine's default device (GPU if the CUDA natives and a GPU are present). */
    public static NDManager newManager() {
        Engine e = pytorch();
        return e.newBaseManager(device());
    }

    /** The device computations run on: the first GPU when the engine sees one, else the CPU. */
    public static Device device() {
        Engine e = pytorch();
        return e.getGpuCount() > 0 ? Device.gpu() : Device.cpu();
    }

    private static String describeThreads(int t) {
        return t == 0 ? "the default thread count" : t + " threads";
    }
}

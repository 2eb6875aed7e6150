package dev.graft.runtime;

import java.nio.file.Path;

/**
 * Where Graft keeps caches: {@code $GRAFT_CACHE} (or the system property {@code graft.cache}) if set, else
 * {@code ~/.cache/graft}. Inside it: {@code models/} (bundled models imported from their jars), {@code onnx/} (ONNX
 * exports made on demand for ONNX Runtime) and {@code features/} (pooled features for ranking). Each of these can be
 * moved on its own with the system property {@code graft.cache.<name>} (e.g. {@code -Dgraft.cache.onnx=target/onnx}):
 * the build's tests keep the bundled models in the shared cache and write exports and features under {@code target/}.
 * Everything in the cache can be deleted at any time; it is recreated on demand.
 */
public final class GraftHome {
    private GraftHome() {
    }

    public static Path cacheDir() {
        String env = System.getenv("GRAFT_CACHE");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String prop = System.getProperty("graft.cache");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "graft");
    }

    /**
     * One part of the cache: {@code graft.cache.<name>} if that system property is set, else {@code <cacheDir>/<name>}.
     *
     * @param name {@code models}, {@code onnx} or {@code features}
     */
    public static Path cacheDir(String name) {
        String prop = System.getProperty("graft.cache." + name);
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        return cacheDir().resolve(name);
    }
}

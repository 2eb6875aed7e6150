package dev.graft.runtime;

import java.nio.file.Path;

/** Where Graft keeps caches: {@code $GRAFT_CACHE} if set, else {@code ~/.cache/graft}. */
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
}

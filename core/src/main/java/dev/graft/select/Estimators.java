package dev.graft.select;

import dev.graft.GraftException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The registry of feature-based estimators, fixed at class initialisation; names are lowercase and unique. LEEP and NCE
 * need a source classifier's predictions instead of features and live in {@link Leep} and {@link Nce}.
 */
public final class Estimators {
    private static final Map<String, Estimator> BY_NAME = new LinkedHashMap<>();

    static {
        for (Estimator e : List.of(new LogMe(), new HScore(), new ShrinkageHScore(), new TransRate(), new Gbc(false),
                new Gbc(true), new Sfda(), new Nleep(), new Tmi(), new KnnAccuracy(), new LinearProbe())) {
            if (!e.name().equals(e.name().toLowerCase(java.util.Locale.ROOT)) || BY_NAME.put(e.name(), e) != null) {
                throw new IllegalStateException("estimator names must be unique and lowercase: " + e.name());
            }
        }
    }

    private Estimators() {}

    /** The estimator registered under {@code name} (case-insensitive); a one-line error listing the names otherwise. */
    public static Estimator byName(String name) {
        Estimator e = name == null ? null : BY_NAME.get(name.trim().toLowerCase(java.util.Locale.ROOT));
        if (e == null) {
            throw new GraftException("unknown metric '" + name + "'; expected one of " + String.join(", ", names()));
        }
        return e;
    }

    /** Every registered estimator, in registry order. */
    public static List<Estimator> all() {
        return List.copyOf(BY_NAME.values());
    }

    /** The registered names, in registry order. */
    public static List<String> names() {
        return new ArrayList<>(BY_NAME.keySet());
    }
}

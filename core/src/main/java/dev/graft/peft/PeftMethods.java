package dev.graft.peft;

import dev.graft.GraftException;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/** The PEFT method registry, fixed after start-up. */
public final class PeftMethods {
    private static final List<PeftMethod> ALL = ServiceLoader.load(PeftMethod.class, PeftMethods.class.getClassLoader())
            .stream().map(ServiceLoader.Provider::get).toList();

    private PeftMethods() {
    }

    public static List<PeftMethod> all() {
        return ALL;
    }

    /** The method with this CLI name. */
    public static PeftMethod byName(String name) {
        String key = name.trim().toLowerCase(Locale.ROOT);
        return ALL.stream().filter(m -> m.name().equals(key)).findFirst()
                .orElseThrow(() -> new GraftException("unknown method '" + name + "'; expected one of "
                        + ALL.stream().map(PeftMethod::name).toList()));
    }

    /** The method that writes this {@code peft_type} (as found in adapter_config.json). */
    public static PeftMethod byPeftType(String peftType, String source) {
        return ALL.stream().filter(m -> m.peftType().equalsIgnoreCase(peftType)).findFirst()
                .orElseThrow(() -> new GraftException(source + ": peft_type '" + peftType + "' is not supported; supported: "
                        + ALL.stream().map(PeftMethod::peftType).toList()));
    }
}

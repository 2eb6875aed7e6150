package dev.graft.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.GraftException;
import java.util.List;
import java.util.ServiceLoader;
import java.util.TreeSet;

/** The architecture registry, fixed after start-up. */
public final class Architectures {
    private static final List<Architecture> ALL = ServiceLoader.load(Architecture.class, Architectures.class.getClassLoader())
            .stream().map(ServiceLoader.Provider::get).toList();

    private Architectures() {
    }

    public static List<Architecture> all() {
        return ALL;
    }

    /** The architecture for a config.json, by its {@code model_type}. */
    public static Architecture forConfig(JsonNode config, String source) {
        String type = config.path("model_type").asText("");
        if (type.isEmpty()) {
            throw new GraftException(source + ": field 'model_type' is missing; expected one of " + knownTypes());
        }
        return ALL.stream().filter(a -> a.modelTypes().contains(type)).findFirst()
                .orElseThrow(() -> new GraftException(source + ": model_type '" + type + "' is not supported yet; supported: "
                        + knownTypes()));
    }

    /** The architecture registered under this name. */
    public static Architecture byName(String name) {
        return ALL.stream().filter(a -> a.name().equals(name)).findFirst()
                .orElseThrow(() -> new GraftException("unknown architecture '" + name + "'"));
    }

    private static TreeSet<String> knownTypes() {
        TreeSet<String> s = new TreeSet<>();
        ALL.forEach(a -> s.addAll(a.modelTypes()));
        return s;
    }
}

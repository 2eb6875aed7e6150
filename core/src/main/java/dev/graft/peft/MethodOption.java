package dev.graft.peft;

import dev.graft.GraftException;
import java.util.Objects;

/**
 * One command-line option a {@link PeftMethod} declares, mapped to one of its adapter_config.json keys. The CLI
 * generates its method flags from these; several methods may declare the same flag (e.g. {@code --reduction-factor})
 * as long as they agree on its key and kind, and the flag then appears once.
 *
 * @param flag         the long option, e.g. {@code --r}
 * @param kind         the value's type
 * @param key          the adapter_config.json key the value is written under, e.g. {@code r}
 * @param defaultValue the method's default as shown in help; null when it has none or it depends on the model
 * @param help         one sentence saying what the value does (without the default)
 */
public record MethodOption(String flag, Kind kind, String key, String defaultValue, String help) {
    /** A value's type on the command line and in JSON. */
    public enum Kind {
        /** A JSON integer. */
        INTEGER,
        /** A JSON number. */
        NUMBER,
        /** A flag without a value: true when given. */
        FLAG,
        /** A JSON string. */
        TEXT,
        /** A list of strings, comma-separated on the command line. */
        LIST
    }

    public MethodOption {
        Objects.requireNonNull(kind, "kind");
        if (flag == null || !flag.matches("--[a-z][a-z0-9-]*")) {
            throw new GraftException("method option flag must look like --name, got " + flag);
        }
        if (key == null || key.isBlank()) {
            throw new GraftException("method option " + flag + ": key must not be blank");
        }
        if (help == null || help.isBlank()) {
            throw new GraftException("method option " + flag + ": help must not be blank");
        }
    }

    /** An option with no default to show. */
    public static MethodOption of(String flag, Kind kind, String key, String help) {
        return new MethodOption(flag, kind, key, null, help);
    }

    /** The same option with a default shown in help. */
    public MethodOption withDefault(Object value) {
        return new MethodOption(flag, kind, key, String.valueOf(value), help);
    }
}

package dev.graft.peft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/** Helpers for reading method configs (adapter_config.json trees) with errors that name the key. */
public final class PeftConfigs {
    private PeftConfigs() {
    }

    /** Fails on keys the method does not know (user input), naming them and the known ones. */
    public static void rejectUnknown(ObjectNode overrides, Set<String> known, String method) {
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> it = overrides.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!known.contains(k)) {
                unknown.add(k);
            }
        }
        if (!unknown.isEmpty()) {
            throw new GraftException(method + ": unknown option(s) " + unknown + "; known: " + new java.util.TreeSet<>(known));
        }
    }

    /** For a config record's constructor: fails unless option {@code key}'s {@code value} is positive. */
    public static void requirePositive(String key, int value) {
        if (value <= 0) {
            throw new GraftException("option '" + key + "' must be a positive integer, got " + value);
        }
    }

    public static int positiveInt(JsonNode config, String key) {
        JsonNode v = config.get(key);
        if (v == null || !v.canConvertToInt() || v.asInt() <= 0 || !v.isIntegralNumber()) {
            throw new GraftException("option '" + key + "' must be a positive integer, got " + v);
        }
        return v.asInt();
    }

    public static double number(JsonNode config, String key, double min, double max) {
        JsonNode v = config.get(key);
        if (v == null || !v.isNumber() || v.asDouble() < min || v.asDouble() > max) {
            throw new GraftException("option '" + key + "' must be a number in [" + min + ", " + max + "], got " + v);
        }
        return v.asDouble();
    }

    public static boolean bool(JsonNode config, String key) {
        JsonNode v = config.get(key);
        if (v == null || !v.isBoolean()) {
            throw new GraftException("option '" + key + "' must be true or false, got " + v);
        }
        return v.asBoolean();
    }

    /** A list of strings; a single string is accepted as a one-element list (PEFT allows both). */
    public static List<String> strings(JsonNode config, String key) {
        JsonNode v = config.get(key);
        List<String> out = new ArrayList<>();
        if (v != null && v.isTextual()) {
            out.add(v.asText());
        } else if (v instanceof ArrayNode a) {
            for (JsonNode e : a) {
                if (!e.isTextual()) {
                    throw new GraftException("option '" + key + "' must be a list of strings, got " + v);
                }
                out.add(e.asText());
            }
        } else {
            throw new GraftException("option '" + key + "' must be a list of strings, got " + v);
        }
        return out;
    }

    /**
     * Whether a module path matches a PEFT {@code target_modules} entry: an exact path, or a path ending in
     * "." + the entry (PEFT's rule for plain names such as {@code query}).
     */
    public static boolean matchesTarget(String modulePath, String target) {
        return modulePath.equals(target) || modulePath.endsWith("." + target);
    }
}

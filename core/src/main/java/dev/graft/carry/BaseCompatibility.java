package dev.graft.carry;

import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.GraftException;
import dev.graft.model.EncoderModel;
import dev.graft.model.ModelInfo;
import dev.graft.text.TextTokenizer;
import java.io.IOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Whether an adaptation of base A can be carried to base B: the two must be the same network with the same
 * vocabulary, differing only in their weights' values (two versions of one model: bge-small-en and bge-small-en-v1.5).
 * Checked in this order, and the first difference reported:
 * <ol>
 *   <li>the architecture, by the config.json names of {@code dev.graft.merge.Compatibility}'s keys: model_type,
 *       vocab_size, hidden_size, num_hidden_layers, num_attention_heads, intermediate_size, max_position_embeddings;</li>
 *   <li>every weight's name and shape, in A's order (a weight missing from B, then one B has in addition);</li>
 *   <li>the tokenizer's vocabulary: tokenizer.json's model type, its token → id table and its added tokens (files that
 *       differ only in other settings, such as truncation, share a vocabulary).</li>
 * </ol>
 * The merge check ({@code dev.graft.merge.Compatibility}) compares model directories on disk and lists every
 * difference of many models; this one compares two loaded models and names the first, which is what a user moving
 * one adapter needs to read.
 */
public final class BaseCompatibility {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** config.json key to the loaded model's value, in the order they are compared. */
    private static final Map<String, Function<ModelInfo, Object>> CONFIG = new LinkedHashMap<>();

    static {
        CONFIG.put("model_type", ModelInfo::architecture);
        CONFIG.put("vocab_size", ModelInfo::vocabSize);
        CONFIG.put("hidden_size", ModelInfo::hiddenSize);
        CONFIG.put("num_hidden_layers", ModelInfo::layers);
        CONFIG.put("num_attention_heads", ModelInfo::heads);
        CONFIG.put("intermediate_size", ModelInfo::intermediateSize);
        CONFIG.put("max_position_embeddings", ModelInfo::maxPositions);
    }

    private BaseCompatibility() {
    }

    /**
     * Refuses bases an adaptation cannot be carried between.
     *
     * @throws GraftException naming the first mismatching config field, weight (name and both shapes) or token
     */
    public static void check(EncoderModel from, EncoderModel to) {
        firstDifference(from, to).ifPresent(d -> {
            throw new GraftException("cannot carry from " + from.info().id() + " to " + to.info().id() + ": " + d
                    + "; only versions of one model (same architecture, weight shapes and vocabulary) can be carried between");
        });
    }

    /** The first difference between the two bases, in the order of the class comment; empty if compatible. */
    public static Optional<String> firstDifference(EncoderModel from, EncoderModel to) {
        ModelInfo a = from.info();
        ModelInfo b = to.info();
        for (Map.Entry<String, Function<ModelInfo, Object>> e : CONFIG.entrySet()) {
            Object va = e.getValue().apply(a);
            Object vb = e.getValue().apply(b);
            if (!va.equals(vb)) {
                return Optional.of("config.json " + e.getKey() + " is " + vb + " in " + b.id() + ", " + va + " in " + a.id());
            }
        }
        Map<String, Shape> sa = from.encoder().namedParameterShapes();
        Map<String, Shape> sb = to.encoder().namedParameterShapes();
        for (Map.Entry<String, Shape> e : sa.entrySet()) {
            Shape other = sb.get(e.getKey());
            if (other == null) {
                return Optional.of("weight " + e.getKey() + " " + dims(e.getValue()) + " of " + a.id() + " is missing from " + b.id());
            }
            if (!other.equals(e.getValue())) {
                return Optional.of("weight " + e.getKey() + " has shape " + dims(other) + " in " + b.id() + ", "
                        + dims(e.getValue()) + " in " + a.id());
            }
        }
        for (Map.Entry<String, Shape> e : sb.entrySet()) {
            if (!sa.containsKey(e.getKey())) {
                return Optional.of("weight " + e.getKey() + " " + dims(e.getValue()) + " of " + b.id() + " is missing from " + a.id());
            }
        }
        return vocabularyDifference(from.tokenizer(), a.id(), to.tokenizer(), b.id());
    }

    /**
     * The first difference between two tokenizers' vocabularies: model type, a token whose id differs (or that one
     * lacks), an added token; empty if the same.
     */
    static Optional<String> vocabularyDifference(TextTokenizer ta, String a, TextTokenizer tb, String b) {
        if (ta.sha256().equals(tb.sha256())) {
            return Optional.empty();
        }
        JsonNode ja = read(ta);
        JsonNode jb = read(tb);
        String typeA = ja.path("model").path("type").asText("");
        String typeB = jb.path("model").path("type").asText("");
        String where = "tokenizer.json of " + b + " (" + tb.file() + ") and of " + a + " (" + ta.file() + ")";
        if (!typeA.equals(typeB)) {
            return Optional.of("the vocabularies differ: " + where + " have model types '" + typeB + "' and '" + typeA + "'");
        }
        JsonNode va = ja.path("model").path("vocab");
        JsonNode vb = jb.path("model").path("vocab");
        if (va.isObject() && vb.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = va.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode idB = vb.get(e.getKey());
                if (idB == null || idB.asLong() != e.getValue().asLong()) {
                    return Optional.of("the vocabularies differ: token '" + e.getKey() + "' is id " + e.getValue().asLong()
                            + " in " + a + " and " + (idB == null ? "absent" : "id " + idB.asLong()) + " in " + b + " (" + where + ")");
                }
            }
            if (va.size() != vb.size()) {
                return Optional.of("the vocabularies differ: " + vb.size() + " tokens in " + b + ", " + va.size() + " in " + a
                        + " (" + where + ")");
            }
        } else if (!va.equals(vb)) {
            return Optional.of("the vocabularies differ (" + where + ")");
        }
        List<String> addedA = added(ja);
        List<String> addedB = added(jb);
        if (!addedA.equals(addedB)) {
            return Optional.of("the added tokens differ: " + addedB + " in " + b + ", " + addedA + " in " + a + " (" + where + ")");
        }
        return Optional.empty();
    }

    private static List<String> added(JsonNode root) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        root.path("added_tokens").forEach(t -> out.add(t.path("id").asLong() + ":" + t.path("content").asText()));
        return out;
    }

    private static JsonNode read(TextTokenizer t) {
        try {
            return JSON.readTree(t.file().toFile());
        } catch (IOException e) {
            throw new GraftException(t.file() + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private static String dims(Shape s) {
        return Arrays.toString(s.getShape());
    }
}

package dev.graft.merge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.GraftException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Refuses to merge models that are not the same network: architecture keys of config.json, tokenizer.json's
 * SHA-256, tensor names and shapes are compared with the reference (the base, or the first model), and every
 * difference is reported in one message.
 */
final class Compatibility {
    /** config.json keys that fix the architecture and vocabulary. */
    static final List<String> KEYS = List.of("model_type", "architectures", "vocab_size", "hidden_size", "num_hidden_layers",
            "num_attention_heads", "intermediate_size", "max_position_embeddings", "type_vocab_size");

    private Compatibility() {
    }

    static void check(ModelSource ref, List<ModelSource> others, List<String> heads) {
        List<String> diffs = new ArrayList<>();
        String refTok = ref.tokenizerSha();
        Set<String> refNames = merged(ref.names(), heads);
        for (ModelSource m : others) {
            if (m == ref) {
                continue;
            }
            String who = m.spec + " vs " + ref.spec;
            for (String k : KEYS) {
                JsonNode a = ref.config.get(k);
                JsonNode b = m.config.get(k);
                if (a != null && b != null && !a.equals(b)) {
                    diffs.add(who + ": config.json " + k + " " + b + " != " + a);
                } else if ((a == null) != (b == null) && (k.equals("model_type") || k.equals("vocab_size"))) {
                    diffs.add(who + ": config.json " + k + " present in only one of them");
                }
            }
            String tok = m.tokenizerSha();
            if (tok == null || refTok == null) {
                if (tok != refTok) {
                    diffs.add(who + ": tokenizer.json present in only one of them");
                }
            } else if (!tok.equals(refTok)) {
                diffs.add(who + ": tokenizer.json differs (SHA-256 " + tok.substring(0, 12) + "… != " + refTok.substring(0, 12) + "…)");
            }
            Set<String> names = merged(m.names(), heads);
            TreeSet<String> missing = new TreeSet<>(refNames);
            missing.removeAll(names);
            TreeSet<String> extra = new TreeSet<>(names);
            extra.removeAll(refNames);
            if (!missing.isEmpty()) {
                diffs.add(who + ": " + missing.size() + " tensor(s) missing, e.g. " + missing.first());
            }
            if (!extra.isEmpty()) {
                diffs.add(who + ": " + extra.size() + " extra tensor(s), e.g. " + extra.first());
            }
            int shown = 0;
            for (String n : refNames) {
                if (names.contains(n)) {
                    long[] a = ref.info(n).shape();
                    long[] b = m.info(n).shape();
                    if (!Arrays.equals(a, b) && shown++ < 3) {
                        diffs.add(who + ": tensor " + n + " has shape " + Arrays.toString(b) + " != " + Arrays.toString(a));
                    }
                }
            }
        }
        if (!diffs.isEmpty()) {
            throw new GraftException("cannot merge models that differ: " + String.join("; ", diffs));
        }
    }

    /** Names that take part in the merge: everything except task heads. */
    static Set<String> merged(Set<String> names, List<String> heads) {
        TreeSet<String> out = new TreeSet<>();
        for (String n : names) {
            if (!isHead(n, heads)) {
                out.add(n);
            }
        }
        return out;
    }

    static boolean isHead(String name, List<String> heads) {
        for (String h : heads) {
            if (name.startsWith(h)) {
                return true;
            }
        }
        return false;
    }
}

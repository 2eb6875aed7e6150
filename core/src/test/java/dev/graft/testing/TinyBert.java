package dev.graft.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.io.TensorSource;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.model.bert.BertConfig;
import dev.graft.model.bert.BertModel;
import dev.graft.text.TextTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Tiny random BERT models for fast tests: a WordPiece tokenizer over letters and a few words, 2 layers, hidden 32,
 * weights drawn from a seeded normal distribution (like BERT's initialiser, std 0.02; layer norms at 1 and 0).
 */
public final class TinyBert {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final List<String> WORDS = List.of("the", "a", "cat", "dog", "sat", "on", "mat", "good", "bad",
            "great", "terrible", "movie", "film", "happy", "sad", "red", "blue", "green", "java", "python", "i", "you",
            "love", "hate", "is", "was", "not", "very", "and", "or");

    private TinyBert() {
    }

    /** The config: vocab of the tokenizer below, hidden 32, 2 layers, 4 heads, FFN 64, 64 positions. */
    public static BertConfig config() {
        return BertConfig.tiny(vocabulary().size(), 32, 2, 4, 64, 64);
    }

    /** Builds a tiny model with random weights from {@code seed}; its tokenizer.json is written into {@code dir}. */
    public static EncoderModel create(Path dir, long seed) {
        return create(dir, seed, 0.02);
    }

    /**
     * As {@link #create(Path, long)} with weights of standard deviation {@code std}. BERT's 0.02 makes a tiny
     * random network's sub-layer outputs ~0.01, which starves methods that act there (LoRA, adapters) of signal;
     * learning tests use a wider initialisation, as a pretrained network's activations are.
     */
    public static EncoderModel create(Path dir, long seed, double std) {
        return create(dir, seed, std, WORDS);
    }

    /**
     * As {@link #create(Path, long, double)} with another vocabulary: the special tokens, letters and punctuation,
     * then {@code words} (so two models built with different word lists tokenize the same text to different ids).
     */
    public static EncoderModel create(Path dir, long seed, double std, List<String> words) {
        BertConfig config = BertConfig.tiny(vocabulary(words).size(), 32, 2, 4, 64, 64);
        JsonNode cfg = JSON.valueToTree(config);
        Path tok = writeTokenizer(dir, words);
        TensorSource weights = randomWeights(new BertModel(config, true).namedParameterShapes(), seed, std);
        return EncoderModel.fromWeights("tiny-bert", cfg, weights, TextTokenizer.load(tok), Pooling.MEAN, false);
    }

    /** Seeded random tensors for the given shapes. */
    public static TensorSource randomWeights(Map<String, ai.djl.ndarray.types.Shape> shapes, long seed) {
        return randomWeights(shapes, seed, 0.02);
    }

    /** Seeded random tensors with standard deviation {@code std}. */
    public static TensorSource randomWeights(Map<String, ai.djl.ndarray.types.Shape> shapes, long seed, double std) {
        Map<String, float[]> values = new LinkedHashMap<>();
        Random r = new Random(seed);
        shapes.forEach((name, shape) -> {
            float[] v = new float[Math.toIntExact(shape.size())];
            boolean norm = name.contains("LayerNorm");
            for (int i = 0; i < v.length; i++) {
                if (norm) {
                    v[i] = name.endsWith("weight") ? 1f : 0f;
                } else {
                    v[i] = (float) (r.nextGaussian() * std);
                }
            }
            values.put(name, v);
        });
        return new TensorSource() {
            @Override
            public Set<String> names() {
                return values.keySet();
            }

            @Override
            public long[] shape(String name) {
                return shapes.get(name).getShape();
            }

            @Override
            public float[] readFloats(String name) {
                return values.get(name).clone();
            }

            @Override
            public String description() {
                return "random weights (seed " + seed + ")";
            }
        };
    }

    /** Special tokens, letters, "##"-continuations of letters, then {@link #WORDS}. */
    public static List<String> vocabulary() {
        return vocabulary(WORDS);
    }

    /** As {@link #vocabulary()} with {@code words} in place of {@link #WORDS}. */
    public static List<String> vocabulary(List<String> words) {
        List<String> v = new java.util.ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        for (char c = 'a'; c <= 'z'; c++) {
            v.add(String.valueOf(c));
        }
        for (char c = 'a'; c <= 'z'; c++) {
            v.add("##" + c);
        }
        for (String p : List.of(".", ",", "!", "?")) {
            v.add(p);
        }
        v.addAll(words);
        return v;
    }

    /** Writes a BERT-style (lower-casing WordPiece) tokenizer.json into {@code dir}. */
    public static Path writeTokenizer(Path dir) {
        return writeTokenizer(dir, WORDS);
    }

    /** As {@link #writeTokenizer(Path)} for the vocabulary with {@code words}. */
    public static Path writeTokenizer(Path dir, List<String> words) {
        List<String> vocab = vocabulary(words);
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < 5; i++) {
            ObjectNode t = added.addObject();
            t.put("id", i).put("content", vocab.get(i)).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        root.putObject("normalizer").put("type", "BertNormalizer").put("clean_text", true)
                .put("handle_chinese_chars", true).putNull("strip_accents").put("lowercase", true);
        root.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        special(single, "[CLS]", 0);
        sequence(single, "A", 0);
        special(single, "[SEP]", 0);
        ArrayNode pair = post.putArray("pair");
        special(pair, "[CLS]", 0);
        sequence(pair, "A", 0);
        special(pair, "[SEP]", 0);
        sequence(pair, "B", 1);
        special(pair, "[SEP]", 1);
        ObjectNode specials = post.putObject("special_tokens");
        for (String s : List.of("[CLS]", "[SEP]")) {
            ObjectNode e = specials.putObject(s);
            e.put("id", s);
            e.putArray("ids").add(vocab.indexOf(s));
            e.putArray("tokens").add(s);
        }
        root.putObject("decoder").put("type", "WordPiece").put("prefix", "##").put("cleanup", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "WordPiece").put("unk_token", "[UNK]").put("continuing_subword_prefix", "##")
                .put("max_input_chars_per_word", 100);
        ObjectNode v = model.putObject("vocab");
        for (int i = 0; i < vocab.size(); i++) {
            v.put(vocab.get(i), i);
        }
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve("tokenizer.json");
            JSON.writeValue(file.toFile(), root);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void special(ArrayNode a, String id, int type) {
        a.addObject().putObject("SpecialToken").put("id", id).put("type_id", type);
    }

    private static void sequence(ArrayNode a, String id, int type) {
        a.addObject().putObject("Sequence").put("id", id).put("type_id", type);
    }
}

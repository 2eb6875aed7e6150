package dev.graft.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.util.PairList;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.GraftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Hugging Face {@code tokenizer.json} tokenizer (the Rust implementation, through DJL), truncating to a maximum
 * length and never padding: padding happens per batch, after sorting by length.
 */
public final class TextTokenizer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final Map<Integer, HuggingFaceTokenizer> byMaxLength = new ConcurrentHashMap<>();
    private final String sha256;
    private final int vocabularySize;

    private TextTokenizer(Path file, String sha256, int vocabularySize) {
        this.file = file;
        this.sha256 = sha256;
        this.vocabularySize = vocabularySize;
    }

    /** Loads a {@code tokenizer.json}. */
    public static TextTokenizer load(Path tokenizerJson) {
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new GraftException(tokenizerJson + ": tokenizer file not found (a model directory needs tokenizer.json)");
        }
        try {
            byte[] bytes = Files.readAllBytes(tokenizerJson);
            String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            TextTokenizer t = new TextTokenizer(tokenizerJson, hash, vocabularySize(tokenizerJson, bytes));
            t.forLength(512); // fail now, with the file's name, if it does not parse
            return t;
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new GraftException(tokenizerJson + ": cannot read tokenizer (" + e.getMessage() + ")", e);
        }
    }

    /**
     * The largest token id in tokenizer.json plus one: over the model's vocabulary (an object of token to id for
     * WordPiece, BPE and WordLevel; a list for Unigram) and the added tokens.
     */
    private static int vocabularySize(Path file, byte[] bytes) {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new GraftException(file + ": not a valid Hugging Face tokenizer.json ("
                    + e.getMessage().lines().findFirst().orElse("") + ")", e);
        }
        if (root == null) {
            return 0; // empty: the tokenizer itself will refuse it
        }
        long max = -1;
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isObject()) {
            for (JsonNode id : vocab) {
                max = Math.max(max, id.asLong(-1));
            }
        } else if (vocab.isArray()) {
            max = vocab.size() - 1L;
        }
        for (JsonNode added : root.path("added_tokens")) {
            max = Math.max(max, added.path("id").asLong(-1));
        }
        return (int) Math.min(Integer.MAX_VALUE, max + 1);
    }

    private HuggingFaceTokenizer forLength(int maxLength) {
        return byMaxLength.computeIfAbsent(maxLength, n -> {
            try {
                return HuggingFaceTokenizer.builder().optTokenizerPath(file).optAddSpecialTokens(true)
                        .optTruncation(true).optPadding(false).optMaxLength(n).build();
            } catch (IOException | RuntimeException e) {
                throw new GraftException(file + ": not a valid Hugging Face tokenizer.json (" + e.getMessage() + ")", e);
            }
        });
    }

    /** Tokenises one text, truncated to {@code maxLength} tokens including [CLS] and [SEP]. */
    public TokenizedText encode(String text, int maxLength) {
        return convert(forLength(maxLength).encode(text));
    }

    /** Tokenises a text pair ({@code [CLS] a [SEP] b [SEP]}), truncating the longer side first. */
    public TokenizedText encode(String text, String pair, int maxLength) {
        return convert(forLength(maxLength).encode(text, pair));
    }

    /** Tokenises many texts at once (in parallel inside the native tokenizer). */
    public List<TokenizedText> encodeAll(List<String> texts, int maxLength) {
        Encoding[] enc = forLength(maxLength).batchEncode(texts);
        List<TokenizedText> out = new ArrayList<>(enc.length);
        for (Encoding e : enc) {
            out.add(convert(e));
        }
        return out;
    }

    /** Tokenises many text pairs at once; {@code pairs} may hold nulls for single texts. */
    public List<TokenizedText> encodeAll(List<String> texts, List<String> pairs, int maxLength) {
        if (pairs == null) {
            return encodeAll(texts, maxLength);
        }
        List<TokenizedText> out = new ArrayList<>(texts.size());
        PairList<String, String> batch = new PairList<>();
        for (int i = 0; i < texts.size(); i++) {
            if (pairs.get(i) == null) {
                out.add(encode(texts.get(i), maxLength));
            } else {
                out.add(null);
                batch.add(texts.get(i), pairs.get(i));
            }
        }
        if (!batch.isEmpty()) {
            Encoding[] enc = forLength(maxLength).batchEncode(batch);
            int k = 0;
            for (int i = 0; i < out.size(); i++) {
                if (out.get(i) == null) {
                    out.set(i, convert(enc[k++]));
                }
            }
        }
        return out;
    }

    private static TokenizedText convert(Encoding e) {
        return new TokenizedText(e.getIds(), e.getTypeIds());
    }

    /** The tokenizer.json file this was loaded from. */
    public Path file() {
        return file;
    }

    /** Number of token ids the tokenizer can produce (its largest id + 1): rows a model's word embeddings need. */
    public int vocabularySize() {
        return vocabularySize;
    }

    /** SHA-256 of tokenizer.json, to tell whether two models share a tokenizer. */
    public String sha256() {
        return sha256;
    }

    @Override
    public void close() {
        byMaxLength.values().forEach(HuggingFaceTokenizer::close);
        byMaxLength.clear();
    }
}

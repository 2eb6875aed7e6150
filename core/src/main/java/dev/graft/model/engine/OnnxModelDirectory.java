package dev.graft.model.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.GraftException;
import dev.graft.model.EmbedOptions;
import dev.graft.model.Embedder;
import dev.graft.model.Pooling;
import dev.graft.text.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A directory {@code graft export --format onnx} wrote ({@code model.onnx}, {@code tokenizer.json},
 * {@code onnx_export.json}), opened as an embedding model without PyTorch weights: ONNX Runtime runs the graph, the
 * tokenizer and the pooling, normalisation and token limit recorded in {@code onnx_export.json} do the rest. This is
 * what a user who exported a (fine-tuned) retriever runs with {@code graft embed --model DIR}.
 */
public final class OnnxModelDirectory implements AutoCloseable {
    public static final String MODEL_FILE = "model.onnx";
    public static final String DESCRIPTION_FILE = "onnx_export.json";
    public static final String TOKENIZER_FILE = "tokenizer.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final JsonNode description;
    private final TextTokenizer tokenizer;

    private OnnxModelDirectory(Path dir, JsonNode description, TextTokenizer tokenizer) {
        this.dir = dir;
        this.description = description;
        this.tokenizer = tokenizer;
    }

    /** Whether {@code dir} holds an ONNX export (its model.onnx and onnx_export.json). */
    public static boolean isExport(Path dir) {
        return Files.isRegularFile(dir.resolve(MODEL_FILE)) && Files.isRegularFile(dir.resolve(DESCRIPTION_FILE));
    }

    /**
     * Reads the description and the tokenizer (the graph is read when an engine is opened).
     *
     * @throws GraftException naming the file that is missing or unreadable
     */
    public static OnnxModelDirectory open(Path dir) {
        if (!isExport(dir)) {
            throw new GraftException(dir + ": not an ONNX export (needs " + MODEL_FILE + " and " + DESCRIPTION_FILE
                    + ", as graft export --format onnx writes them)");
        }
        Path file = dir.resolve(DESCRIPTION_FILE);
        JsonNode d;
        try {
            d = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new GraftException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        for (String field : new String[] {"pooling", "normalize", "hidden_size", "max_positions"}) {
            if (!d.hasNonNull(field)) {
                throw new GraftException(file + ": field '" + field + "' is missing; export the model again with graft export --format onnx");
            }
        }
        Pooling.parse(d.get("pooling").asText()); // fail now, naming the value
        return new OnnxModelDirectory(dir, d, TextTokenizer.load(dir.resolve(TOKENIZER_FILE)));
    }

    /** The directory, as the model's name in messages and outputs. */
    public String id() {
        return dir.toString();
    }

    /** The model the export was made from ({@code base_model}), e.g. a bundled id; null if not recorded. */
    public String baseModel() {
        return description.hasNonNull("base_model") ? description.get("base_model").asText() : null;
    }

    public int hiddenSize() {
        return description.get("hidden_size").asInt();
    }

    public int maxPositions() {
        return description.get("max_positions").asInt();
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * The export's own embedding settings: its pooling and normalisation, its token limit ({@code max_length}, else
     * its positions), batch size 32 with the default token budget.
     */
    public EmbedOptions embedOptions() {
        int maxLength = description.hasNonNull("max_length") ? description.get("max_length").asInt() : maxPositions();
        return new EmbedOptions(Pooling.parse(description.get("pooling").asText()), description.get("normalize").asBoolean(),
                32, Math.min(maxLength, maxPositions()), "");
    }

    /** ONNX Runtime on {@code model.onnx}, with Graft's thread setting; the caller closes it. */
    public OrtEngine openEngine() {
        return InferenceEngines.openOnnx(OnnxGraphSource.read(dir.resolve(MODEL_FILE)), false);
    }

    /**
     * An embedder over {@code engine} (from {@link #openEngine}) with {@code options}.
     *
     * @throws GraftException if the max length exceeds the model's positions
     */
    public Embedder embedder(EmbedOptions options, OrtEngine engine) {
        if (options.maxLength() > maxPositions()) {
            throw new GraftException("max length " + options.maxLength() + " exceeds the " + maxPositions()
                    + " positions of " + id() + "; use a max length of at most " + maxPositions());
        }
        return new Embedder(tokenizer, 0, options, engine, id());
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}

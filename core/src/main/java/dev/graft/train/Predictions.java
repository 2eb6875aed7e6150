package dev.graft.train;

import dev.graft.GraftException;
import dev.graft.model.InferenceEngine;
import dev.graft.model.engine.EngineChoice;
import dev.graft.model.engine.InferenceEngines;
import dev.graft.text.TokenBudgetBatcher;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Predicts with a loaded {@link TaskModel} — what {@code graft predict} does:
 *
 * <pre>{@code
 * try (TaskModel model = TaskModelFiles.load(base, Path.of("my-adapter"), null)) {
 *     for (Prediction p : Predictions.of(model).batchSize(32).run(Path.of("new.csv"))) {
 *         System.out.println(p.label() + " " + p.probability());
 *     }
 * }
 * }</pre>
 *
 * Unset values take the CLI's defaults: at most 64 examples and {@value TokenBudgetBatcher#DEFAULT_MAX_BATCH_TOKENS}
 * padded tokens per batch ({@link TokenBudgetBatcher}), columns {@code text} and {@code text_pair} with labels optional.
 * Texts are cut at the model's own {@link TaskModel#maxLength()} (set it on the model to change it).
 */
public final class Predictions {
    private final TaskModel model;
    private int batchSize = 64;
    private int maxBatchTokens = TokenBudgetBatcher.DEFAULT_MAX_BATCH_TOKENS;
    private ExampleFiles.Reader columns = ExampleFiles.reader().labelsRequired(false);
    private EngineChoice engine = EngineChoice.PYTORCH;

    private Predictions(TaskModel model) {
        this.model = Objects.requireNonNull(model, "model");
    }

    /** Starts predicting with {@code model} (which stays open: the caller owns it). */
    public static Predictions of(TaskModel model) {
        return new Predictions(model);
    }

    /** The most examples per forward pass. */
    public Predictions batchSize(int n) {
        if (n < 1) {
            throw new GraftException("batch size must be at least 1, got " + n);
        }
        this.batchSize = n;
        return this;
    }

    /**
     * Which engine computes the encoder ({@code --engine}; PyTorch unless set). Another engine runs the base model's
     * graph, so it serves adapters that leave the encoder unchanged (a {@code head} adapter); {@code auto} uses
     * PyTorch for the others, {@code onnxruntime} refuses them.
     */
    public Predictions engine(EngineChoice choice) {
        this.engine = Objects.requireNonNull(choice, "engine");
        return this;
    }

    /**
     * The most padded tokens per forward pass (examples × the batch's longest example): long examples go in smaller
     * batches ({@code --max-batch-tokens}).
     */
    public Predictions maxBatchTokens(int tokens) {
        new TokenBudgetBatcher(tokens, batchSize); // validates, naming the option
        this.maxBatchTokens = tokens;
        return this;
    }

    /** Which columns {@link #run(Path)} reads (labels are never required for prediction). */
    public Predictions columns(ExampleFiles.Reader reader) {
        this.columns = reader.labelsRequired(false);
        return this;
    }

    /** Reads {@code file} (.csv, .tsv, .jsonl) and predicts every row, in file order. */
    public List<Prediction> run(Path file) {
        return run(columns.read(file));
    }

    /**
     * Predicts {@code examples} in order.
     *
     * @throws GraftException for a retrieval model, which embeds rather than predicts
     */
    public List<Prediction> run(List<Example> examples) {
        if (model.task() == Task.RETRIEVAL) {
            throw new GraftException("a retrieval model predicts embeddings, not labels: use TaskModel.embed");
        }
        // [n, classes] or [n, 1]
        float[][] scores;
        try (InferenceEngine e = openEngine()) {
            scores = model.predict(examples, model.maxLength(), new TokenBudgetBatcher(maxBatchTokens, batchSize), e);
        }
        List<String> classes = model.labels().names();
        List<Prediction> out = new ArrayList<>(examples.size());
        for (int i = 0; i < examples.size(); i++) {
            out.add(new Prediction(examples.get(i), model.task(), classes, scores[i]));
        }
        return out;
    }

    /** The base model's engine, or null for the adapted encoder on PyTorch. */
    private InferenceEngine openEngine() {
        if (engine == EngineChoice.PYTORCH || !model.encoderUnchanged() && engine == EngineChoice.AUTO) {
            return null;
        }
        if (!model.encoderUnchanged()) {
            throw new GraftException("--engine onnxruntime: the " + model.method().name() + " adapter changes the encoder"
                    + " and Graft has no ONNX graph of the adapted model (graft export --format onnx will write one);"
                    + " use --engine pytorch or auto");
        }
        return InferenceEngines.open(model.base(), engine, model.pooling(), false);
    }
}

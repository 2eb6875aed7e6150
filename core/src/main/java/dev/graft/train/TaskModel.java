package dev.graft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.model.BatchedRows;
import dev.graft.model.Embedder;
import dev.graft.model.EncoderModel;
import dev.graft.model.EncoderOutput;
import dev.graft.model.InferenceEngine;
import dev.graft.model.Pooling;
import dev.graft.model.TokenBatch;
import dev.graft.model.TokenIds;
import dev.graft.peft.Adaptation;
import dev.graft.peft.PeftMethod;
import dev.graft.text.TokenBudgetBatcher;
import dev.graft.text.TokenizedText;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A pretrained encoder with a PEFT method attached and a task head on its pooled output: the thing that trains,
 * evaluates and predicts. Shapes: B batch, T tokens, H hidden, C outputs.
 */
public final class TaskModel implements AutoCloseable {
    /** The token limit of a model that records none (capped at the encoder's positions). */
    public static final int DEFAULT_MAX_LENGTH = 128;

    private final EncoderModel base;
    private final PeftMethod method;
    private final ObjectNode methodConfig;
    private final Adaptation adaptation;
    private final TaskHead head;
    private final Task task;
    private final LabelSpace labels;
    private final Pooling pooling;
    private final NDManager manager;
    private final Map<String, Parameter> trainable = new LinkedHashMap<>();
    private int maxLength;

    /**
     * @param base         the pretrained encoder (not closed by this model)
     * @param method       the PEFT method
     * @param methodConfig its resolved config (see {@link PeftMethod#resolveConfig})
     * @param labels       the task and its labels
     * @param pooling      how token states become the head's input
     * @param seed         initialises the method's and the head's parameters
     */
    public TaskModel(EncoderModel base, PeftMethod method, ObjectNode methodConfig, LabelSpace labels, Pooling pooling,
                     long seed) {
        this.base = base;
        this.method = method;
        this.methodConfig = methodConfig;
        this.task = labels.task();
        this.labels = labels;
        this.pooling = pooling;
        this.maxLength = defaultMaxLength(base);
        this.manager = base.manager().newSubManager();
        this.adaptation = method.attach(base.encoder(), methodConfig, manager, seed);
        trainable.putAll(adaptation.parameters());
        if (pooling == Pooling.POOLER) {
            Parameter w = base.namedParameters().get("pooler.dense.weight");
            if (w == null) {
                throw new GraftException("pooling 'pooler' needs a model with pooler weights; " + base.info().id() + " has none");
            }
        }
        if (labels.outputs() > 0) {
            head = new TaskHead(base.info().hiddenSize(), labels.outputs(), 0.1f);
            initHead(seed);
            head.namedParameters(TaskHead.NAME).forEach(trainable::put);
        } else {
            head = null;
        }
    }

    /** HF's BERT initialisation for the head: normal(0, 0.02) weights, zero bias. */
    private void initHead(long seed) {
        Random r = new Random(seed ^ 0x5DEECE66DL);
        int out = head.outFeatures();
        int in = head.inFeatures();
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * 0.02);
        }
        head.weight().setArray(dev.graft.runtime.Arrays2.owned(manager, w, new Shape(out, in)));
        head.bias().setArray(manager.zeros(new Shape(out)));
    }

    /**
     * Pooled sentence representations.
     *
     * @return [B, H]
     */
    public NDArray pooled(TokenBatch in, boolean training) {
        EncoderOutput out = adaptation.encode(base.encoder(), in.ids(), in.mask(), in.typeIds(), training);
        return Embedder.pool(out, in.mask(), pooling);
    }

    /**
     * Head outputs (logits for classification, the value for regression).
     *
     * @return [B, C]
     */
    public NDArray forward(TokenBatch in, boolean training) {
        if (head == null) {
            throw new IllegalStateException("a retrieval model has no head; use pooled()");
        }
        return head.forward(pooled(in, training), training);
    }

    /** Parameters that train: the method's, then the head's ({@code classifier.weight}, {@code classifier.bias}). */
    public Map<String, Parameter> trainable() {
        return Collections.unmodifiableMap(trainable);
    }

    /** Number of trainable weights. */
    public long trainableCount() {
        return trainable.values().stream().mapToLong(p -> p.getArray().size()).sum();
    }

    /**
     * Tokenises examples (text and optional pair) at the given maximum length.
     *
     * @throws dev.graft.GraftException if {@code maxLength} exceeds the base model's position embeddings
     */
    public List<TokenizedText> tokenize(List<Example> examples, int maxLength) {
        base.checkMaxLength(maxLength);
        List<String> texts = new ArrayList<>(examples.size());
        List<String> pairs = new ArrayList<>(examples.size());
        boolean anyPair = false;
        for (Example e : examples) {
            texts.add(e.text());
            pairs.add(task == Task.RETRIEVAL ? null : e.pair());
            anyPair |= e.pair() != null && task != Task.RETRIEVAL;
        }
        return base.tokenizer().encodeAll(texts, anyPair ? pairs : null, maxLength);
    }

    /**
     * The adapted encoder's pooled representation of each example (what the head reads), in input order.
     *
     * @param batcher how examples are cut into batches (a token budget and a batch size)
     * @return [examples][hidden]
     */
    public float[][] embed(List<Example> examples, int maxLength, TokenBudgetBatcher batcher) {
        return BatchedRows.of(base.manager(), tokenize(examples, maxLength), batcher, in -> pooled(in, false));
    }

    /** As {@link #embed(List, int, TokenBudgetBatcher)} with the default token budget and at most {@code batchSize} examples per batch. */
    public float[][] embed(List<Example> examples, int maxLength, int batchSize) {
        return embed(examples, maxLength, TokenBudgetBatcher.withBatchSize(batchSize));
    }

    /** As {@link #embed(List, int, int)} at the model's own {@link #maxLength()}. */
    public float[][] embed(List<Example> examples, int batchSize) {
        return embed(examples, maxLength, batchSize);
    }

    /** As {@link #predict(List, int, int)} at the model's own {@link #maxLength()}. */
    public float[][] predict(List<Example> examples, int batchSize) {
        return predict(examples, maxLength, batchSize);
    }

    /** {@value #DEFAULT_MAX_LENGTH} tokens, or fewer when {@code base} has fewer position embeddings. */
    public static int defaultMaxLength(EncoderModel base) {
        return Math.min(DEFAULT_MAX_LENGTH, base.info().maxPositions());
    }

    /**
     * The token limit per example this model was trained with or is served at: the one recorded with a saved adapter
     * ({@code graft_task.json}), else {@value #DEFAULT_MAX_LENGTH} capped at the encoder's positions.
     */
    public int maxLength() {
        return maxLength;
    }

    /**
     * Sets the token limit per example (training sets it from its config; loading from what the adapter recorded;
     * a user's {@code --max-length} overrides both).
     *
     * @throws GraftException when {@code tokens} is below 2 or beyond the encoder's position embeddings
     */
    public TaskModel maxLength(int tokens) {
        if (tokens < 2) {
            throw new GraftException("max length must be at least 2 tokens ([CLS] and [SEP]), got " + tokens);
        }
        base.checkMaxLength(tokens);
        this.maxLength = tokens;
        return this;
    }

    /**
     * Per-example predictions in input order: class probabilities, label probabilities, or the value.
     *
     * @param batcher how examples are cut into batches (a token budget and a batch size)
     * @return [examples][C]
     */
    public float[][] predict(List<Example> examples, int maxLength, TokenBudgetBatcher batcher) {
        return predict(examples, maxLength, batcher, null);
    }

    /** As {@link #predict(List, int, TokenBudgetBatcher)} with the default token budget and at most {@code batchSize} examples per batch. */
    public float[][] predict(List<Example> examples, int maxLength, int batchSize) {
        return predict(examples, maxLength, TokenBudgetBatcher.withBatchSize(batchSize));
    }

    /**
     * As {@link #predict(List, int, TokenBudgetBatcher)}, computed by {@code engine}: entirely, when the engine computes this model's
     * head too ({@link InferenceEngine#hasTaskOutputs()}: the ONNX graph of this task model); otherwise the engine (of
     * the base model, e.g. ONNX Runtime) computes the pooled representations and only the head runs here. Null runs
     * the adapted encoder on PyTorch.
     *
     * @throws GraftException if an engine of the base model is given but the adapter changes the encoder
     *                        ({@link #encoderUnchanged()})
     */
    public float[][] predict(List<Example> examples, int maxLength, TokenBudgetBatcher batcher, InferenceEngine engine) {
        if (task == Task.RETRIEVAL) {
            throw new GraftException("a retrieval model predicts embeddings: use embed");
        }
        if (engine != null && engine.hasTaskOutputs()) {
            return predictOn(engine, tokenize(examples, maxLength), batcher);
        }
        if (engine != null && !encoderUnchanged()) {
            throw new GraftException("the " + method.name() + " adapter changes the encoder, so the base model's "
                    + engine.name() + " engine cannot compute it; predict on PyTorch");
        }
        return BatchedRows.ofTexts(base.manager(), tokenize(examples, maxLength), batcher, (batch, scope) -> {
            NDArray logits = engine == null ? forward(TokenBatch.of(batch, scope), false)
                    : head.forward(pooledBy(engine, batch, scope), false);
            return switch (task) {
                case CLASSIFICATION -> logits.softmax(1);
                case MULTI_LABEL -> logits.getNDArrayInternal().sigmoid();
                default -> logits;
            };
        });
    }

    /** The whole model run by {@code engine}, batch by batch: [examples][C] in the examples' order. */
    private static float[][] predictOn(InferenceEngine engine, List<TokenizedText> tokens, TokenBudgetBatcher batcher) {
        return BatchedRows.gather(tokens, batcher, batch -> engine.taskOutputs(TokenIds.pad(batch)));
    }

    /** The head's input from another engine: [B, H] in {@code scope}. */
    private NDArray pooledBy(InferenceEngine engine, List<TokenizedText> batch, NDManager scope) {
        float[][] rows = engine.embed(TokenIds.pad(batch), pooling, false);
        int h = rows[0].length;
        float[] flat = new float[rows.length * h];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * h, h);
        }
        return dev.graft.runtime.Arrays2.owned(scope, flat, new Shape(rows.length, h));
    }

    /**
     * Whether the adapted encoder computes exactly the base encoder (a head-only adapter: the method saves no
     * tensors), so that any inference engine of the base model can compute the head's input.
     */
    public boolean encoderUnchanged() {
        return adaptation.savedParameters().isEmpty();
    }

    public EncoderModel base() {
        return base;
    }

    public PeftMethod method() {
        return method;
    }

    public ObjectNode methodConfig() {
        return methodConfig;
    }

    public Adaptation adaptation() {
        return adaptation;
    }

    public Task task() {
        return task;
    }

    public LabelSpace labels() {
        return labels;
    }

    public Pooling pooling() {
        return pooling;
    }

    /** The head, or null for retrieval. */
    public TaskHead head() {
        return head;
    }

    /** Owns the method's and head's parameters. */
    public NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        adaptation.close();
        manager.close();
    }
}

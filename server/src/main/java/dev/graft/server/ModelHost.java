package dev.graft.server;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import dev.graft.GraftException;
import dev.graft.model.BatchedRows;
import dev.graft.model.EmbedOptions;
import dev.graft.model.EncoderModel;
import dev.graft.model.PytorchEngine;
import dev.graft.model.TokenBatch;
import dev.graft.model.TokenIds;
import dev.graft.peft.AdapterFiles;
import dev.graft.peft.RecordedBase;
import dev.graft.text.TokenBudgetBatcher;
import dev.graft.text.TokenizedText;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.tune.TaskModelFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ONE base model and the adapters loaded onto it. Everything that touches the model runs on the compute thread
 * ({@link BatchScheduler}); the read-only facts (names, limits, labels) are safe from any thread.
 *
 * <p>Adapters are loaded lazily by {@link TaskModelFiles#load} onto the shared base and kept in an LRU cache of at most
 * {@code maxLoaded} (preloaded ones pinned). Loading installs the method's hooks on the base encoder; the host takes
 * them off at once ({@link AdapterHooks}) and installs one adapter's hooks only around its own batches. Methods whose
 * weights ARE the base's (full fine-tuning, BitFit) would overwrite the shared base when loaded: they are refused.
 */
final class ModelHost implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelHost.class);

    /** A loaded adapter. */
    record Loaded(String name, TaskModel model, AdapterHooks hooks) {
    }

    /** What an adapter is, read from its files without loading it (for /v1/models and request checks). */
    record AdapterFacts(Task task, List<String> labels, int maxLength) {
    }

    private final EncoderModel base;
    private final String baseName;
    private final EmbedOptions baseOptions;
    private final PytorchEngine engine;
    private final AdapterNames names;
    private final int maxLoaded;
    private final Set<String> pinned;
    /** Access order: the eldest is the least recently used. Compute thread only. */
    private final LinkedHashMap<String, Loaded> loaded = new LinkedHashMap<>(16, 0.75f, true);
    /** Names loaded now, for /v1/models from HTTP threads. */
    private final Set<String> loadedNames = ConcurrentHashMap.newKeySet();
    private final Map<Path, AdapterFacts> facts = new ConcurrentHashMap<>();
    private Loaded active;
    private volatile long loads;
    private volatile long evictions;

    ModelHost(EncoderModel base, String baseName, Path adapterRoot, int maxLoaded, List<String> pinned) {
        this.base = base;
        this.baseName = baseName;
        this.baseOptions = EmbedOptions.defaults(base);
        this.engine = new PytorchEngine(base);
        this.names = new AdapterNames(adapterRoot);
        this.maxLoaded = maxLoaded;
        this.pinned = Set.copyOf(pinned);
    }

    EncoderModel base() {
        return base;
    }

    String baseName() {
        return baseName;
    }

    AdapterNames names() {
        return names;
    }

    /** Whether {@code model} (a request's model field) names the base rather than an adapter. */
    boolean isBase(String model) {
        return model == null || model.isEmpty() || model.equals(baseName) || model.equals(base.info().id())
                || base.bundled().map(b -> b.hfRepo().equals(model)).orElse(false);
    }

    /** The token limit of the base's embeddings. */
    int baseMaxLength() {
        return baseOptions.maxLength();
    }

    int hiddenSize() {
        return base.info().hiddenSize();
    }

    List<String> loadedAdapters() {
        return loadedNames.stream().sorted().toList();
    }

    long loads() {
        return loads;
    }

    long evictions() {
        return evictions;
    }

    /** An adapter's task, labels and token limit, from its files (any thread; cached). */
    AdapterFacts facts(Path dir) {
        return facts.computeIfAbsent(dir, d -> {
            TaskModelFiles.TaskInfo info = TaskModelFiles.readTask(d);
            if (info == null) {
                return new AdapterFacts(null, List.of(), TaskModel.defaultMaxLength(base));
            }
            return new AdapterFacts(info.task(), info.labels(), Math.min(info.maxLength(), base.info().maxPositions()));
        });
    }

    // ---- compute thread only below ----

    /** Loads the preloaded adapters (at start, on the compute thread). */
    void preload() {
        for (String p : pinned) {
            adapter(p, names.resolve(p));
        }
    }

    /**
     * Embeddings of the base model or an adapter's encoder, pooled as that model pools, not normalised.
     *
     * @param adapter null for the base
     * @return [texts][hidden] in the order of {@code tokens}
     */
    float[][] embed(Loaded adapter, List<TokenizedText> tokens, TokenBudgetBatcher batcher) {
        activate(adapter);
        if (adapter == null) {
            return BatchedRows.gather(tokens, batcher,
                    batch -> engine.embed(TokenIds.pad(batch), baseOptions.pooling(), false));
        }
        TaskModel m = adapter.model();
        return BatchedRows.of(base.manager(), tokens, batcher, in -> m.pooled(in, false));
    }

    /**
     * An adapter's head outputs: probabilities (softmax for classification, sigmoid for multi-label) or, with
     * {@code raw}, the logits; the value for regression.
     *
     * @return [texts][C]
     */
    float[][] predict(Loaded adapter, List<TokenizedText> tokens, TokenBudgetBatcher batcher, boolean raw) {
        activate(adapter);
        TaskModel m = adapter.model();
        Task task = m.task();
        return BatchedRows.ofTexts(base.manager(), tokens, batcher, (batch, scope) -> {
            NDArray logits = m.forward(TokenBatch.of(batch, scope), false);
            if (raw) {
                return logits;
            }
            return switch (task) {
                case CLASSIFICATION -> logits.softmax(1);
                case MULTI_LABEL -> logits.getNDArrayInternal().sigmoid();
                default -> logits;
            };
        });
    }

    /** Installs {@code adapter}'s hooks (and only its), or none for the base. */
    private void activate(Loaded adapter) {
        if (active == adapter) {
            return;
        }
        if (active != null) {
            active.hooks().detach();
        }
        active = adapter;
        if (adapter != null) {
            adapter.hooks().attach();
        }
    }

    /**
     * The adapter named {@code name} at {@code dir}, loaded on first use.
     *
     * @throws ApiException 422 when it cannot be served (another base, a method that rewrites the base's weights,
     *                      damaged files)
     */
    Loaded adapter(String name, Path dir) {
        Loaded l = loaded.get(name);
        if (l != null) {
            return l;
        }
        activate(null); // the base bare while loading, so the new adapter's hooks are exactly what the load adds
        refuseIfItWritesTheBase(name, dir);
        evictFor(1);
        long t0 = System.nanoTime();
        AdapterHooks before = AdapterHooks.capture(base.encoder());
        TaskModel model;
        try {
            model = TaskModelFiles.load(base, dir, null, RecordedBase.Policy.REFUSE);
        } catch (GraftException e) {
            throw ApiException.validation("adapter '" + name + "' cannot be served: "
                    + e.getMessage().replace(dir.toString(), name));
        }
        AdapterHooks hooks = AdapterHooks.added(before, AdapterHooks.capture(base.encoder()));
        hooks.detach();
        l = new Loaded(name, model, hooks);
        loaded.put(name, l);
        loadedNames.add(name);
        loads++;
        LOG.info("loaded adapter '{}' ({}, {}) in {} ms", name, model.method().name(), model.task().cliName(),
                (System.nanoTime() - t0) / 1_000_000);
        return l;
    }

    /**
     * Full fine-tuning and BitFit train the base's own tensors: loading one writes into the shared base. Probed by
     * attaching the method to the encoder with a scratch manager and asking whether its parameters are the base's
     * (attaching creates or names parameters; only loading writes values).
     */
    private void refuseIfItWritesTheBase(String name, Path dir) {
        AdapterFiles.MethodConfig mc;
        try {
            mc = AdapterFiles.readMethod(dir, base.encoder());
        } catch (GraftException e) {
            throw ApiException.validation("adapter '" + name + "' cannot be served: " + e.getMessage().replace(dir.toString(), name));
        }
        Map<Parameter, Boolean> baseParams = new IdentityHashMap<>();
        base.namedParameters().values().forEach(p -> baseParams.put(p, true));
        boolean writes = false;
        try (var scratch = base.manager().newSubManager();
             var a = mc.method().attach(base.encoder(), mc.method().inferenceConfig(mc.config()), scratch, 0)) {
            for (Parameter p : a.parameters().values()) {
                writes |= baseParams.containsKey(p);
            }
        }
        if (writes) {
            throw ApiException.validation("adapter '" + name + "' (" + mc.method().name() + ") changes the base model's own"
                    + " weights, so it cannot share the base with other adapters; serve it as a model of its own"
                    + " (graft export --merge, then graft serve --model DIR)");
        }
    }

    /** Evicts least recently used, unpinned adapters until {@code room} more fit. */
    private void evictFor(int room) {
        Iterator<Map.Entry<String, Loaded>> it = loaded.entrySet().iterator();
        while (loaded.size() + room > maxLoaded && it.hasNext()) {
            Map.Entry<String, Loaded> e = it.next();
            if (pinned.contains(e.getKey())) {
                continue;
            }
            it.remove();
            loadedNames.remove(e.getKey());
            e.getValue().model().close();
            evictions++;
            LOG.info("evicted adapter '{}' (least recently used)", e.getKey());
        }
    }

    @Override
    public void close() {
        activate(null);
        for (Loaded l : new ArrayList<>(loaded.values())) {
            l.model().close();
        }
        loaded.clear();
        loadedNames.clear();
        engine.close();
    }
}

package dev.graft.distill;

import dev.graft.GraftException;
import dev.graft.model.EmbedOptions;
import dev.graft.model.Embedder;
import dev.graft.model.EncoderModel;
import dev.graft.peft.AdapterFiles;
import dev.graft.runtime.Progress;
import dev.graft.text.TokenBudgetBatcher;
import dev.graft.train.Example;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.tune.ModelRef;
import dev.graft.tune.TaskModelFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The model a student learns from: one trained adapter (on the base model it records, or one given), a merged model
 * with its head, a model exported with its head ({@link ModelRef}), a plain model (its embeddings), or an ensemble of several whose class probabilities are averaged
 * with weights. Each member tokenizes the texts with its own tokenizer, so teacher and student may differ in
 * architecture and vocabulary: only outputs are compared. Members are loaded one at a time and closed after use, so
 * an ensemble costs the memory of its largest member.
 */
public final class Teacher {
    /**
     * One member.
     *
     * @param source  an adapter directory ({@code adapter_config.json}), or a bundled model id / model directory
     *                (embeddings only)
     * @param base    the base model for an adapter; null = the one the adapter records
     * @param weight  its share of the ensemble's average (&gt; 0)
     */
    public record Member(String source, String base, double weight) {
        public Member {
            Objects.requireNonNull(source, "source");
            if (!(weight > 0) || !Double.isFinite(weight)) {
                throw new GraftException("teacher weight must be a positive number, got " + weight + " for " + source);
            }
        }

        /**
         * Whether the member is a task model on disk (an adapter, a merged model with its head, a model exported with
         * its head: see {@link ModelRef}); else a plain model, whose embeddings teach.
         */
        public boolean isTaskModel() {
            Path p;
            try {
                p = Path.of(source);
            } catch (java.nio.file.InvalidPathException e) {
                return false;
            }
            return Files.isDirectory(p) && (Files.isRegularFile(p.resolve(AdapterFiles.CONFIG))
                    || Files.isDirectory(p.resolve("heads")) || Files.isRegularFile(p.resolve(AdapterFiles.TASK)));
        }

        /** The task model this member names (nothing loaded yet). */
        ModelRef ref() {
            return ModelRef.of(Path.of(source), base, "--teacher-model");
        }

        /** The base model the member runs on. */
        String baseModel() {
            return isTaskModel() ? ref().baseModel() : source;
        }
    }

    private final List<Member> members;
    private final Task task;
    private final List<String> labels;

    private Teacher(List<Member> members, Task task, List<String> labels) {
        this.members = List.copyOf(members);
        this.task = task;
        this.labels = labels;
    }

    /** A single teacher. */
    public static Teacher of(String source, String base) {
        return of(List.of(new Member(source, base, 1)));
    }

    /**
     * An ensemble; every member must solve the same task with the same label names (in any order: outputs are
     * aligned to the first member's order).
     *
     * @throws GraftException naming the two members and their label lists when they differ
     */
    public static Teacher of(List<Member> members) {
        if (members.isEmpty()) {
            throw new GraftException("no teacher: give --teacher DIR (an adapter) or a model id");
        }
        Task task = null;
        List<String> labels = null;
        Member first = null;
        for (Member m : members) {
            Task t;
            List<String> l;
            if (m.isTaskModel()) {
                ModelRef ref = m.ref();
                TaskModelFiles.TaskInfo info = TaskModelFiles.readTask(ref.adapter() != null ? ref.adapter() : ref.dir());
                t = info == null ? Task.CLASSIFICATION : info.task();
                l = info == null ? List.of() : info.labels();
            } else {
                t = Task.RETRIEVAL; // a plain model teaches its embeddings
                l = List.of();
            }
            if (task == null) {
                task = t;
                labels = l;
                first = m;
            } else if (t != task) {
                throw new GraftException("teachers solve different tasks: " + first.source() + " " + task.cliName()
                        + ", " + m.source() + " " + t.cliName());
            } else if (!new java.util.HashSet<>(l).equals(new java.util.HashSet<>(labels))) {
                throw new GraftException("teachers have different labels: " + first.source() + " " + labels + ", "
                        + m.source() + " " + l);
            }
        }
        if (task != Task.CLASSIFICATION && task != Task.RETRIEVAL) {
            throw new GraftException(first.source() + ": distillation supports classifiers and embedding models, not "
                    + task.cliName());
        }
        if (task == Task.RETRIEVAL && members.size() > 1) {
            throw new GraftException("an ensemble of embedding teachers is not supported (their spaces differ); give one");
        }
        return new Teacher(members, task, labels);
    }

    public Task task() {
        return task;
    }

    /** Class names in the order of {@link #logProbabilities}'s columns (empty for embeddings). */
    public List<String> labels() {
        return labels;
    }

    public List<Member> members() {
        return members;
    }

    /**
     * The ensemble's class log-probabilities: log Σ_m w_m p_m / Σ_m w_m.
     *
     * @param maxLength token limit per text; 0 = each member's own (the one its adapter was trained with)
     * @return [texts][classes] in {@link #labels()} order
     */
    public float[][] logProbabilities(List<Example> texts, int maxLength, TokenBudgetBatcher batcher, Progress progress) {
        if (task != Task.CLASSIFICATION) {
            throw new GraftException("the teacher is an embedding model: it gives embeddings, not class probabilities");
        }
        double[][] sum = new double[texts.size()][labels.size()];
        double total = 0;
        for (Member m : members) {
            progress.message("teacher " + m.source() + ": predicting " + texts.size() + " texts");
            float[][] p;
            List<String> order;
            try (ModelRef.Loaded loaded = m.ref().load(null, null)) {
                TaskModel model = loaded.model();
                p = model.predict(texts, maxLength > 0 ? Math.min(maxLength, loaded.base().info().maxPositions())
                        : model.maxLength(), batcher);
                order = model.labels().names();
            }
            for (int k = 0; k < labels.size(); k++) {
                int from = order.indexOf(labels.get(k));
                for (int i = 0; i < p.length; i++) {
                    sum[i][k] += m.weight() * p[i][from];
                }
            }
            total += m.weight();
        }
        float[][] out = new float[texts.size()][labels.size()];
        for (int i = 0; i < out.length; i++) {
            for (int k = 0; k < labels.size(); k++) {
                out[i][k] = (float) Math.log(Math.max(sum[i][k] / total, 1e-30));
            }
        }
        return out;
    }

    /**
     * The teacher's embeddings (a plain model: its own pooling and normalisation; a retrieval adapter: its pooled
     * vectors, normalised).
     *
     * @return [texts][hidden]
     */
    public float[][] embeddings(List<Example> texts, int maxLength, TokenBudgetBatcher batcher, Progress progress) {
        if (task != Task.RETRIEVAL) {
            throw new GraftException("the teacher is a classifier: it gives class probabilities, not embeddings");
        }
        Member m = members.get(0);
        progress.message("teacher " + m.source() + ": embedding " + texts.size() + " texts");
        if (m.isTaskModel()) {
            try (ModelRef.Loaded loaded = m.ref().load(null, null)) {
                TaskModel model = loaded.model();
                int length = maxLength > 0 ? Math.min(maxLength, loaded.base().info().maxPositions()) : model.maxLength();
                float[][] rows = model.embed(texts, length, batcher);
                dev.graft.model.Pooling.normalizeRows(rows);
                return rows;
            }
        }
        try (EncoderModel base = EncoderModel.load(m.baseModel())) {
            int length = maxLength > 0 ? Math.min(maxLength, base.info().maxPositions()) : 0;
            EmbedOptions o = EmbedOptions.defaults(base, null, length > 0 ? length : null)
                    .withMaxBatchTokens(batcher.maxBatchTokens()).withBatchSize(batcher.maxBatchSize());
            List<String> strings = new ArrayList<>(texts.size());
            texts.forEach(e -> strings.add(e.text()));
            return new Embedder(base, o).embed(strings, progress);
        }
    }

    /**
     * Trans-LoRA's discriminator filter run on the teacher's own view of the texts: the features its (first member's)
     * head reads, or a plain model's embeddings, so "task-like" means what the task's model sees.
     *
     * @see PoolFilter#filter(TaskModel, int, List, List, int, Progress)
     */
    public PoolFilter.Report filterPool(PoolFilter filter, List<Example> seeds, List<Example> pool, int keep, int batchSize,
                                        Progress progress) {
        Member m = members.get(0);
        progress.message("pool filter: " + seeds.size() + " seeds against " + pool.size() + " pool texts, with " + m.source());
        if (m.isTaskModel()) {
            try (ModelRef.Loaded loaded = m.ref().load(null, null)) {
                return filter.filter(loaded.model(), batchSize, seeds, pool, keep, progress);
            }
        }
        try (EncoderModel base = EncoderModel.load(m.baseModel())) {
            return filter.filter(base, null, seeds, pool, keep, progress);
        }
    }

    /** What the provenance records: each member's source, base and weight. */
    public List<Map<String, Object>> describe() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Member m : members) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("source", m.source());
            d.put("base_model", m.baseModel());
            d.put("weight", m.weight());
            out.add(d);
        }
        return out;
    }
}

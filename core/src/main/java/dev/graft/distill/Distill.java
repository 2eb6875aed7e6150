package dev.graft.distill;

import dev.graft.GraftException;
import dev.graft.io.Provenance;
import dev.graft.model.EmbedOptions;
import dev.graft.model.Embedder;
import dev.graft.model.EncoderModel;
import dev.graft.runtime.Progress;
import dev.graft.text.TokenBudgetBatcher;
import dev.graft.train.Distillation;
import dev.graft.train.Example;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.tune.TaskModelFiles;
import dev.graft.tune.Tuning;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * Knowledge distillation from a {@link Teacher} into a student model trained with any PEFT method — what
 * {@code graft distill} does:
 *
 * <pre>{@code
 * try (EncoderModel student = EncoderModel.load("all-minilm-l6-v2")) {
 *     Distill.Result r = Distill.of(student, Teacher.of("bge-adapter", null))
 *             .unlabelled(texts, Path.of("pool.txt"))
 *             .tuning(t -> t.method("lora"))
 *             .run(Path.of("student-adapter"));
 * }
 * }</pre>
 *
 * The teacher labels the transfer texts once, before training (its outputs are kept, the model closed), so teacher
 * and student never share memory, tokenizer or architecture. Texts without a label get the teacher's top class as a
 * pseudo-label: the linear-probe head and the model selection on a held-out slice use it (selection then measures
 * agreement with the teacher), the loss uses only the teacher's distribution. The training itself is
 * {@link Tuning}'s: the budget, holdout, LP-FT head, checkpoints and provenance are the same as {@code graft tune}'s.
 */
public final class Distill {
    /** Default temperature: DistilBERT's choice, softening enough to show the teacher's ranking of wrong classes. */
    public static final double DEFAULT_TEMPERATURE = 2.0;
    /** Default weight of the hard labels when the transfer data has some (Hinton et al. weigh both terms). */
    public static final double DEFAULT_ALPHA = 0.5;

    private final EncoderModel student;
    private final Teacher teacher;
    private final List<Example> labelled = new ArrayList<>();
    private final List<Example> unlabelled = new ArrayList<>();
    private final Map<String, Path> files = new LinkedHashMap<>();
    private double temperature = DEFAULT_TEMPERATURE;
    private Double alpha;
    private Partition partition = Partition.NONE;
    private Path startFrom;
    private double focalAlpha = 1;
    private double focalBeta;
    private Distillation.EmbeddingLoss embeddingLoss = Distillation.EmbeddingLoss.COSINE;
    private int teacherMaxLength;
    private TokenBudgetBatcher batcher = TokenBudgetBatcher.withBatchSize(32);
    private Progress progress = Progress.NONE;
    private Consumer<Tuning> tuning = t -> { };
    private int keptFromPool;

    private Distill(EncoderModel student, Teacher teacher) {
        this.student = Objects.requireNonNull(student, "student");
        this.teacher = Objects.requireNonNull(teacher, "teacher");
    }

    /** Distils {@code teacher} into {@code student} (which stays open and unchanged: the adapter is new). */
    public static Distill of(EncoderModel student, Teacher teacher) {
        return new Distill(student, teacher);
    }

    /** Labelled transfer examples (their labels join the loss with weight α); {@code file} is recorded with its hash. */
    public Distill labelled(List<Example> examples, Path file) {
        labelled.addAll(examples);
        if (file != null) {
            files.put("labelled", file);
        }
        return this;
    }

    /** Transfer texts without labels (their labels, if any, are ignored); {@code file} is recorded with its hash. */
    public Distill unlabelled(List<Example> texts, Path file) {
        for (Example e : texts) {
            unlabelled.add(new Example(e.text(), e.pair(), null, e.source()));
        }
        if (file != null) {
            files.put("unlabelled", file);
        }
        return this;
    }

    /** Transfer texts a {@link PoolFilter} kept from {@code poolFile} (recorded with its hash and the count kept). */
    public Distill filteredPool(List<Example> kept, Path poolFile) {
        int before = unlabelled.size();
        unlabelled(kept, null);
        keptFromPool += unlabelled.size() - before;
        if (poolFile != null) {
            files.put("filtered_pool", poolFile);
        }
        return this;
    }

    /** T &gt; 0 softening both distributions (default {@value #DEFAULT_TEMPERATURE}). */
    public Distill temperature(double t) {
        this.temperature = t;
        return this;
    }

    /** Weight of the hard-label loss (default {@value #DEFAULT_ALPHA} with labelled data, 0 without). */
    public Distill alpha(double a) {
        this.alpha = a;
        return this;
    }

    /** Plain distillation or Roth et al.'s confidence partitioning (which needs {@link #startFrom}). */
    public Distill partition(Partition p) {
        this.partition = Objects.requireNonNull(p, "partition");
        return this;
    }

    /**
     * The student's trained adapter to continue from (a student that already solves the task, as in Fantastic Gains):
     * its method, head and labels; its original predictions are the other side of {@link Partition#CONFIDENCE}.
     */
    public Distill startFrom(Path adapter) {
        this.startFrom = adapter;
        return this;
    }

    /**
     * Focal distillation (Yan et al. 2021): each example's soft term weighs {@code alpha + beta · [teacher right]},
     * so the student follows the teacher most where the teacher was right (cuts negative flips against it). Needs
     * labels; unlabelled examples weigh {@code alpha}. Default 1, 0 (plain distillation).
     */
    public Distill focal(double alpha, double beta) {
        if (!(alpha >= 0) || !(beta >= 0)) {
            throw new GraftException("--focal-alpha and --focal-beta must be non-negative, got " + alpha + ", " + beta);
        }
        this.focalAlpha = alpha;
        this.focalBeta = beta;
        return this;
    }

    /** How student and teacher embeddings are compared (embedding teachers; default cosine). */
    public Distill embeddingLoss(Distillation.EmbeddingLoss loss) {
        this.embeddingLoss = Objects.requireNonNull(loss, "loss");
        return this;
    }

    /** Token limit for the teacher's inputs; 0 (default) = each teacher's own. */
    public Distill teacherMaxLength(int tokens) {
        this.teacherMaxLength = tokens;
        return this;
    }

    /** How the teacher's inputs are batched. */
    public Distill batcher(TokenBudgetBatcher b) {
        this.batcher = Objects.requireNonNull(b, "batcher");
        return this;
    }

    public Distill progress(Progress p) {
        this.progress = Objects.requireNonNull(p, "progress");
        return this;
    }

    /** Settings of the student's training (method, options, learning rate, budget, max length, eval data, ...). */
    public Distill tuning(Consumer<Tuning> settings) {
        this.tuning = Objects.requireNonNull(settings, "settings");
        return this;
    }

    /**
     * What a distillation gives back.
     *
     * @param tuning            the student's training run (its adapter directory, metrics, budget, ...)
     * @param transferExamples  texts the student learned from (labelled + unlabelled)
     * @param labelledExamples  of which with a real label
     * @param teacherConfidence mean of the teacher's top probability over the transfer texts (NaN for embeddings)
     * @param teacherAccuracy   the teacher's accuracy on the labelled transfer examples (NaN without any)
     * @param followedTeacher   examples whose target is the teacher's (all of them without partitioning)
     */
    public record Result(Tuning.Result tuning, int transferExamples, int labelledExamples, double teacherConfidence,
                         double teacherAccuracy, int followedTeacher) {
    }

    /**
     * Labels the transfer texts with the teacher, trains the student, writes its adapter into {@code output}.
     *
     * @throws GraftException for an empty transfer set, labels the teacher does not know, a partition without a
     *                        student adapter, or any training error
     */
    public Result run(Path output) {
        List<Example> transfer = new ArrayList<>(labelled);
        transfer.addAll(unlabelled);
        if (transfer.isEmpty()) {
            throw new GraftException("no transfer data: give labelled examples (--train) or texts (--unlabeled)");
        }
        Tuning t = Tuning.of(student).progress(progress);
        tuning.accept(t);
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("teachers", teacher.describe());
        Map<String, Object> data = new LinkedHashMap<>();
        files.forEach((role, f) -> data.put(role, Map.of("path", f.toString(), "sha256", Provenance.sha256(f))));
        data.put("labelled_examples", labelled.size());
        data.put("unlabelled_examples", unlabelled.size());
        if (files.containsKey("filtered_pool")) {
            data.put("kept_from_pool", keptFromPool);
        }
        record.put("transfer_data", data);
        Result partial;
        if (teacher.task() == Task.RETRIEVAL) {
            partial = embeddingTargets(t, transfer, record);
        } else {
            partial = classTargets(t, transfer, record);
        }
        t.provenance("distillation", record);
        if (startFrom != null) {
            t.startFrom(startFrom);
        }
        Tuning.Result r = t.run(output);
        return new Result(r, transfer.size(), labelled.size(), partial.teacherConfidence(), partial.teacherAccuracy(),
                partial.followedTeacher());
    }

    /** Class distillation: pseudo-labels, partitioning and focal weights; returns the figures (no tuning yet). */
    private Result classTargets(Tuning t, List<Example> transfer, Map<String, Object> record) {
        List<String> names = teacher.labels();
        int[] gold = new int[transfer.size()];
        for (int i = 0; i < gold.length; i++) {
            Example e = transfer.get(i);
            gold[i] = e.label() == null ? -1 : names.indexOf(e.label().trim());
            if (e.label() != null && gold[i] < 0) {
                throw new GraftException(e.source() + ": label '" + e.label().trim() + "' is not one of the teacher's "
                        + names);
            }
        }
        float[][] teacherLog = teacher.logProbabilities(transfer, teacherMaxLength, batcher, progress);
        float[][] teacherP = exp(teacherLog);
        float[][] studentP = null;
        if (partition == Partition.CONFIDENCE) {
            if (startFrom == null) {
                throw new GraftException("--partition confidence keeps the student's own predictions where it is more"
                        + " confident, so it needs the student's trained adapter (--student-adapter DIR)");
            }
            studentP = studentProbabilities(transfer, names);
        }
        boolean[] follow = partition.followTeacher(teacherP, studentP, gold);
        float[] weights = dev.graft.train.FocalDistillation.weights(gold, teacherP, focalAlpha, focalBeta);
        double a = alpha != null ? alpha : labelled.isEmpty() ? 0 : DEFAULT_ALPHA;
        Distillation d = Distillation.ofClasses(temperature, a);
        List<Example> train = new ArrayList<>(transfer.size());
        double confidence = 0;
        int right = 0;
        int followed = 0;
        for (int i = 0; i < transfer.size(); i++) {
            Example e = transfer.get(i);
            int top = argmax(teacherP[i]);
            confidence += teacherP[i][top];
            boolean teacherRight = gold[i] >= 0 && top == gold[i];
            right += teacherRight ? 1 : 0;
            followed += follow[i] ? 1 : 0;
            float[] target = follow[i] ? teacherLog[i] : log(studentP[i]);
            Example row = gold[i] >= 0 ? e : new Example(e.text(), e.pair(), names.get(top), e.source());
            d.put(row, target, weights[i], gold[i] < 0);
            train.add(row);
        }
        double teacherAccuracy = labelled.isEmpty() ? Double.NaN : right / (double) labelled.size();
        record.put("temperature", temperature);
        record.put("alpha", a);
        record.put("partition", partition.cliName());
        record.put("followed_teacher", followed);
        record.put("focal_alpha", focalAlpha);
        record.put("focal_beta", focalBeta);
        record.put("teacher_confidence", confidence / transfer.size());
        if (!labelled.isEmpty()) {
            record.put("teacher_accuracy_on_labelled", teacherAccuracy);
        }
        t.task(Task.CLASSIFICATION).labels(names).train(train).distillation(d);
        return new Result(null, transfer.size(), labelled.size(), confidence / transfer.size(), teacherAccuracy, followed);
    }

    /** Embedding distillation: the teacher's vectors, and a projection when the widths differ. */
    private Result embeddingTargets(Tuning t, List<Example> transfer, Map<String, Object> record) {
        if (partition != Partition.NONE || focalBeta != 0) {
            throw new GraftException("--partition and --focal-beta apply to classifiers; the teacher is an embedding model");
        }
        float[][] target = teacher.embeddings(transfer, teacherMaxLength, batcher, progress);
        int hs = student.info().hiddenSize();
        float[][] projection = null;
        if (target[0].length != hs) {
            progress.message("fitting a " + hs + "×" + target[0].length + " projection to the teacher's space");
            EmbedOptions o = EmbedOptions.defaults(student).withNormalize(false)
                    .withMaxLength(TaskModel.defaultMaxLength(student)).withBatchSize(batcher.maxBatchSize())
                    .withMaxBatchTokens(batcher.maxBatchTokens());
            List<String> texts = new ArrayList<>();
            transfer.forEach(e -> texts.add(e.text()));
            projection = leastSquares(new Embedder(student, o).embed(texts, progress), target);
        }
        Distillation d = Distillation.ofEmbeddings(embeddingLoss, projection);
        List<Example> train = new ArrayList<>(transfer.size());
        for (int i = 0; i < transfer.size(); i++) {
            Example e = transfer.get(i);
            Example row = new Example(e.text(), null, null, e.source());
            d.put(row, target[i], 1f, true);
            train.add(row);
        }
        record.put("embedding_loss", embeddingLoss.name().toLowerCase(java.util.Locale.ROOT));
        record.put("projection", projection == null ? "none" : hs + "x" + target[0].length + " least squares (training only)");
        t.task(Task.RETRIEVAL).train(train).distillation(d);
        return new Result(null, transfer.size(), 0, Double.NaN, Double.NaN, transfer.size());
    }

    /** The original student's class probabilities, in the teacher's label order. */
    private float[][] studentProbabilities(List<Example> transfer, List<String> names) {
        try (TaskModel s = TaskModelFiles.load(student, startFrom)) {
            List<String> own = s.labels().names();
            if (!new java.util.HashSet<>(own).equals(new java.util.HashSet<>(names))) {
                throw new GraftException("teacher and student have different labels: teacher " + names + ", student "
                        + startFrom + " " + own);
            }
            float[][] p = s.predict(transfer, s.maxLength(), batcher);
            float[][] out = new float[p.length][names.size()];
            for (int k = 0; k < names.size(); k++) {
                int from = own.indexOf(names.get(k));
                for (int i = 0; i < p.length; i++) {
                    out[i][k] = p[i][from];
                }
            }
            return out;
        }
    }

    /**
     * Ridge least squares W minimising ‖S W − T‖² + λ‖W‖², λ = 1e-3 · mean diagonal of SᵀS (enough to keep the
     * solve stable on correlated features, too little to bias the fit).
     *
     * @return [H_s][H_t]
     */
    static float[][] leastSquares(float[][] s, float[][] t) {
        int n = s.length;
        int hs = s[0].length;
        int ht = t[0].length;
        DMatrixRMaj sm = new DMatrixRMaj(n, hs);
        DMatrixRMaj tm = new DMatrixRMaj(n, ht);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < hs; j++) {
                sm.set(i, j, s[i][j]);
            }
            for (int j = 0; j < ht; j++) {
                tm.set(i, j, t[i][j]);
            }
        }
        DMatrixRMaj a = new DMatrixRMaj(hs, hs);
        CommonOps_DDRM.multTransA(sm, sm, a);
        double lambda = 1e-3 * CommonOps_DDRM.trace(a) / hs;
        for (int j = 0; j < hs; j++) {
            a.add(j, j, lambda);
        }
        DMatrixRMaj rhs = new DMatrixRMaj(hs, ht);
        CommonOps_DDRM.multTransA(sm, tm, rhs);
        DMatrixRMaj w = new DMatrixRMaj(hs, ht);
        if (!CommonOps_DDRM.solveSPD(a, rhs, w)) {
            CommonOps_DDRM.solve(a, rhs, w);
        }
        float[][] out = new float[hs][ht];
        for (int i = 0; i < hs; i++) {
            for (int j = 0; j < ht; j++) {
                out[i][j] = (float) w.get(i, j);
            }
        }
        return out;
    }

    private static float[][] exp(float[][] logs) {
        float[][] out = new float[logs.length][];
        for (int i = 0; i < logs.length; i++) {
            out[i] = new float[logs[i].length];
            for (int k = 0; k < logs[i].length; k++) {
                out[i][k] = (float) Math.exp(logs[i][k]);
            }
        }
        return out;
    }

    private static float[] log(float[] p) {
        float[] out = new float[p.length];
        for (int k = 0; k < p.length; k++) {
            out[k] = (float) Math.log(Math.max(p[k], 1e-30));
        }
        return out;
    }

    private static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }
}

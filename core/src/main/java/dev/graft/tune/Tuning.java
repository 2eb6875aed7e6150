package dev.graft.tune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.io.Provenance;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.peft.AdapterFiles;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import dev.graft.runtime.Progress;
import dev.graft.train.Evaluator;
import dev.graft.train.Example;
import dev.graft.train.ExampleFiles;
import dev.graft.train.LabelSpace;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.train.Trainer;
import dev.graft.train.TrainingConfig;
import dev.graft.train.TrainingResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Fine-tunes a model with one PEFT method and writes the adapter — the Java API's front door, doing what
 * {@code graft tune} does:
 *
 * <pre>{@code
 * try (EncoderModel base = EncoderModel.load("all-minilm-l6-v2")) {
 *     Tuning.Result r = Tuning.of(base).method("lora").option("r", 16)
 *             .train(Path.of("train.csv")).eval(Path.of("dev.csv"))
 *             .epochs(4)
 *             .run(Path.of("my-adapter"));
 *     System.out.println(r.metrics());   // {accuracy=..., macro_f1=..., mcc=...}
 * }
 * }</pre>
 *
 * Transfer from trained adapters adds {@code .sources(dirs).method("scalearn")} (see {@link #sources}). Unset values
 * take the CLI's defaults (the method's default learning rate, a budget of updates adapted to the data's size with
 * early stopping ({@link dev.graft.train.Budget}), batch 16, max length 128 capped at the model's positions, seed 42,
 * the model's pooling). Without evaluation data a slice of the training data is held out to select with
 * ({@link dev.graft.train.Holdout}; {@link #holdout(boolean)} turns it off). The output directory holds the PEFT-layout adapter, {@code graft_task.json},
 * {@code graft_provenance.json}, {@code metrics.jsonl} and {@code training.png}.
 */
public final class Tuning {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EncoderModel base;
    private String method;
    private final ObjectNode options = JSON.createObjectNode();
    private Task task = Task.CLASSIFICATION;
    private Pooling pooling;
    private List<Example> train;
    private List<Example> eval = List.of();
    private final Map<String, Path> inputs = new LinkedHashMap<>();
    private TrainingConfig.Builder training = TrainingConfig.builder();
    private Double learningRate;
    private Progress progress = Progress.NONE;
    private boolean resume;
    private boolean holdout = true;
    private boolean probeInit = true;
    private List<Path> sources;
    /** Shared by copies ({@link Search}'s trials start from the same state, so embed the same examples alike). */
    private ProbeFeatures probeFeatures = new ProbeFeatures();
    private dev.graft.train.Distillation distillation;
    private List<String> labelNames;
    private Path startFrom;
    private final Map<String, Object> extraProvenance = new LinkedHashMap<>();

    private Tuning(EncoderModel base) {
        this.base = Objects.requireNonNull(base, "base");
    }

    /** Starts a tuning run on {@code base} (which stays open and unchanged: adapters attach to their own copy of hooks). */
    public static Tuning of(EncoderModel base) {
        return new Tuning(base);
    }

    /**
     * The PEFT method by its CLI name: lora (the default), adapter, parallel-adapter, prefix, prompt, ia3, bitfit, lst,
     * head, full; with {@link #sources}, a composition (see {@link #compositions()}, default scalearn). Looked up when
     * the run starts.
     */
    public Tuning method(String name) {
        this.method = Objects.requireNonNull(name, "method");
        return this;
    }

    /**
     * Transfers from trained bottleneck adapters (graft tune --method adapter) instead of starting from scratch: the
     * {@link #method} then names a composition that combines the sources' outputs, or {@code average} (MHR-μ, a new
     * adapter initialised to their mean, taking their placement and width unless given). The sources must have been
     * trained on this base model; they stay frozen and are copied into the output's {@code sources/}, and the
     * provenance records their hashes.
     */
    public Tuning sources(List<Path> dirs) {
        this.sources = List.copyOf(dirs);
        return this;
    }

    /** The methods {@link #sources} can be composed with: the registry's compositions, and {@code average}. */
    public static List<String> compositions() {
        return SourceComposition.names();
    }

    /** One method option under its adapter_config.json key, e.g. {@code option("r", 16)}, {@code option("use_dora", true)}. */
    public Tuning option(String key, Object value) {
        options.set(key, JSON.valueToTree(value));
        return this;
    }

    public Tuning task(Task t) {
        this.task = Objects.requireNonNull(t, "task");
        return this;
    }

    public Tuning pooling(Pooling p) {
        this.pooling = p;
        return this;
    }

    /** Every method option at once, under their adapter_config.json keys (added to those already set). */
    public Tuning options(ObjectNode values) {
        options.setAll(values.deepCopy());
        return this;
    }

    /** Training data from a CSV, TSV or JSONL file with columns text, optional text_pair, label. */
    public Tuning train(Path file) {
        return train(ExampleFiles.read(file, "text", "text_pair", "label", task != Task.RETRIEVAL), file);
    }

    /** Training data already read from {@code file} (other columns, say), which the provenance records with its hash. */
    public Tuning train(List<Example> examples, Path file) {
        this.train = List.copyOf(examples);
        inputs.put("train", Objects.requireNonNull(file, "file"));
        return this;
    }

    public Tuning train(List<Example> examples) {
        this.train = List.copyOf(examples);
        inputs.remove("train");
        return this;
    }

    /** Evaluation data: metrics after each epoch and the best checkpoint's selection. */
    public Tuning eval(Path file) {
        return eval(ExampleFiles.read(file, "text", "text_pair", "label", task != Task.RETRIEVAL), file);
    }

    /** Evaluation data already read from {@code file}, which the provenance records with its hash. */
    public Tuning eval(List<Example> examples, Path file) {
        this.eval = List.copyOf(examples);
        inputs.put("eval", Objects.requireNonNull(file, "file"));
        return this;
    }

    public Tuning eval(List<Example> examples) {
        this.eval = List.copyOf(examples);
        inputs.remove("eval");
        return this;
    }

    /** Replaces every training setting at once (learning rate included, unless {@link #learningRate} is called later). */
    public Tuning config(TrainingConfig c) {
        this.training = c.toBuilder();
        this.learningRate = c.learningRate();
        return this;
    }

    /** Exactly {@code n} passes over the training data (no floor, no cap). */
    public Tuning epochs(int n) {
        training.epochs(n);
        return this;
    }

    /** Exactly {@code n} optimizer updates, whatever the data's size. */
    public Tuning updates(int n) {
        training.updates(n);
        return this;
    }

    /** Without evaluation data, hold out a slice of the training data to select with (the default), or not. */
    public Tuning holdout(boolean h) {
        this.holdout = h;
        return this;
    }

    /** The peak learning rate; null (the default) = the method's {@link PeftMethod#defaultLearningRate()}. */
    public Tuning learningRate(Double lr) {
        this.learningRate = lr;
        return this;
    }

    public Tuning batchSize(int n) {
        training.batchSize(n);
        return this;
    }

    public Tuning maxLength(int n) {
        training.maxLength(n);
        return this;
    }

    public Tuning seed(long s) {
        training.seed(s);
        return this;
    }

    /** Where progress goes (a console bar in the CLI); default none. */
    public Tuning progress(Progress p) {
        this.progress = Objects.requireNonNull(p, "progress");
        return this;
    }

    /** Continue a run stopped earlier in the same output directory from its checkpoint. */
    public Tuning resume(boolean r) {
        this.resume = r;
        return this;
    }

    /**
     * LP-FT (on by default): before training, fit the task head as a cross-validated linear probe on the features it
     * reads at step 0 ({@link ProbeHead}), on the training part only (a holdout stays unseen); the probe is evaluated
     * as update 0, so fine-tuning must beat it to replace it; a method with no parameters of its own ({@code head})
     * needs no gradient training at all. False starts from a random head (for comparisons). A resumed run restores
     * its checkpoint instead.
     */
    public Tuning probeInit(boolean on) {
        this.probeInit = on;
        return this;
    }

    /**
     * Learns from another model's outputs besides (or instead of) the labels: knowledge distillation
     * ({@link dev.graft.train.Distillation}, whose targets are attached to the training examples given here).
     */
    public Tuning distillation(dev.graft.train.Distillation d) {
        this.distillation = d;
        return this;
    }

    /**
     * The class names in head order (default: the sorted labels of the training data). A distilled student takes its
     * teacher's, so that a class the transfer data never shows still has its output.
     */
    public Tuning labels(List<String> names) {
        this.labelNames = names == null ? null : List.copyOf(names);
        return this;
    }

    /**
     * Starts from a trained adapter instead of a fresh one: its method, configuration, head, labels and pooling (the
     * {@link #method} and options set here are ignored, and no linear probe is fitted: the head is trained already).
     */
    public Tuning startFrom(Path adapterDir) {
        this.startFrom = adapterDir;
        return this;
    }

    /** Adds an entry to the output's provenance (what a workflow built on tuning needs to record: its teachers, say). */
    public Tuning provenance(String key, Object value) {
        extraProvenance.put(key, value);
        return this;
    }

    /**
     * What a finished run gives back.
     *
     * @param trainableParameters what trained: the method's parameters and the task head
     * @param methodParameters    the method's own parameters, without the task head (for compositions: the transfer
     *                            parameters)
     * @param config              the training settings used, with the learning rate resolved
     * @param method              the method that trained, by CLI name ({@code adapter} for an average of sources)
     * @param selection           what selected the best checkpoint: the evaluation data, a holdout, or nothing
     * @param task                the task trained
     * @param probe               what the linear probe fitted the head to, or null (no head, resumed, or turned off)
     */
    public record Result(Path adapterDir, Map<String, Double> metrics, long trainableParameters, long methodParameters,
                         double trainablePercent, long adapterBytes, TrainingResult training, TrainingConfig config,
                         JsonNode methodConfig, String method, Selection selection, Task task, ProbeReport probe) {
        /** The metric that selected the best checkpoint (and ranks {@link Search} trials); null when nothing was evaluated. */
        public String selectionMetric() {
            return metrics.isEmpty() ? null : config.selectionMetric() != null ? config.selectionMetric()
                    : Evaluator.defaultMetric(task);
        }
    }

    /** The peak learning rate a run would use: the one set, else the method's default. */
    double baseLearningRate() {
        return learningRate != null ? learningRate : methodOf(composition()).defaultLearningRate();
    }

    /** The sources' composition, or null when this run does not compose sources. */
    private SourceComposition composition() {
        return sources == null ? null : new SourceComposition(sources, method);
    }

    /** The method that trains: the composition's, else the one named (default lora). */
    private PeftMethod methodOf(SourceComposition composition) {
        return composition != null ? composition.method() : PeftMethods.byName(method == null ? "lora" : method);
    }

    boolean resuming() {
        return resume;
    }

    /** A copy of every setting, for runs that vary a few of them ({@link Search}'s trials). */
    Tuning copy() {
        Tuning t = new Tuning(base);
        t.method = method;
        t.options.setAll(options.deepCopy());
        t.task = task;
        t.pooling = pooling;
        t.train = train;
        t.eval = eval;
        t.inputs.putAll(inputs);
        t.training = training.build().toBuilder();
        t.learningRate = learningRate;
        t.progress = progress;
        t.resume = resume;
        t.holdout = holdout;
        t.probeInit = probeInit;
        t.sources = sources;
        t.probeFeatures = probeFeatures;
        t.distillation = distillation;
        t.labelNames = labelNames;
        t.startFrom = startFrom;
        t.extraProvenance.putAll(extraProvenance);
        return t;
    }

    /**
     * Trains, saves the adapter into {@code output} and returns the result.
     *
     * @throws GraftException for bad settings or data (naming what to fix), or when {@code output} already holds an
     *                        adapter and this is not a {@link #resume} run
     */
    public Result run(Path output) {
        if (train == null || train.isEmpty()) {
            throw new GraftException("no training data: call train(file) or train(examples)");
        }
        if (Files.exists(output.resolve(AdapterFiles.CONFIG)) && !resume) {
            throw new GraftException(output + ": already holds an adapter; choose another --output, or --resume a stopped run");
        }
        SourceComposition composition = composition();
        TaskModel start = startFrom == null ? null : TaskModelFiles.load(base, startFrom);
        PeftMethod m = start != null ? start.method() : methodOf(composition);
        TrainingConfig asked = training.learningRate(learningRate != null ? learningRate : m.defaultLearningRate()).build();
        // max length 0 is the default: recorded as the value used; an explicit one beyond the positions fails in Trainer
        TrainingConfig c = asked.maxLength() > 0 ? asked : asked.toBuilder().maxLength(TaskModel.defaultMaxLength(base)).build();
        if (distillation != null && distillation.embeddings() && c.selectionMetric() == null) {
            c = c.toBuilder().selectionMetric(dev.graft.train.Distillation.TEACHER_COSINE).build();
        }
        ObjectNode given = composition != null ? composition.options(base, options) : options.deepCopy();
        ObjectNode methodConfig = start != null ? start.methodConfig() : m.resolveConfig(base.encoder(), given);
        LabelSpace labels = start != null ? start.labels()
                : labelNames != null ? new LabelSpace(task, labelNames) : LabelSpace.fromTraining(task, train);
        Pooling p = start != null ? start.pooling() : pooling != null ? pooling : base.defaultPooling();
        boolean probeInit = this.probeInit && start == null;
        try (TaskModel tm = start != null ? start : new TaskModel(base, m, methodConfig, labels, p, c.seed())) {
            // nothing but the head trains: the probe already is the minimum of that (convex) problem, and its
            // cross-validation picks λ on all the data, so a holdout would only take examples away from it
            boolean probeOnly = probeInit && !resume && tm.adaptation().parameters().isEmpty() && tm.head() != null;
            Selection selection = probeOnly ? Selection.forProbeOnly(train, eval, inputs.get("train"))
                    : Selection.choose(train, eval, holdout, task, c.seed(), inputs.get("train"));
            Trainer trainer = new Trainer(tm, c, output, progress).distilling(distillation); // sets the max length the probe embeds at
            ProbeReport probe = probeInit && !resume ? fitProbe(tm, selection.train(), c) : null;
            boolean probeIsResult = probe != null && probeOnly;
            if (probe != null) {
                trainer.startsFitted(probe.trainLoss()); // evaluated as update 0: fine-tuning must beat the probe
            }
            if (start != null && !resume) {
                trainer.startsFitted(Double.NaN); // the adapter it continues is update 0: training must beat it
            }
            TrainingResult r = probeIsResult ? trainer.evaluateOnly(selection.train(), selection.eval(), probe.trainLoss())
                    : trainer.train(selection.train(), selection.eval(), resume);
            boolean refit = probe != null && !probeIsResult && selection.kind() == Selection.Kind.HOLDOUT && r.bestStep() == 0;
            if (refit) {
                // fine-tuning never beat the probe on the holdout, so the kept model is the probe on the untouched
                // encoder: fit it again on every training example, as --method head would (the reported metrics stay
                // those that selected it)
                probe = fitProbe(tm, train, c);
            }
            TaskModelFiles.save(tm, output);
            Map<String, Object> resolved = new LinkedHashMap<>();
            resolved.put("method", m.name());
            resolved.put("method_config", methodConfig);
            resolved.put("training", c);
            resolved.put("task", task.cliName());
            resolved.put("labels", labels.names());
            resolved.put("pooling", p.cliName());
            resolved.put("probe_init", probe != null);
            resolved.put("probe_refit_on_all", refit);
            if (probe != null) {
                resolved.put("linear_probe", probe.provenance());
            }
            ObjectNode record = Provenance.create("adapter", base.info().id(), base.weightsSha256(), inputs, resolved,
                    c.seed(), r.finalMetrics());
            record.set("budget", JSON.valueToTree(r.budgetSummary()));
            record.set("selection", JSON.valueToTree(selection.summary()));
            if (composition != null) {
                composition.record(record);
            }
            if (startFrom != null) {
                record.put("started_from", startFrom.toString());
            }
            extraProvenance.forEach((k, v) -> record.set(k, JSON.valueToTree(v)));
            Provenance.write(output, record);
            long bytes = Files.size(output.resolve(AdapterFiles.WEIGHTS));
            long methodParameters = tm.adaptation().parameters().values().stream().mapToLong(q -> q.getArray().size()).sum();
            return new Result(output, r.finalMetrics(), tm.trainableCount(), methodParameters,
                    100.0 * tm.trainableCount() / base.info().parameters(), bytes, r, c, methodConfig, m.name(), selection, task, probe);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ProbeReport fitProbe(TaskModel tm, List<Example> examples, TrainingConfig c) {
        if (tm.head() == null) {
            return null;
        }
        long started = System.nanoTime();
        progress.message("linear probe: embedding " + examples.size() + " examples and choosing λ");
        float[][] rows = probeFeatures.of(tm, startState(tm, c), examples, c.batchSize());
        return ProbeHead.defaults().fit(tm, examples, rows, c.classWeights(), started);
    }

    /** What the step-0 features depend on: the model, the method's initial state (config and seed) and the inputs' shape. */
    private String startState(TaskModel tm, TrainingConfig c) {
        return String.join("|", base.info().id(), base.weightsSha256(), tm.method().name(),
                String.valueOf(tm.methodConfig()), String.valueOf(c.seed()), String.valueOf(tm.maxLength()),
                tm.pooling().cliName());
    }
}

package dev.graft.cli;

import dev.graft.GraftException;
import dev.graft.distill.Distill;
import dev.graft.distill.Partition;
import dev.graft.distill.Teacher;
import dev.graft.io.AtomicDirectory;
import dev.graft.model.EncoderModel;
import dev.graft.train.Distillation;
import dev.graft.train.Example;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code graft distill}: a thin command over {@link Distill}. */
@Command(name = "distill", description = "Train a student model (any method, size or tokenizer) on a teacher's outputs:"
        + " knowledge distillation, with or without labels.",
        modelTransformer = DistillCommand.Model.class,
        footer = {"", "Teachers: an adapter directory (its base recorded in it), a merged model's head directory, or for"
            + " embeddings a model id or directory; --teacher several times for an ensemble (probabilities averaged,"
            + " --teacher-weights to weigh them).",
            "Loss: classifiers α·CE(labels) + (1−α)·T²·KL(teacher ‖ student) at temperature T (Hinton et al. 2015);"
                + " embedding teachers 1 − cosine (or MSE) between pooled vectors.",
            "", "Examples:",
            "  graft distill --teacher big-adapter --model all-minilm-l6-v2 --unlabeled texts.txt --output small",
            "  graft distill --teacher a1 --teacher a2 --model e5-small-v2 --train train.csv --label-weight 0.5 --output s",
            "  graft distill --teacher other --model all-minilm-l6-v2 --student-adapter mine --partition confidence"
                + " --train train.csv --output mine-improved",
            "  graft distill --teacher bge-small-en-v1.5 --model all-minilm-l6-v2 --unlabeled corpus.txt --output retriever"})
final class DistillCommand implements Callable<Integer> {
    @Option(names = "--teacher", required = true, paramLabel = "DIR|ID",
            description = "Teacher: an adapter directory, or a model (embedding distillation). Repeat for an ensemble.")
    List<String> teachers;

    @Option(names = "--teacher-weights", split = ",", paramLabel = "W",
            description = "Weights of the ensemble's teachers, in --teacher order. Default: equal.")
    List<Double> teacherWeights;

    @Option(names = "--teacher-model", paramLabel = "ID|DIR",
            description = "Base model of the teacher adapters (default: the one each records).")
    String teacherModel;

    @Option(names = "--model", required = true, paramLabel = "ID|DIR", description = "The student's base model.")
    String model;

    @Option(names = "--student-adapter", paramLabel = "DIR",
            description = "Continue from the student's trained adapter (its method, head and labels) instead of a new one.")
    Path studentAdapter;

    @Option(names = "--method", description = "The student's PEFT method (default lora).")
    String method;

    @Option(names = "--train", paramLabel = "FILE", description = "Labelled transfer data (.csv, .tsv, .jsonl).")
    Path train;

    @Option(names = "--unlabeled", paramLabel = "FILE", description = "Transfer texts without labels (.txt, .csv, .jsonl).")
    Path unlabeled;

    @Option(names = "--eval", paramLabel = "FILE", description = "Labelled evaluation data (classifiers); default: a"
            + " slice of the transfer data held out, judged against the labels or the teacher's predictions.")
    Path eval;

    @Option(names = "--temperature", defaultValue = "2.0", description = "Softening temperature T. Default: ${DEFAULT-VALUE}.")
    double temperature;

    @Option(names = "--label-weight", paramLabel = "ALPHA", description = "Weight α of the hard-label loss (1 − α for the"
            + " teacher's). Default: " + Distill.DEFAULT_ALPHA + " with labelled data, 0 without.")
    Double alpha;

    @Option(names = "--partition", defaultValue = "none", description = "none (plain distillation) or confidence: follow"
            + " the teacher only where it is more confident than the original student (Roth et al. 2024; needs"
            + " --student-adapter). Default: ${DEFAULT-VALUE}.")
    String partition;

    @Option(names = "--focal-alpha", defaultValue = "1.0", description = "Focal distillation: weight of every example's"
            + " soft term. Default: ${DEFAULT-VALUE}.")
    double focalAlpha;

    @Option(names = "--focal-beta", defaultValue = "0.0", description = "Focal distillation: extra weight where the"
            + " teacher is right (Yan et al. 2021; needs labels). Default: ${DEFAULT-VALUE}.")
    double focalBeta;

    @Option(names = "--embedding-loss", defaultValue = "cosine", description = "Embedding teachers: cosine or mse."
            + " Default: ${DEFAULT-VALUE}.")
    String embeddingLoss;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "The student's adapter directory (created).")
    Path output;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Mixin
    TrainingFlags training = new TrainingFlags();

    @Mixin
    DataOptions data = new DataOptions();

    @Mixin
    TokenBudgetOption budget = new TokenBudgetOption();

    @Mixin
    PoolFilterOptions poolFilter = new PoolFilterOptions();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        AtomicDirectory.checkTarget(output); // before the teacher's long pass, not after
        if (train == null && unlabeled == null && !poolFilter.given()) {
            throw new GraftException("no transfer data: give --train FILE (labelled), --unlabeled FILE (texts) or"
                    + " --filter-pool POOL --seeds FILE");
        }
        Teacher teacher = Teacher.of(members());
        List<Example> labelled = train == null ? List.of() : data.reader().read(train);
        List<Example> texts = unlabeled == null ? List.of() : data.reader().readUnlabelled(unlabeled);
        PrintWriter out = spec.commandLine().getOut();
        List<Example> kept = poolFilter.select(teacher, data.reader(), 64, new ConsoleProgress(256),
                json ? spec.commandLine().getErr() : out);
        try (EncoderModel student = EncoderModel.load(model)) {
            Distill d = Distill.of(student, teacher).labelled(labelled, train)
                    .unlabelled(texts, unlabeled).filteredPool(kept, poolFilter.pool)
                    .temperature(temperature).partition(Partition.parse(partition)).focal(focalAlpha, focalBeta)
                    .embeddingLoss(Distillation.EmbeddingLoss.parse(embeddingLoss))
                    .batcher(budget.batcher(64)).progress(new ConsoleProgress(1))
                    .tuning(t -> {
                        t.options(MethodFlags.values(spec)).config(training.config().build()).learningRate(training.lr)
                                .holdout(!training.noHoldout).probeInit(!training.noProbeInit);
                        if (method != null) {
                            t.method(method);
                        }
                        if (eval != null) {
                            t.eval(data.reader().read(eval), eval);
                        }
                    });
            if (alpha != null) {
                d.alpha(alpha);
            }
            if (studentAdapter != null) {
                d.startFrom(studentAdapter);
            }
            Distill.Result r = AtomicDirectory.write(output, d::run);
            print(out, student, r);
        }
        return 0;
    }

    private List<Teacher.Member> members() {
        if (teacherWeights != null && teacherWeights.size() != teachers.size()) {
            throw new GraftException("--teacher-weights has " + teacherWeights.size() + " values for " + teachers.size()
                    + " teachers");
        }
        List<Teacher.Member> members = new ArrayList<>();
        for (int i = 0; i < teachers.size(); i++) {
            members.add(new Teacher.Member(teachers.get(i), teacherModel, teacherWeights == null ? 1 : teacherWeights.get(i)));
        }
        return members;
    }

    private void print(PrintWriter out, EncoderModel student, Distill.Result r) {
        if (!json) {
            out.printf(Locale.ROOT, "distilled from %d teacher(s) on %d texts (%d labelled)%s%n", teachers.size(),
                    r.transferExamples(), r.labelledExamples(), Double.isNaN(r.teacherConfidence()) ? ""
                            : String.format(Locale.ROOT, "; teacher confidence %.3f%s, followed on %d", r.teacherConfidence(),
                            Double.isNaN(r.teacherAccuracy()) ? "" : String.format(Locale.ROOT, ", accuracy %.4f on the labelled",
                                    r.teacherAccuracy()), r.followedTeacher()));
        }
        TuneOptions.print(out, student, r.transferExamples(), r.tuning(), null, json, output);
    }

    /** Adds the registry's method flags, as graft tune has them. */
    static final class Model implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            MethodFlags.addTo(spec);
            return spec;
        }
    }
}

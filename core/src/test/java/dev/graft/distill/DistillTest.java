package dev.graft.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.GraftException;
import dev.graft.io.Provenance;
import dev.graft.model.EncoderModel;
import dev.graft.testing.TinyBert;
import dev.graft.train.Distillation;
import dev.graft.train.Example;
import dev.graft.train.TaskModel;
import dev.graft.train.ToyTasks;
import dev.graft.tune.TaskModelFiles;
import dev.graft.tune.Tuning;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Distillation end to end on tiny random models: a student with another vocabulary learns a teacher's predictions from
 * texts without labels; data partitioning picks targets as defined; bad inputs name what is wrong.
 */
class DistillTest {
    /** Another vocabulary: the same words in reverse order after extra ones, so every word has another id. */
    static final List<String> OTHER_WORDS;

    static {
        List<String> w = new ArrayList<>(List.of("house", "tree", "car", "road"));
        List<String> reversed = new ArrayList<>(TinyBert.WORDS);
        Collections.reverse(reversed);
        w.addAll(reversed);
        OTHER_WORDS = List.copyOf(w);
    }

    @TempDir
    Path dir;

    /** A LoRA teacher trained on the toy sentiment task with labels, on a tiny model saved as a directory. */
    private Path teacher() {
        Path model = dir.resolve("teacher-model");
        try (EncoderModel tiny = TinyBert.create(dir.resolve("t-tok"), 11, 0.2)) {
            tiny.saveAsHuggingFace(model);
        }
        Path adapter = dir.resolve("teacher");
        try (EncoderModel base = EncoderModel.load(model.toString())) {
            Tuning.Result r = Tuning.of(base).method("lora").option("r", 4)
                    .option("target_modules", List.of("query", "value", "output.dense"))
                    .train(ToyTasks.sentiment(48, 1)).eval(ToyTasks.sentiment(48, 1))
                    .learningRate(0.005).epochs(60).batchSize(8).maxLength(16).run(adapter);
            assertTrue(r.metrics().get("accuracy") >= 0.9, "the teacher fits its training data: " + r.metrics());
        }
        return adapter;
    }

    @Test
    void studentWithAnotherVocabularyLearnsTheTeachersPredictionsWithoutLabels() throws Exception {
        Path teacherDir = teacher();
        Teacher teacher = Teacher.of(teacherDir.toString(), null);
        assertEquals(List.of("neg", "pos"), teacher.labels());
        List<Example> transfer = ToyTasks.sentiment(64, 2);
        List<Example> test = ToyTasks.sentiment(40, 3);
        Path out = dir.resolve("student");
        try (EncoderModel student = TinyBert.create(dir.resolve("s-tok"), 12, 0.2, OTHER_WORDS)) {
            Distill.Result r = Distill.of(student, teacher).unlabelled(transfer, null).temperature(1)
                    .tuning(t -> t.method("lora").option("r", 4).option("target_modules", List.of("query", "value", "output.dense"))
                            .learningRate(0.005).epochs(60).batchSize(8).maxLength(16).holdout(false))
                    .run(out);
            assertEquals(64, r.transferExamples());
            assertEquals(0, r.labelledExamples());
            assertEquals(64, r.followedTeacher());
            assertTrue(r.teacherConfidence() > 0.5 && r.teacherConfidence() <= 1, "confidence " + r.teacherConfidence());
            try (TaskModel s = TaskModelFiles.load(student, out)) {
                assertEquals(List.of("neg", "pos"), s.labels().names(), "the student takes the teacher's labels");
                int onTransfer = agreement(teacher, s, transfer);
                assertTrue(onTransfer >= 62, "the student agrees with the teacher on " + onTransfer + " of 64 transfer texts"
                        + " (" + agreement(teacher, s, test) + " of 40 new ones); " + r.tuning().metrics());
            }
        }
        JsonNode prov = new ObjectMapper().readTree(out.resolve(Provenance.FILE).toFile());
        assertEquals(teacherDir.toString(), prov.at("/distillation/teachers/0/source").asText());
        assertEquals(0.0, prov.at("/distillation/alpha").asDouble(), "no labels: soft targets only");
        assertEquals(64, prov.at("/distillation/transfer_data/unlabelled_examples").asInt());
    }

    @Test
    void ensembleAveragesProbabilitiesAndPartitionNeedsTheStudentsAdapter() {
        Path teacherDir = teacher();
        List<Example> texts = ToyTasks.sentiment(8, 4);
        var batcher = dev.graft.text.TokenBudgetBatcher.withBatchSize(8);
        float[][] one = Teacher.of(teacherDir.toString(), null).logProbabilities(texts, 16, batcher, dev.graft.runtime.Progress.NONE);
        Teacher twice = Teacher.of(List.of(new Teacher.Member(teacherDir.toString(), null, 1),
                new Teacher.Member(teacherDir.toString(), null, 3)));
        float[][] avg = twice.logProbabilities(texts, 16, batcher, dev.graft.runtime.Progress.NONE);
        for (int i = 0; i < one.length; i++) {
            assertArrayEquals(one[i], avg[i], 1e-5f, "an ensemble of one model twice is that model");
        }
        try (EncoderModel student = TinyBert.create(dir.resolve("s-tok"), 12, 0.2)) {
            GraftException e = assertThrows(GraftException.class, () -> Distill.of(student, Teacher.of(teacherDir.toString(), null))
                    .unlabelled(texts, null).partition(Partition.CONFIDENCE).run(dir.resolve("x")));
            assertTrue(e.getMessage().contains("--student-adapter"), e.getMessage());
            List<Example> badLabel = List.of(new Example("good cat", null, "neutral", "f.csv:2"));
            GraftException label = assertThrows(GraftException.class, () -> Distill.of(student, Teacher.of(teacherDir.toString(), null))
                    .labelled(badLabel, null).run(dir.resolve("y")));
            assertEquals("f.csv:2: label 'neutral' is not one of the teacher's [neg, pos]", label.getMessage());
        }
    }

    @Test
    void confidencePartitionFollowsTheTeacherExactlyWhereItIsMoreConfidentThanTheStudentWas() {
        Path teacherDir = teacher();
        Teacher teacher = Teacher.of(teacherDir.toString(), null);
        List<Example> transfer = ToyTasks.sentiment(32, 5);
        try (EncoderModel student = TinyBert.create(dir.resolve("s-tok"), 12, 0.2, OTHER_WORDS)) {
            Path mine = dir.resolve("student-before");
            Tuning.of(student).method("lora").option("r", 4).train(ToyTasks.sentiment(24, 6)).learningRate(0.005)
                    .epochs(3).batchSize(8).maxLength(16).holdout(false).run(mine);
            var batcher = dev.graft.text.TokenBudgetBatcher.withBatchSize(16);
            float[][] t = expRows(teacher.logProbabilities(transfer, 0, batcher, dev.graft.runtime.Progress.NONE));
            float[][] s;
            try (TaskModel before = TaskModelFiles.load(student, mine)) {
                s = before.predict(transfer, before.maxLength(), batcher);
            }
            int[] gold = new int[transfer.size()];
            for (int i = 0; i < gold.length; i++) {
                gold[i] = teacher.labels().indexOf(transfer.get(i).label());
            }
            int expected = 0;
            for (boolean f : Partition.CONFIDENCE.followTeacher(t, s, gold)) {
                expected += f ? 1 : 0;
            }
            Distill.Result r = Distill.of(student, teacher).labelled(transfer, null).alpha(0).startFrom(mine)
                    .partition(Partition.CONFIDENCE).tuning(x -> x.epochs(1).batchSize(8).maxLength(16).holdout(false))
                    .run(dir.resolve("student-after"));
            assertEquals(expected, r.followedTeacher(), "examples whose target is the teacher's");
            assertEquals("lora", r.tuning().method(), "continues the student's own adapter");
        }
    }

    @Test
    void partitionFollowsTheMoreConfidentModelPerExample() {
        float[][] teacher = {{0.9f, 0.1f}, {0.4f, 0.6f}, {0.3f, 0.7f}, {0.55f, 0.45f}};
        float[][] student = {{0.6f, 0.4f}, {0.2f, 0.8f}, {0.8f, 0.2f}, {0.7f, 0.3f}};
        int[] gold = {0, 1, -1, -1};
        // 0: teacher p(gold)=0.9 > 0.6; 1: 0.6 < 0.8; 2 (no label): max 0.7 < 0.8; 3: max 0.55 < 0.7
        assertArrayEquals(new boolean[] {true, false, false, false}, Partition.CONFIDENCE.followTeacher(teacher, student, gold));
        assertArrayEquals(new boolean[] {true, true, true, true}, Partition.NONE.followTeacher(teacher, student, gold));
        assertEquals(Partition.CONFIDENCE, Partition.parse("confidence"));
        assertThrows(GraftException.class, () -> Partition.parse("maybe"));
    }

    @Test
    void leastSquaresProjectionRecoversALinearMap() {
        Random r = new Random(3);
        float[][] w = new float[4][3];
        for (float[] row : w) {
            for (int j = 0; j < 3; j++) {
                row[j] = (float) r.nextGaussian();
            }
        }
        float[][] s = new float[200][4];
        float[][] t = new float[200][3];
        for (int i = 0; i < 200; i++) {
            for (int k = 0; k < 4; k++) {
                s[i][k] = (float) r.nextGaussian();
            }
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 4; k++) {
                    t[i][j] += s[i][k] * w[k][j];
                }
            }
        }
        float[][] fit = Distill.leastSquares(s, t);
        for (int k = 0; k < 4; k++) {
            assertArrayEquals(w[k], fit[k], 0.01f);
        }
    }

    @Test
    void embeddingStudentMovesTowardTheTeachersSpace() {
        Path teacherModel = dir.resolve("emb-teacher");
        try (EncoderModel tiny = TinyBert.create(dir.resolve("t-tok"), 21, 0.2)) {
            tiny.saveAsHuggingFace(teacherModel);
        }
        List<Example> texts = ToyTasks.topic(80, 5);
        try (EncoderModel student = TinyBert.create(dir.resolve("s-tok"), 22, 0.2, OTHER_WORDS)) {
            Distill.Result r = Distill.of(student, Teacher.of(teacherModel.toString(), null)).unlabelled(texts, null)
                    .tuning(t -> t.method("full").learningRate(0.003).epochs(30).batchSize(8).maxLength(16))
                    .run(dir.resolve("emb-student"));
            var history = r.tuning().training().history();
            double first = (Double) ((java.util.Map<?, ?>) history.get(0).get("eval")).get(Distillation.TEACHER_COSINE);
            double best = r.tuning().metrics().get(Distillation.TEACHER_COSINE);
            assertTrue(best > first + 0.05 && best > 0.8, "cosine to the teacher on held-out texts: first " + first + ", best " + best);
        }
    }

    /** On how many texts the student's top class is the teacher's. */
    private static int agreement(Teacher teacher, TaskModel student, List<Example> texts) {
        float[][] t = expRows(teacher.logProbabilities(texts, 16, dev.graft.text.TokenBudgetBatcher.withBatchSize(16),
                dev.graft.runtime.Progress.NONE));
        float[][] p = student.predict(texts, 16, 16);
        int agree = 0;
        for (int i = 0; i < p.length; i++) {
            agree += argmax(p[i]) == argmax(t[i]) ? 1 : 0;
        }
        return agree;
    }

    private static float[][] expRows(float[][] logs) {
        float[][] out = new float[logs.length][];
        for (int i = 0; i < logs.length; i++) {
            out[i] = new float[logs[i].length];
            for (int k = 0; k < out[i].length; k++) {
                out[i][k] = (float) Math.exp(logs[i][k]);
            }
        }
        return out;
    }

    private static int argmax(float[] x) {
        return x[0] >= x[1] ? 0 : 1;
    }
}

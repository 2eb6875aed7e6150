package dev.graft.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import dev.graft.testing.TinyBert;
import dev.graft.text.TokenizedText;
import dev.graft.train.Example;
import dev.graft.train.LabelSpace;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.train.ToyTasks;
import dev.graft.train.Trainer;
import dev.graft.train.TrainingConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * aTLAS on a tiny BERT: a real task vector (full fine-tuning) and a random distractor. On this toy task the head
 * alone already separates the classes on the base's features, so the test checks the mechanics (exact gradients,
 * objectives fall, the composition is what is applied), not which task vector wins.
 */
class AtlasTest {
    @TempDir
    Path dir;

    @Test
    void learnsBlockCoefficientsWithExactGradients() {
        List<Example> train = ToyTasks.sentiment(48, 1);
        List<Example> few = ToyTasks.sentiment(16, 7);
        try (EncoderModel base = TinyBert.create(dir, 11)) {
            PeftMethod full = PeftMethods.byName("full");
            var cfg = full.resolveConfig(base.encoder(), JsonNodeFactory.instance.objectNode());
            try (TaskModel model = new TaskModel(base, full, cfg, LabelSpace.fromTraining(Task.CLASSIFICATION, train), Pooling.MEAN, 3)) {
                Map<String, float[]> theta0 = new LinkedHashMap<>();
                base.namedParameters().forEach((k, p) -> theta0.put(k, p.getArray().toFloatArray()));
                TrainingConfig tc = TrainingConfig.builder().epochs(25).batchSize(8).learningRate(1e-2).maxLength(16)
                        .warmupRatio(0.0).build();
                new Trainer(model, tc, null, null).train(train, train, false);
                // τ₁ = fine-tuned − base on the encoder; τ₂ = random noise of a similar size
                Map<String, float[]> tau = new HashMap<>();
                Map<String, float[]> noise = new HashMap<>();
                Random r = new Random(3);
                for (Map.Entry<String, Parameter> e : base.namedParameters().entrySet()) {
                    float[] ft = e.getValue().getArray().toFloatArray();
                    float[] t0 = theta0.get(e.getKey());
                    float[] d = new float[ft.length];
                    float[] z = new float[ft.length];
                    double norm = 0;
                    for (int i = 0; i < d.length; i++) {
                        d[i] = ft[i] - t0[i];
                        norm += d[i] * d[i];
                    }
                    double std = Math.sqrt(norm / d.length);
                    for (int i = 0; i < d.length; i++) {
                        z[i] = (float) (r.nextGaussian() * std);
                    }
                    tau.put(e.getKey(), d);
                    noise.put(e.getKey(), z);
                }
                // back to θ₀, keeping the fine-tuned head (the target task's)
                base.namedParameters().forEach((k, p) -> dev.graft.runtime.Arrays2.assign(p.getArray(), theta0.get(k)));
                Atlas atlas = new Atlas(model, List.of(tau, noise));
                int nb = atlas.blocks().size();
                assertTrue(nb > 10);
                // exact gradients: compare with central differences of the loss along single coefficients
                double[][] lam = new double[2][nb];
                for (double[] row : lam) {
                    java.util.Arrays.fill(row, 0.3);
                }
                List<TokenizedText> tokens = model.tokenize(few, 16);
                double[][] g = new double[2][nb];
                atlas.lossAndGradient(lam, few, tokens, true, g);
                double[][] scratch = new double[2][nb];
                for (int[] tb : new int[][] {{0, 0}, {0, nb - 1}, {1, nb / 2}, {0, nb / 3}}) {
                    double h = 1e-2;
                    lam[tb[0]][tb[1]] += h;
                    double up = atlas.lossAndGradient(lam, few, tokens, true, scratch);
                    lam[tb[0]][tb[1]] -= 2 * h;
                    double down = atlas.lossAndGradient(lam, few, tokens, true, scratch);
                    lam[tb[0]][tb[1]] += h;
                    double fd = (up - down) / (2 * h);
                    assertEquals(fd, g[tb[0]][tb[1]], 2e-3 + 0.05 * Math.abs(fd), "coefficient " + tb[0] + "," + tb[1]);
                }
                double[][] one = new double[2][nb];
                java.util.Arrays.fill(one[0], 1.0);
                double taskArithmetic = atlas.lossAndGradient(one, few, tokens, true, scratch); // plain θ₀ + τ₁
                // learning from λ = 0 (the base) on 16 labelled examples lowers the loss and weights the real task vector
                Atlas.Result res = atlas.learn(few, new Atlas.Options(60, 0.1, true, 16, 16, 0.0, 1));
                double first = res.losses().get(0);
                double last = res.losses().get(res.losses().size() - 1);
                assertTrue(last < first * 0.8, "loss " + first + " -> " + last);
                double learned = atlas.lossAndGradient(res.lambdas(), few, tokens, true, scratch);
                assertTrue(learned < taskArithmetic, "aTLAS " + learned + " vs task arithmetic " + taskArithmetic);
                // the encoder is left at the learned composition θ₀ + Σ λ τ
                String name = res.blocks().get(0);
                float[] want = theta0.get(name).clone();
                for (int i = 0; i < want.length; i++) {
                    want[i] += (float) (res.lambdas()[0][0] * tau.get(name)[i] + res.lambdas()[1][0] * noise.get(name)[i]);
                }
                atlas.apply(res.lambdas());
                org.junit.jupiter.api.Assertions.assertArrayEquals(want, base.namedParameters().get(name).getArray().toFloatArray(), 1e-5f);
                // unsupervised: entropy minimisation lowers the mean prediction entropy
                Atlas.Result un = atlas.learn(few, new Atlas.Options(20, 0.05, false, 16, 16, 0.0, 1));
                assertTrue(un.losses().get(un.losses().size() - 1) < un.losses().get(0), "entropy " + un.losses());
            }
        }
    }

    @Test
    void severalTargetsAverageTheirObjectives() {
        List<Example> few = ToyTasks.sentiment(12, 5);
        try (EncoderModel base = TinyBert.create(dir, 13)) {
            PeftMethod head = PeftMethods.byName("head");
            var cfg = head.resolveConfig(base.encoder(), JsonNodeFactory.instance.objectNode());
            LabelSpace labels = LabelSpace.fromTraining(Task.CLASSIFICATION, few);
            Map<String, float[]> noise = new HashMap<>();
            Random r = new Random(9);
            base.namedParameters().forEach((k, p) -> {
                float[] z = new float[(int) p.getArray().size()];
                for (int i = 0; i < z.length; i++) {
                    z[i] = (float) (r.nextGaussian() * 0.05);
                }
                noise.put(k, z);
            });
            try (TaskModel a = new TaskModel(base, head, cfg, labels, Pooling.MEAN, 4);
                 TaskModel b = new TaskModel(base, head, cfg, labels, Pooling.MEAN, 4)) {
                Atlas.Options o = new Atlas.Options(5, 0.05, true, 16, 16, 0.3, 1);
                Atlas single = new Atlas(a, List.of(noise));
                Atlas.Result one = single.learn(few, o);
                single.apply(new double[1][single.blocks().size()]); // back to θ₀
                // the same target twice: the mean objective and its gradient are the single target's, exactly
                Atlas.Result two = new Atlas(List.of(a, b), List.of(noise)).learnAll(List.of(few, few), o);
                assertEquals(one.losses(), two.losses());
                for (int i = 0; i < one.blocks().size(); i++) {
                    assertEquals(one.lambdas()[0][i], two.lambdas()[0][i], 0.0);
                }
            }
        }
    }
}

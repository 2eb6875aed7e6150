package dev.graft.peft.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.io.TensorSource;
import dev.graft.model.EncoderModel;
import dev.graft.model.Pooling;
import dev.graft.model.bert.BertModel;
import dev.graft.model.nn.HfLinear;
import dev.graft.model.nn.LinearHook;
import dev.graft.testing.TinyBert;
import dev.graft.text.TextTokenizer;
import java.nio.file.Path;
import java.util.Set;
import dev.graft.peft.Adaptation;
import dev.graft.peft.PeftMethod;
import dev.graft.runtime.Engines;
import dev.graft.text.TokenizedText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/** Shared test code for the adapter methods: padded batches, a tiny sentiment task and a hand-written Adam loop. */
public final class AdapterTesting {
    public static final List<String> TEXTS;
    public static final int[] LABELS;

    static {
        List<String> texts = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        String[][] words = {{"bad", "terrible", "sad"}, {"good", "great", "happy"}};
        String[] templates = {"the movie was %s", "a %s film", "i was very %s", "%s", "the dog is %s and red"};
        for (String t : templates) {
            for (int label = 0; label < 2; label++) {
                for (String w : words[label]) {
                    texts.add(String.format(t, w));
                    labels.add(label);
                }
            }
        }
        TEXTS = List.copyOf(texts);
        LABELS = labels.stream().mapToInt(Integer::intValue).toArray();
    }

    private AdapterTesting() {
    }

    /**
     * {@link TinyBert} with its dense and embedding weights drawn 10 times wider (std 0.2, LayerNorms unchanged). With
     * BERT's std 0.02 a tiny random network's sub-layers output values near 0.01, so an adapter on them starts from
     * almost nothing; trained encoders have sub-layer outputs of order one, which these weights imitate.
     */
    public static EncoderModel tinyBert(Path dir, long seed) {
        TensorSource narrow = TinyBert.randomWeights(new BertModel(TinyBert.config(), true).namedParameterShapes(), seed);
        TensorSource wide = new TensorSource() {
            @Override
            public Set<String> names() {
                return narrow.names();
            }

            @Override
            public long[] shape(String name) {
                return narrow.shape(name);
            }

            @Override
            public float[] readFloats(String name) {
                float[] v = narrow.readFloats(name);
                if (!name.contains("LayerNorm")) {
                    for (int i = 0; i < v.length; i++) {
                        v[i] *= 10f;
                    }
                }
                return v;
            }

            @Override
            public String description() {
                return "wide random weights (seed " + seed + ")";
            }
        };
        JsonNode config = new ObjectMapper().valueToTree(TinyBert.config());
        return EncoderModel.fromWeights("tiny-bert-wide", config, wide,
                TextTokenizer.load(TinyBert.writeTokenizer(dir)), Pooling.MEAN, false);
    }

    /** Token ids, mask and type ids, padded to the longest text, in {@code manager}. */
    public record Batch(NDArray ids, NDArray mask, NDArray typeIds) {
        public static Batch of(EncoderModel m, List<String> texts, NDManager manager) {
            List<TokenizedText> tok = texts.stream().map(s -> m.tokenizer().encode(s, 64)).toList();
            int t = tok.stream().mapToInt(TokenizedText::length).max().orElse(1);
            int b = tok.size();
            long[] ids = new long[b * t];
            long[] mask = new long[b * t];
            long[] types = new long[b * t];
            for (int i = 0; i < b; i++) {
                TokenizedText x = tok.get(i);
                System.arraycopy(x.ids(), 0, ids, i * t, x.length());
                System.arraycopy(x.typeIds(), 0, types, i * t, x.length());
                java.util.Arrays.fill(mask, i * t, i * t + x.length(), 1L);
            }
            Shape s = new Shape(b, t);
            return new Batch(manager.create(ids, s), manager.create(mask, s), manager.create(types, s));
        }
    }

    /** The last hidden state of {@code texts} (inference mode), flattened [B·T·H]. */
    public static float[] lastHidden(EncoderModel m, List<String> texts) {
        try (NDManager scope = m.manager().newSubManager()) {
            Batch b = Batch.of(m, texts, scope);
            return m.encoder().encode(b.ids(), b.mask(), b.typeIds(), false, false).lastHiddenState().toFloatArray();
        }
    }

    /** Copies of every parameter's values, by name. */
    public static Map<String, float[]> snapshot(Map<String, Parameter> params) {
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((n, p) -> out.put(n, p.getArray().toFloatArray()));
        return out;
    }

    /** Mean pooling over real tokens, [B, T, H] to [B, H]. */
    public static NDArray meanPool(NDArray hidden, NDArray mask) {
        NDArray m = mask.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).expandDims(2);
        return hidden.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1}));
    }

    /** Loss per step and the final accuracy of {@link AdapterTesting#train}. */
    public record Result(List<Double> losses, double accuracy, boolean baseHadGradient) {
    }

    /** A hook that records copies of a dense layer's input and output (as they are when it runs), per call. */
    public static final class Spy implements LinearHook {
        public final List<float[]> inputs = new ArrayList<>();
        public final List<float[]> outputs = new ArrayList<>();

        @Override
        public NDArray afterLinear(HfLinear layer, NDArray x, NDArray y, boolean training) {
            inputs.add(x.toFloatArray());
            outputs.add(y.toFloatArray());
            return y;
        }
    }

    /** Each case {config JSON, part of the expected message}: resolving the config is refused with that message. */
    public static void assertConfigsRefused(PeftMethod method, EncoderModel m, String[][] cases) {
        for (String[] c : cases) {
            GraftException e = assertThrows(GraftException.class, () -> method.resolveConfig(m.encoder(), json(c[0])), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
    }

    /** The values boxed, for streams over float arrays. */
    public static Float[] boxed(float[] v) {
        Float[] out = new Float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }

    /** A JSON object from its text (method configs in tests). */
    public static ObjectNode json(String s) {
        try {
            return (ObjectNode) new ObjectMapper().readTree(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    /**
     * Trains the adaptation that {@code attach} puts on {@code m} ({@link #train}, 60 steps) and checks that the base
     * stays as it was, that every adaptation parameter moved, and that the loss falls until the task is learned.
     */
    public static void assertOnlyAdaptationLearns(EncoderModel m, Function<EncoderModel, Adaptation> attach) {
        Map<String, float[]> base = snapshot(m.namedParameters());
        try (Adaptation a = attach.apply(m)) {
            Map<String, float[]> init = snapshot(a.parameters());
            Result r = train(m, a, 60, 0.02f);
            assertFalse(r.baseHadGradient(), "base parameters must not require gradients");
            Map<String, float[]> after = snapshot(m.namedParameters());
            base.forEach((n, v) -> assertArrayEquals(v, after.get(n), n + " must not change"));
            snapshot(a.parameters()).forEach((n, v) -> assertFalse(Arrays.equals(init.get(n), v), n + " was trained"));
            double first = r.losses().get(0);
            double last = r.losses().get(r.losses().size() - 1);
            assertTrue(last < first * 0.3, "loss falls: " + r.losses());
            assertEquals(1.0, r.accuracy(), "separable task learned; losses " + r.losses());
        }
    }

    /**
     * Trains only {@code adaptation}'s parameters with Adam on the sentiment task, through a fixed random linear head on
     * mean-pooled states (so any learning is the adapters' doing). Also records whether any base parameter received a
     * gradient.
     */
    public static Result train(EncoderModel m, Adaptation adaptation, int steps, float lr) {
        Map<String, Parameter> trainable = adaptation.parameters();
        int hidden = m.encoder().hiddenSize();
        Random r = new Random(11);
        float[] head = new float[2 * hidden];
        for (int i = 0; i < head.length; i++) {
            head[i] = (float) (r.nextGaussian() / Math.sqrt(hidden));
        }
        List<Double> losses = new ArrayList<>();
        boolean baseGrad = false;
        try (NDManager opt = m.manager().newSubManager()) {
            NDArray w = opt.create(head, new Shape(2, hidden));
            Map<String, NDArray[]> moments = new LinkedHashMap<>();
            trainable.forEach((n, p) -> moments.put(n, new NDArray[] {opt.zeros(p.getArray().getShape()),
                    opt.zeros(p.getArray().getShape())}));
            float[] onehot = new float[LABELS.length * 2];
            for (int i = 0; i < LABELS.length; i++) {
                onehot[i * 2 + LABELS[i]] = 1f;
            }
            for (int step = 1; step <= steps; step++) {
                try (NDManager scope = m.manager().newSubManager()) {
                    Batch b = Batch.of(m, TEXTS, scope);
                    NDArray y = scope.create(onehot, new Shape(LABELS.length, 2));
                    // inference mode (no dropout) so that the loss curve is deterministic; gradients are still recorded
                    try (GradientCollector gc = Engines.pytorch().newGradientCollector()) {
                        NDArray h = adaptation.encode(m.encoder(), b.ids(), b.mask(), b.typeIds(), false).lastHiddenState();
                        NDArray logits = meanPool(h, b.mask()).matMul(w.transpose());
                        NDArray loss = logits.logSoftmax(-1).mul(y).sum().neg().div(LABELS.length);
                        gc.backward(loss);
                        losses.add((double) loss.getFloat());
                    }
                    if (step == 1) {
                        for (Map.Entry<String, Parameter> e : m.encoder().namedParameters().entrySet()) {
                            baseGrad |= e.getValue().getArray().hasGradient();
                        }
                    }
                    double c1 = 1 - Math.pow(0.9, step);
                    double c2 = 1 - Math.pow(0.999, step);
                    for (Map.Entry<String, Parameter> e : trainable.entrySet()) {
                        NDArray param = e.getValue().getArray();
                        NDArray g = param.getGradient();
                        g.attach(scope); // intermediates of g go to this step's scope
                        NDArray[] mv = moments.get(e.getKey());
                        mv[0].muli(0.9f).addi(g.mul(0.1f));
                        mv[1].muli(0.999f).addi(g.square().mul(0.001f));
                        NDArray mHat = mv[0].div((float) c1);
                        NDArray denom = mv[1].div((float) c2).sqrt().add(1e-8f);
                        mHat.attach(scope);
                        denom.attach(scope);
                        param.subi(mHat.div(denom).mul(lr));
                        g.subi(g); // gradients accumulate across backward() calls
                    }
                }
            }
        }
        return new Result(losses, accuracy(m, adaptation, head), baseGrad);
    }

    private static double accuracy(EncoderModel m, Adaptation adaptation, float[] head) {
        try (NDManager scope = m.manager().newSubManager()) {
            Batch b = Batch.of(m, TEXTS, scope);
            int hidden = m.encoder().hiddenSize();
            NDArray h = adaptation.encode(m.encoder(), b.ids(), b.mask(), b.typeIds(), false).lastHiddenState();
            float[] logits = meanPool(h, b.mask()).matMul(scope.create(head, new Shape(2, hidden)).transpose()).toFloatArray();
            int correct = 0;
            for (int i = 0; i < LABELS.length; i++) {
                int pred = logits[2 * i + 1] > logits[2 * i] ? 1 : 0;
                correct += pred == LABELS[i] ? 1 : 0;
            }
            return (double) correct / LABELS.length;
        }
    }

    /** x·Wᵀ + b for one row x [in], W [out, in]. */
    public static float[] dense(float[] x, float[] w, float[] b) {
        float[] y = new float[b.length];
        int in = x.length;
        for (int o = 0; o < y.length; o++) {
            double s = b[o];
            for (int i = 0; i < in; i++) {
                s += (double) w[o * in + i] * x[i];
            }
            y[o] = (float) s;
        }
        return y;
    }

    /** The reference activation functions, in plain Java. */
    public static float act(NonLinearity n, float z) {
        return switch (n) {
            case RELU -> Math.max(0f, z);
            case SWISH -> (float) (z / (1 + Math.exp(-z)));
            case GELU -> (float) (0.5 * z * (1 + erf(z / Math.sqrt(2))));
        };
    }

    /** up(act(down(x))) for one row, computed from the adapter's parameter values in plain Java. */
    public static float[] reference(BottleneckAdapter a, float[] x) {
        float[] z = dense(x, a.downWeight().getArray().toFloatArray(), a.downBias().getArray().toFloatArray());
        for (int i = 0; i < z.length; i++) {
            z[i] = act(a.nonLinearity(), z[i]);
        }
        return dense(z, a.upWeight().getArray().toFloatArray(), a.upBias().getArray().toFloatArray());
    }

    /** Sets every value of a parameter to a draw from N(0, std²) (to move an adapter away from its zero init). */
    public static void randomize(Parameter p, Random r, double std) {
        NDArray a = p.getArray();
        float[] v = new float[Math.toIntExact(a.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * std);
        }
        try (NDArray src = a.getManager().create(v, a.getShape())) {
            a.subi(a).addi(src);
        }
    }

    /** erf by Simpson's rule on 2/√π·e^(-t²) (series and short approximations lose digits for |x| of a few units). */
    private static double erf(double x) {
        if (Math.abs(x) > 6) {
            return Math.signum(x); // 1 - erf(6) < 1e-16
        }
        int n = 2000;
        double h = x / n;
        double sum = 1 + Math.exp(-x * x);
        for (int i = 1; i < n; i++) {
            double t = i * h;
            sum += (i % 2 == 1 ? 4 : 2) * Math.exp(-t * t);
        }
        return 2 / Math.sqrt(Math.PI) * sum * h / 3;
    }
}

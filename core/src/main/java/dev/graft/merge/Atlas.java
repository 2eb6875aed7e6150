package dev.graft.merge;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import dev.graft.GraftException;
import dev.graft.model.TokenBatch;
import dev.graft.runtime.Arrays2;
import dev.graft.runtime.Engines;
import dev.graft.runtime.Progress;
import dev.graft.text.TokenizedText;
import dev.graft.train.Example;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * aTLAS: task vectors composed with learned anisotropic scaling. Each task vector τₜ is split into parameter blocks
 * b (here: one block per weight tensor) and one coefficient is learned per (task, block):
 *
 * <pre>  θ_b = θ₀_b + Σₜ λₜ,b · τₜ,b </pre>
 *
 * on a few target examples — supervised (cross-entropy with the target head) or unsupervised (mean prediction
 * entropy). Only the T × B coefficients train. Gradients come from the engine's autograd: the encoder is run at the
 * composed weights with gradients on the blocks, and by the chain rule ∂L/∂λₜ,b = ⟨∂L/∂θ_b, τₜ,b⟩ exactly (θ_b is
 * linear in λ), which needs no copy of the task vectors on the engine side. Coefficients are updated with Adam.
 *
 * <p>Zhang et al., "Knowledge Composition using Task Vectors with Learned Anisotropic Scaling", NeurIPS 2024,
 * arXiv:2407.02880.
 */
public final class Atlas {
    private final List<TaskModel> targets;
    private final List<Map<String, float[]>> taskVectors;
    private final List<String> blocks;
    private final Map<String, float[]> theta0 = new LinkedHashMap<>();
    private final Map<String, Parameter> params = new LinkedHashMap<>();

    /**
     * Options.
     *
     * @param steps       Adam steps
     * @param lr          Adam learning rate for the coefficients
     * @param supervised  cross-entropy on the labels (true) or entropy minimisation (false: labels unused)
     * @param batchSize   examples per step (all of them if larger)
     * @param maxLength   token limit; 0: each target model's own ({@link TaskModel#maxLength()})
     * @param initLambda  every coefficient's start value (0 starts from the base)
     * @param seed        batch sampling seed
     */
    public record Options(int steps, double lr, boolean supervised, int batchSize, int maxLength, double initLambda, long seed) {
        public Options {
            if (steps <= 0 || lr <= 0 || batchSize <= 0) {
                throw new GraftException("aTLAS needs positive steps, learning rate and batch size");
            }
        }
    }

    /**
     * The learned coefficients and the loss per step.
     *
     * @param blocks  block (tensor) names
     * @param lambdas [tasks][blocks]
     * @param losses  the objective at each step (before its update)
     */
    public record Result(List<String> blocks, double[][] lambdas, List<Double> losses) {
    }

    /**
     * @param model       a classifier whose encoder currently holds θ₀ and whose head is the target task's
     * @param taskVectors per task, tensor name to τ (flattened, the parameter's shape); names not in the encoder
     *                    (e.g. heads) are ignored
     */
    public Atlas(TaskModel model, List<Map<String, float[]>> taskVectors) {
        this(List.of(model), taskVectors);
    }

    /**
     * Several target tasks at once (aTLAS' task addition): the objective is the mean of each target's loss on its own
     * examples through its own head.
     *
     * @param targets     classifiers sharing one base encoder, which currently holds θ₀
     * @param taskVectors per task, tensor name to τ (flattened, the parameter's shape); names not in the encoder
     *                    (e.g. heads) are ignored
     */
    public Atlas(List<TaskModel> targets, List<Map<String, float[]>> taskVectors) {
        if (targets.isEmpty()) {
            throw new GraftException("aTLAS needs at least one target task");
        }
        for (TaskModel t : targets) {
            if (t.task() != Task.CLASSIFICATION || t.head() == null) {
                throw new GraftException("aTLAS needs classification models with their heads");
            }
            if (t.base() != targets.get(0).base()) {
                throw new GraftException("aTLAS' target heads must share one base encoder");
            }
        }
        this.targets = List.copyOf(targets);
        this.taskVectors = taskVectors;
        Map<String, Parameter> enc = targets.get(0).base().namedParameters();
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : enc.entrySet()) {
            boolean any = false;
            for (Map<String, float[]> tv : taskVectors) {
                float[] t = tv.get(e.getKey());
                if (t != null) {
                    if (t.length != e.getValue().getArray().size()) {
                        throw new GraftException("task vector for " + e.getKey() + " has " + t.length + " values, the parameter "
                                + e.getValue().getArray().getShape());
                    }
                    any = true;
                }
            }
            if (any) {
                names.add(e.getKey());
                params.put(e.getKey(), e.getValue());
                theta0.put(e.getKey(), e.getValue().getArray().toFloatArray());
            }
        }
        if (names.isEmpty()) {
            throw new GraftException("no task vector names a parameter of the model");
        }
        this.blocks = List.copyOf(names);
    }

    /** Block names in coefficient order. */
    public List<String> blocks() {
        return blocks;
    }

    /** Writes θ₀ + Σ λ τ into the encoder. @param lambdas [tasks][blocks] */
    public void apply(double[][] lambdas) {
        for (int b = 0; b < blocks.size(); b++) {
            String name = blocks.get(b);
            float[] w = theta0.get(name).clone();
            for (int t = 0; t < taskVectors.size(); t++) {
                float[] tv = taskVectors.get(t).get(name);
                if (tv == null || lambdas[t][b] == 0) {
                    continue;
                }
                float l = (float) lambdas[t][b];
                for (int i = 0; i < w.length; i++) {
                    w[i] += l * tv[i];
                }
            }
            Arrays2.assign(params.get(name).getArray(), w);
        }
    }

    /**
     * The objective at {@code lambdas} on {@code examples} and its gradient with respect to every coefficient.
     *
     * @param grad output [tasks][blocks]
     * @return the loss
     */
    public double lossAndGradient(double[][] lambdas, List<Example> examples, List<TokenizedText> tokens, boolean supervised,
                                  double[][] grad) {
        apply(lambdas);
        return lossAndGradient(targets.get(0), examples, tokens, supervised, grad);
    }

    /** The objective of one target at the coefficients already applied, and its gradient [tasks][blocks]. */
    private double lossAndGradient(TaskModel model, List<Example> examples, List<TokenizedText> tokens, boolean supervised,
                                   double[][] grad) {
        params.values().forEach(p -> p.getArray().setRequiresGradient(true));
        try (NDManager scope = model.base().manager().newSubManager()) {
            TokenBatch in = TokenBatch.of(tokens, scope);
            double value;
            try (GradientCollector gc = Engines.pytorch().newGradientCollector()) {
                NDArray logp = model.forward(in, false).logSoftmax(1); // [B, C]
                int c = (int) logp.getShape().get(1);
                NDArray loss;
                if (supervised) {
                    float[] oneHot = new float[examples.size() * c];
                    for (int i = 0; i < examples.size(); i++) {
                        oneHot[i * c + model.labels().classIndex(examples.get(i))] = 1f;
                    }
                    loss = logp.mul(Arrays2.owned(scope, oneHot, logp.getShape())).sum().neg()
                            .div(Arrays2.scalar(scope, examples.size()));
                } else {
                    loss = logp.exp().mul(logp).sum().neg().div(Arrays2.scalar(scope, examples.size())); // mean entropy
                }
                value = loss.getFloat();
                gc.backward(loss);
            }
            for (int b = 0; b < blocks.size(); b++) {
                NDArray g = params.get(blocks.get(b)).getArray().getGradient();
                g.attach(scope);
                float[] gv = g.toFloatArray();
                g.muli(0f);
                for (int t = 0; t < taskVectors.size(); t++) {
                    float[] tv = taskVectors.get(t).get(blocks.get(b));
                    double s = 0;
                    if (tv != null) {
                        for (int i = 0; i < gv.length; i++) {
                            s += (double) gv[i] * tv[i];
                        }
                    }
                    grad[t][b] = s;
                }
            }
            return value;
        } finally {
            params.values().forEach(p -> p.getArray().setRequiresGradient(false));
        }
    }

    /** Learns the coefficients; the encoder is left at the learned composition θ₀ + Σ λ τ. */
    public Result learn(List<Example> examples, Options o) {
        return learnAll(List.of(examples), o);
    }

    /**
     * Learns the coefficients for every target at once (the mean of the targets' objectives, each batch drawn from each
     * target's examples); the encoder is left at the learned composition θ₀ + Σ λ τ.
     *
     * @param examples per target (in the order of the constructor's targets)
     */
    public Result learnAll(List<List<Example>> examples, Options o) {
        return learnAll(examples, o, Progress.NONE);
    }

    /** As {@link #learnAll(List, Options)}, reporting each step (and the objective) to {@code progress}. */
    public Result learnAll(List<List<Example>> examples, Options o, Progress progress) {
        if (examples.size() != targets.size()) {
            throw new GraftException("aTLAS has " + targets.size() + " target heads but " + examples.size() + " example sets");
        }
        int tasks = taskVectors.size();
        int nb = blocks.size();
        double[][] lambda = new double[tasks][nb];
        for (double[] row : lambda) {
            Arrays.fill(row, o.initLambda());
        }
        double[][] m = new double[tasks][nb];
        double[][] v = new double[tasks][nb];
        double[][] g = new double[tasks][nb];
        double[][] gk = new double[tasks][nb];
        List<List<TokenizedText>> allTokens = new ArrayList<>();
        for (int k = 0; k < targets.size(); k++) {
            if (examples.get(k).isEmpty()) {
                throw new GraftException("aTLAS: target " + k + " has no examples");
            }
            allTokens.add(targets.get(k).tokenize(examples.get(k), o.maxLength() > 0 ? o.maxLength() : targets.get(k).maxLength()));
        }
        Random rnd = new Random(o.seed());
        List<Double> losses = new ArrayList<>();
        double b1 = 0.9;
        double b2 = 0.999;
        progress.start("aTLAS", o.steps());
        for (int step = 1; step <= o.steps(); step++) {
            apply(lambda);
            double loss = 0;
            for (double[] row : g) {
                Arrays.fill(row, 0);
            }
            for (int k = 0; k < targets.size(); k++) {
                List<Example> ex = examples.get(k);
                List<Example> batch = new ArrayList<>();
                List<TokenizedText> batchTokens = new ArrayList<>();
                if (ex.size() <= o.batchSize()) {
                    batch.addAll(ex);
                    batchTokens.addAll(allTokens.get(k));
                } else {
                    for (int i = 0; i < o.batchSize(); i++) {
                        int j = rnd.nextInt(ex.size());
                        batch.add(ex.get(j));
                        batchTokens.add(allTokens.get(k).get(j));
                    }
                }
                loss += lossAndGradient(targets.get(k), batch, batchTokens, o.supervised(), gk) / targets.size();
                for (int t = 0; t < tasks; t++) {
                    for (int b = 0; b < nb; b++) {
                        g[t][b] += gk[t][b] / targets.size();
                    }
                }
            }
            losses.add(loss);
            progress.message(String.format(java.util.Locale.ROOT, "objective %.4f", loss));
            progress.advance(1);
            for (int t = 0; t < tasks; t++) {
                for (int b = 0; b < nb; b++) {
                    m[t][b] = b1 * m[t][b] + (1 - b1) * g[t][b];
                    v[t][b] = b2 * v[t][b] + (1 - b2) * g[t][b] * g[t][b];
                    double mh = m[t][b] / (1 - Math.pow(b1, step));
                    double vh = v[t][b] / (1 - Math.pow(b2, step));
                    lambda[t][b] -= o.lr() * mh / (Math.sqrt(vh) + 1e-8);
                }
            }
        }
        progress.finish();
        apply(lambda);
        return new Result(blocks, lambda, losses);
    }
}

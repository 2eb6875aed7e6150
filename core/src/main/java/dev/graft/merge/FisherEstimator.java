package dev.graft.merge;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import dev.graft.GraftException;
import dev.graft.io.safetensors.SafetensorsWriter;
import dev.graft.model.TokenBatch;
import dev.graft.runtime.Arrays2;
import dev.graft.runtime.Engines;
import dev.graft.runtime.Progress;
import dev.graft.text.TokenizedText;
import dev.graft.train.Example;
import dev.graft.train.Task;
import dev.graft.train.TaskHead;
import dev.graft.train.TaskModel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The diagonal empirical Fisher of a fine-tuned classifier: F = (1/N) Σₙ (∂ log p(yₙ | xₙ; θ) / ∂θ)², one example
 * at a time (a batch would square the sum of the gradients, not sum their squares). yₙ is the model's own
 * prediction (argmax; Matena &amp; Raffel's choice when labels are not used) or the gold label.
 *
 * <p>Gradients are taken with respect to the base encoder's weights with the adapter attached. Adapters such as
 * LoRA add their delta to the weight (W' = W + s·B·A), so ∂L/∂W = ∂L/∂W': this is the Fisher of the fine-tuned
 * model's effective weights, under the base model's tensor names — what the {@code fisher} merge method reads for
 * a {@code model+adapter} or an exported model. The head's Fisher is stored under {@code classifier.*}.
 */
public final class FisherEstimator {
    private FisherEstimator() {
    }

    /** Which label the log-likelihood is taken at. */
    public enum Label { PREDICTED, GOLD }

    /**
     * Estimates the diagonal Fisher.
     *
     * @return parameter name to F [same shape as the parameter, flattened]
     */
    public static Map<String, float[]> estimate(TaskModel model, List<Example> examples, int maxLength, Label label,
                                                Progress progress) {
        if (model.task() != Task.CLASSIFICATION) {
            throw new GraftException("graft fisher supports classification adapters (the task is " + model.task().cliName() + ")");
        }
        if (examples.isEmpty()) {
            throw new GraftException("graft fisher needs at least one example");
        }
        Map<String, Parameter> params = new LinkedHashMap<>(model.base().namedParameters());
        model.head().namedParameters(TaskHead.NAME).forEach(params::put);
        Map<String, float[]> fisher = new LinkedHashMap<>();
        params.forEach((k, p) -> fisher.put(k, new float[Math.toIntExact(p.getArray().size())]));
        Map<String, Boolean> required = new LinkedHashMap<>();
        params.forEach((k, p) -> {
            required.put(k, p.getArray().hasGradient());
            p.getArray().setRequiresGradient(true);
        });
        List<TokenizedText> tokens = model.tokenize(examples, maxLength);
        progress.start("fisher", examples.size());
        try {
            for (int n = 0; n < tokens.size(); n++) {
                try (NDManager scope = model.base().manager().newSubManager()) {
                    TokenBatch in = TokenBatch.of(List.of(tokens.get(n)), scope);
                    try (GradientCollector gc = Engines.pytorch().newGradientCollector()) {
                        NDArray logp = model.forward(in, false).logSoftmax(1); // [1, C]
                        int y = label == Label.GOLD ? model.labels().classIndex(examples.get(n))
                                : (int) logp.argMax(1).toType(ai.djl.ndarray.types.DataType.INT64, false).getLong(0);
                        float[] oneHot = new float[(int) logp.getShape().get(1)];
                        oneHot[y] = 1f;
                        NDArray ll = logp.mul(Arrays2.owned(scope, oneHot, logp.getShape())).sum();
                        gc.backward(ll);
                    }
                    for (Map.Entry<String, Parameter> e : params.entrySet()) {
                        NDArray g = e.getValue().getArray().getGradient();
                        g.attach(scope);
                        float[] gv = g.toFloatArray();
                        float[] f = fisher.get(e.getKey());
                        for (int i = 0; i < f.length; i++) {
                            f[i] += gv[i] * gv[i];
                        }
                        g.muli(0f);
                    }
                }
                progress.advance(1);
            }
        } finally {
            params.forEach((k, p) -> p.getArray().setRequiresGradient(required.get(k)));
            progress.finish();
        }
        float inv = 1f / examples.size();
        fisher.values().forEach(f -> {
            for (int i = 0; i < f.length; i++) {
                f[i] *= inv;
            }
        });
        return fisher;
    }

    /** Writes the Fisher as F32 safetensors under the parameters' names and shapes. */
    public static void write(Path file, Map<String, float[]> fisher, Map<String, long[]> shapes, Map<String, String> metadata) {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt").metadata("graft", "fisher").metadata(metadata);
        fisher.forEach((k, v) -> w.addFloats(k, shapes.get(k), v));
        w.write(file);
    }

    /** The parameters' shapes, for {@link #write}. */
    public static Map<String, long[]> shapes(TaskModel model) {
        Map<String, long[]> s = new LinkedHashMap<>();
        model.base().namedParameters().forEach((k, p) -> s.put(k, p.getArray().getShape().getShape()));
        model.head().namedParameters(TaskHead.NAME).forEach((k, p) -> s.put(k, p.getArray().getShape().getShape()));
        return s;
    }
}

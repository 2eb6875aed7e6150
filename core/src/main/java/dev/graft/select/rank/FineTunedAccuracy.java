package dev.graft.select.rank;

import dev.graft.GraftException;
import dev.graft.model.EncoderModel;
import dev.graft.runtime.Progress;
import dev.graft.train.Example;
import dev.graft.train.TaskModel;
import dev.graft.tune.Tuning;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The ground truth a ranking is checked against ({@code graft rank --validate}): fine-tunes every candidate model
 * with LoRA at its defaults and the same budget, and measures accuracy on held-out data at the best epoch.
 * {@link RankValidation#compare} then says how well each estimator predicted it.
 *
 * <pre>{@code
 * Map<String, Double> accuracy = FineTunedAccuracy.lora().epochs(2).measure(models, train, validation);
 * }</pre>
 */
public final class FineTunedAccuracy {
    private int epochs = 2;
    private long seed = 42;
    private Integer maxLength;
    private Path output;
    private Progress progress = Progress.NONE;
    private Consumer<String> log = line -> { };

    private FineTunedAccuracy() {
    }

    /** LoRA with each model's defaults; 2 epochs, seed 42, max length 128 (capped at each model's positions). */
    public static FineTunedAccuracy lora() {
        return new FineTunedAccuracy();
    }

    public FineTunedAccuracy epochs(int n) {
        this.epochs = n;
        return this;
    }

    public FineTunedAccuracy seed(long s) {
        this.seed = s;
        return this;
    }

    /** Token limit per example (capped at each model's positions); null = {@value TaskModel#DEFAULT_MAX_LENGTH}. */
    public FineTunedAccuracy maxLength(Integer tokens) {
        this.maxLength = tokens;
        return this;
    }

    /** Keeps each model's adapter in a subdirectory of {@code dir}; default a new temporary directory. */
    public FineTunedAccuracy output(Path dir) {
        this.output = dir;
        return this;
    }

    /** Training progress of each run. */
    public FineTunedAccuracy progress(Progress p) {
        this.progress = Objects.requireNonNull(p, "progress");
        return this;
    }

    /** Receives one line as each model starts ("fine-tuning ... with LoRA for validation"). */
    public FineTunedAccuracy log(Consumer<String> lines) {
        this.log = Objects.requireNonNull(lines, "log");
        return this;
    }

    /**
     * Fine-tunes each model on {@code train} and evaluates on {@code validation}.
     *
     * @param models ids or directories, loaded one at a time
     * @return model to validation accuracy, in {@code models} order
     * @throws GraftException when there is no validation data, or a model fails to load or train
     */
    public Map<String, Double> measure(List<String> models, List<Example> train, List<Example> validation) {
        if (validation.isEmpty()) {
            throw new GraftException("validation data: no examples; fine-tuned accuracy needs labelled held-out texts");
        }
        Path dir = output != null ? output : temporaryDirectory();
        Map<String, Double> accuracy = new LinkedHashMap<>();
        for (String id : models) {
            log.accept("fine-tuning " + id + " with LoRA for validation");
            try (EncoderModel m = EncoderModel.load(id)) {
                int tokens = Math.min(maxLength != null ? maxLength : TaskModel.DEFAULT_MAX_LENGTH, m.info().maxPositions());
                // The learning rate stays unset: LoRA's default, the same for every model.
                Tuning.Result r = Tuning.of(m).method("lora").epochs(epochs).seed(seed).maxLength(tokens)
                        .train(train).eval(validation).progress(progress)
                        .run(dir.resolve(id.replaceAll("[^A-Za-z0-9._-]", "_")));
                accuracy.put(id, r.metrics().get("accuracy"));
            }
        }
        return accuracy;
    }

    private static Path temporaryDirectory() {
        try {
            return Files.createTempDirectory("graft-rank-validate");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

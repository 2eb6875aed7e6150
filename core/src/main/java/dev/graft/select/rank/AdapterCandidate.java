package dev.graft.select.rank;

import dev.graft.GraftException;
import dev.graft.model.EncoderModel;
import dev.graft.train.Example;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.tune.ModelRef;
import java.nio.file.Path;
import java.util.List;

/**
 * A fine-tuned classification adapter on its base model, as a ranking candidate with a source classifier (so LEEP
 * and NCE can score it). It owns both models: {@link #close()} releases them.
 */
public final class AdapterCandidate implements ClassifierCandidate {
    /** Examples per forward pass. */
    private static final int BATCH = 32;

    private final Path dir;
    private final EncoderModel base;
    private final TaskModel model;

    private AdapterCandidate(Path dir, EncoderModel base, TaskModel model) {
        this.dir = dir;
        this.base = base;
        this.model = model;
    }

    /**
     * Loads the adapter in {@code dir} onto its base model.
     *
     * @param base      the base model's id or directory; null = the one the adapter records
     * @param maxLength token limit per text; null = the one the adapter was trained with ({@link TaskModel#maxLength()})
     * @throws GraftException when the base is unknown, the adapter is not a classifier, or the limit is out of range
     */
    public static AdapterCandidate load(Path dir, String base, Integer maxLength) {
        ModelRef.Loaded loaded = ModelRef.of(dir, base, "--base").load(null, maxLength);
        TaskModel model = loaded.model();
        if (model.task() != Task.CLASSIFICATION) {
            loaded.close();
            throw new GraftException(dir + ": a " + model.task().cliName() + " adapter has no source classifier; "
                    + "LEEP and NCE need a classification adapter");
        }
        return new AdapterCandidate(dir, loaded.base(), model);
    }

    @Override
    public String label() {
        return dir.toString();
    }

    /** [texts, hidden] pooled features of the adapted encoder. */
    @Override
    public float[][] features(List<String> texts) {
        return model.embed(examples(texts), BATCH);
    }

    /** [texts, classes] the adapter's class probabilities. */
    @Override
    public float[][] sourceProbabilities(List<String> texts) {
        return model.predict(examples(texts), BATCH);
    }

    /** The token limit texts are cut at. */
    public int maxLength() {
        return model.maxLength();
    }

    private static List<Example> examples(List<String> texts) {
        return texts.stream().map(t -> new Example(t, null, null, "rank")).toList();
    }

    @Override
    public void close() {
        model.close();
        base.close();
    }
}

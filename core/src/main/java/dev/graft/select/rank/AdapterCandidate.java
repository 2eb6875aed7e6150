package dev.graft.select.rank;

import dev.graft.GraftException;
import dev.graft.model.EncoderModel;
import dev.graft.peft.AdapterFiles;
import dev.graft.train.Example;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.tune.TaskModelFiles;
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
        String baseId = base != null ? base : AdapterFiles.baseModelOf(dir);
        if (baseId == null) {
            throw new GraftException(dir + ": the adapter does not record its base model; give it with --base");
        }
        EncoderModel encoder = EncoderModel.load(baseId);
        TaskModel model = null;
        try {
            model = TaskModelFiles.load(encoder, dir, null);
            if (model.task() != Task.CLASSIFICATION) {
                throw new GraftException(dir + ": a " + model.task().cliName() + " adapter has no source classifier; "
                        + "LEEP and NCE need a classification adapter");
            }
            if (maxLength != null) {
                model.maxLength(maxLength);
            }
            return new AdapterCandidate(dir, encoder, model);
        } catch (RuntimeException e) {
            if (model != null) {
                model.close();
            }
            encoder.close();
            throw e;
        }
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

package dev.graft.cli;

import dev.graft.GraftException;
import dev.graft.model.EncoderModel;
import dev.graft.peft.AdapterFiles;
import dev.graft.select.rank.ClassifierCandidate;
import dev.graft.train.Example;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.tune.TaskModelFiles;
import java.nio.file.Path;
import java.util.List;

/** A fine-tuned classification adapter on its base model, as a ranking candidate with a source classifier. */
final class AdapterCandidate implements ClassifierCandidate {
    private final Path dir;
    private final EncoderModel base;
    private final TaskModel model;
    private final int maxLength;

    AdapterCandidate(Path dir, String baseOverride, Integer maxLength) {
        this.dir = dir;
        String baseId = baseOverride != null ? baseOverride : AdapterFiles.baseModelOf(dir);
        if (baseId == null) {
            throw new GraftException(dir + ": the adapter does not record its base model; give it with --base");
        }
        this.base = EncoderModel.load(baseId);
        try {
            this.model = TaskModelFiles.load(base, dir, null);
            if (model.task() != Task.CLASSIFICATION) {
                throw new GraftException(dir + ": a " + model.task().cliName() + " adapter has no source classifier; "
                        + "LEEP and NCE need a classification adapter");
            }
        } catch (RuntimeException e) {
            base.close();
            throw e;
        }
        this.maxLength = maxLength != null ? maxLength : 128;
    }

    @Override
    public String label() {
        return dir.toString();
    }

    @Override
    public float[][] features(List<String> texts) {
        return model.embed(examples(texts), maxLength, 32);
    }

    @Override
    public float[][] sourceProbabilities(List<String> texts) {
        return model.predict(examples(texts), maxLength, 32);
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

package dev.graft.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.peft.PeftMethods;
import dev.graft.testing.TinyBert;
import dev.graft.train.Example;
import dev.graft.train.LabelSpace;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.train.ToyTasks;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parts that do not fit together fail when they meet, with both numbers, not at the first batch inside the engine
 * ("index out of range in self").
 */
class MismatchedPartsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aTokenizerLargerThanTheEmbeddingTableFailsAtLoad() throws Exception {
        Path model = dir.resolve("model");
        try (EncoderModel m = TinyBert.create(dir.resolve("tok"), 1)) {
            m.saveAsHuggingFace(model);
        }
        // another model's tokenizer: the same words and 3 more, with ids past this model's vocab_size
        Path tokenizer = model.resolve("tokenizer.json");
        ObjectNode tok = (ObjectNode) JSON.readTree(tokenizer.toFile());
        ObjectNode vocab = (ObjectNode) tok.path("model").path("vocab");
        int size = TinyBert.vocabulary().size();
        for (int i = 0; i < 3; i++) {
            vocab.put("extra" + i, size + i);
        }
        JSON.writeValue(tokenizer.toFile(), tok);

        GraftException e = assertThrows(GraftException.class, () -> EncoderModel.load(model.toString()).close());
        assertEquals(tokenizer + " holds " + (size + 3) + " tokens but the config.json of " + model + " has vocab_size "
                + size + ": the tokenizer does not belong to this model", e.getMessage());
    }

    @Test
    void aMaxLengthPastThePositionEmbeddingsFailsWhenItIsSet() throws Exception {
        List<Example> train = ToyTasks.sentiment(8, 1);
        try (EncoderModel base = TinyBert.create(dir.resolve("tok"), 1)) {
            int positions = base.info().maxPositions();
            String expected = "max length " + (positions + 1) + " exceeds max_position_embeddings " + positions
                    + " in the config.json of tiny-bert; use a max length of at most " + positions;
            GraftException embed = assertThrows(GraftException.class,
                    () -> new Embedder(base, EmbedOptions.defaults(base, null, positions + 1)));
            assertEquals(expected, embed.getMessage());
            try (TaskModel model = new TaskModel(base, PeftMethods.byName("bitfit"), JSON.createObjectNode(),
                    LabelSpace.fromTraining(Task.CLASSIFICATION, train), Pooling.MEAN, 3)) {
                GraftException set = assertThrows(GraftException.class, () -> model.maxLength(positions + 1));
                assertEquals(expected, set.getMessage());
                GraftException predict = assertThrows(GraftException.class, () -> model.predict(train, positions + 1, 8));
                assertEquals(expected, predict.getMessage());
                assertEquals(train.size(), model.predict(train, positions, 8).length, "the limit itself is allowed");
            }
        }
    }
}

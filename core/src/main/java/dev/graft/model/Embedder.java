package dev.graft.model;

import dev.graft.runtime.Progress;
import java.util.List;

/**
 * Turns texts into sentence vectors with a loaded {@link EncoderModel}: tokenise, sort by length, pad per batch,
 * run the encoder without gradients, pool, optionally normalise; results come back in the caller's order.
 */
public final class Embedder {
    private final EncoderModel model;
    private final EmbedOptions options;

    public Embedder(EncoderModel model, EmbedOptions options) {
        this.model = model;
        this.options = options;
    }

    /** @return one vector per text, [texts.size()][hiddenSize] */
    public float[][] embed(List<String> texts) {
        return embed(texts, Progress.NONE);
    }

    /** @return one vector per text, [texts.size()][hiddenSize]; reports progress in texts */
    public float[][] embed(List<String> texts, Progress progress) {
        throw new UnsupportedOperationException("being written");
    }
}

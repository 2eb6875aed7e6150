package dev.graft.model;

import dev.graft.text.TextTokenizer;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A loaded pretrained encoder: tokenizer, network and weights, ready to embed or to adapt.
 * Load one with {@link #load(String)} from a bundled id or a Hugging Face model directory; close it to free its
 * native memory.
 */
public final class EncoderModel implements AutoCloseable {

    /** Loads a bundled model id (see {@link BundledModels}) or a Hugging Face model directory. */
    public static EncoderModel load(String idOrDirectory) {
        throw new UnsupportedOperationException("being written");
    }

    public ModelInfo info() {
        throw new UnsupportedOperationException("being written");
    }

    /** The bundled model this was loaded from, if it was a bundled id. */
    public Optional<BundledModel> bundled() {
        throw new UnsupportedOperationException("being written");
    }

    public TextTokenizer tokenizer() {
        throw new UnsupportedOperationException("being written");
    }

    public Pooling defaultPooling() {
        throw new UnsupportedOperationException("being written");
    }

    public boolean defaultNormalize() {
        throw new UnsupportedOperationException("being written");
    }

    /** Writes this model as a standard Hugging Face directory: config.json, model.safetensors, tokenizer.json. */
    public void saveAsHuggingFace(Path directory) {
        throw new UnsupportedOperationException("being written");
    }

    @Override
    public void close() {
    }
}

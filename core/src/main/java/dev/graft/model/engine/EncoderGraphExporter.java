package dev.graft.model.engine;

import dev.graft.model.EncoderModel;
import java.nio.file.Path;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Writes the ONNX graph of a model that has none of its own (a Hugging Face directory), so that ONNX Runtime can run
 * it. The exporter lives in a layer above this one ({@code dev.graft.export}) and is found through
 * {@link ServiceLoader}; this package only opens the file it returns.
 */
public interface EncoderGraphExporter {
    /**
     * The {@code model.onnx} of {@code model}'s encoder, with its pooling, exported once and cached (graph contract:
     * {@code onnx_export.json}; inputs input_ids, attention_mask, token_type_ids int64 [B, T]).
     *
     * @throws dev.graft.GraftException if the architecture has no ONNX form or the cache cannot be written
     */
    Path export(EncoderModel model);

    /** The registered exporter, if the export layer is on the class path. */
    static Optional<EncoderGraphExporter> find() {
        return ServiceLoader.load(EncoderGraphExporter.class, EncoderGraphExporter.class.getClassLoader()).findFirst();
    }
}

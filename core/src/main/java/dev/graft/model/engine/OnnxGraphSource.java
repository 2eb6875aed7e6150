package dev.graft.model.engine;

import dev.graft.GraftException;
import dev.graft.io.onnx.OnnxGraph;
import dev.graft.io.onnx.OnnxModelReader;
import dev.graft.io.onnx.OnnxNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An ONNX model that computes an encoder, and which of its values Graft reads. Inputs are {@code input_ids},
 * {@code attention_mask} and (optionally) {@code token_type_ids}, [B, T] int64 or int32.
 *
 * @param description     where the model comes from, for messages
 * @param bytes           the serialised ModelProto ({@code model.onnx}; external data is not supported)
 * @param lastHiddenState the [B, T, H] output
 * @param pooler          the [B, H] output of BERT's pooler (tanh(dense(CLS))), or null if the graph has none
 * @param layerStates     the L + 1 hidden states [B, T, H] (embedding layer, then each transformer layer; the last is
 *                        {@code lastHiddenState}), which may be intermediate values that are not graph outputs; empty
 *                        when they could not be identified
 * @param logits          a classifier's [B, C] output, or null
 */
public record OnnxGraphSource(String description, byte[] bytes, String lastHiddenState, String pooler,
                              List<String> layerStates, String logits) {
    /** Graph output names Graft's exporter writes (issue 14). */
    public static final String LAST_HIDDEN_STATE = "last_hidden_state";
    public static final String LOGITS = "logits";

    public OnnxGraphSource {
        if (bytes == null || lastHiddenState == null) {
            throw new IllegalArgumentException("an ONNX graph source needs bytes and a last hidden state output");
        }
        layerStates = List.copyOf(layerStates);
    }

    /** Reads {@code file} and finds its outputs as {@link #of(String, byte[])} does. */
    public static OnnxGraphSource read(Path file) {
        try {
            return of(file.toString(), Files.readAllBytes(file));
        } catch (IOException e) {
            throw new GraftException(file + ": cannot read the ONNX model (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Finds the values Graft reads in an encoder graph with Hugging Face parameter names. The last hidden state is
     * the output named {@code last_hidden_state}, else the output of the last layer's
     * {@code encoder.layer.<l>.output.LayerNorm}, else the first output; each layer's state is the value computed by
     * the node that adds (or applies) its output LayerNorm's bias ({@code embeddings.LayerNorm.bias} for the embedding
     * layer); the pooler is an output computed by a Tanh node; logits an output named {@code logits}.
     */
    public static OnnxGraphSource of(String description, byte[] bytes) {
        OnnxGraph g;
        try {
            g = OnnxModelReader.read(new ByteArrayInputStream(bytes), description);
        } catch (IOException | RuntimeException e) {
            throw new GraftException(description + ": not a readable ONNX model (" + e.getMessage() + ")", e);
        }
        List<String> layers = layerStates(g);
        String last = g.outputs().contains(LAST_HIDDEN_STATE) ? LAST_HIDDEN_STATE
                : !layers.isEmpty() && g.outputs().contains(layers.get(layers.size() - 1)) ? layers.get(layers.size() - 1)
                : g.outputs().isEmpty() ? null : g.outputs().get(0);
        if (last == null) {
            throw new GraftException(description + ": the ONNX graph has no outputs");
        }
        if (!layers.isEmpty() && !layers.get(layers.size() - 1).equals(last)) {
            layers = List.of(); // the layers found do not end in the output: do not trust them
        }
        String pooler = g.outputs().stream()
                .filter(o -> g.producer(o).map(n -> n.opType().equals("Tanh")).orElse(false)).findFirst().orElse(null);
        String logits = g.outputs().contains(LOGITS) ? LOGITS : null;
        return new OnnxGraphSource(description, bytes, last, pooler, layers, logits);
    }

    /** Embedding-layer and per-layer LayerNorm outputs, or an empty list if any is missing. */
    private static List<String> layerStates(OnnxGraph g) {
        List<String> states = new ArrayList<>();
        Optional<String> embeddings = layerNormOutput(g, "embeddings.LayerNorm.bias");
        if (embeddings.isEmpty()) {
            return List.of();
        }
        states.add(embeddings.get());
        for (int l = 0; ; l++) {
            Optional<String> s = layerNormOutput(g, "encoder.layer." + l + ".output.LayerNorm.bias");
            if (s.isEmpty()) {
                break;
            }
            states.add(s.get());
        }
        return states.size() < 2 ? List.of() : states;
    }

    private static Optional<String> layerNormOutput(OnnxGraph g, String bias) {
        List<OnnxNode> users = g.consumers(bias);
        return users.size() == 1 ? Optional.of(users.get(0).outputs().get(0)) : Optional.empty();
    }

    /** The same description and outputs without the model bytes, for holders that no longer need them. */
    public OnnxGraphSource outputsOnly() {
        return new OnnxGraphSource(description, new byte[0], lastHiddenState, pooler, layerStates, logits);
    }

    /** L, the number of transformer layers whose states are known (0 if none). */
    public int layers() {
        return Math.max(0, layerStates.size() - 1);
    }
}

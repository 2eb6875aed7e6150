package dev.graft.model.bert;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.GraftException;
import dev.graft.io.onnx.OnnxGraph;
import dev.graft.model.Architecture;
import dev.graft.model.Encoder;
import java.util.Set;

/** The BERT family (BERT, MiniLM, BGE, E5) in the architecture registry. */
public final class BertArchitecture implements Architecture {
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    @Override
    public String name() {
        return "bert";
    }

    @Override
    public Set<String> modelTypes() {
        return Set.of("bert");
    }

    @Override
    public Encoder create(JsonNode config, Set<String> weightNames) {
        BertConfig c;
        try {
            c = JSON.treeToValue(config, BertConfig.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new GraftException("config.json: " + e.getOriginalMessage());
        } catch (IllegalArgumentException e) {
            throw new GraftException("config.json: " + e.getMessage());
        }
        return new BertModel(c, weightNames.contains("pooler.dense.weight"));
    }

    /**
     * Checkpoints of task models prefix the encoder with {@code bert.}; TF-converted ones name layer-norm parameters
     * {@code gamma}/{@code beta}. Heads ({@code cls.}, {@code classifier.}) and buffers ({@code position_ids}) are
     * not part of the encoder.
     */
    @Override
    public String rename(String name) {
        String n = name.startsWith("bert.") ? name.substring(5) : name;
        if (n.endsWith("LayerNorm.gamma")) {
            n = n.substring(0, n.length() - 5) + "weight";
        } else if (n.endsWith("LayerNorm.beta")) {
            n = n.substring(0, n.length() - 4) + "bias";
        }
        boolean encoderPart = n.startsWith("embeddings.") || n.startsWith("encoder.") || n.startsWith("pooler.");
        return encoderPart && !n.endsWith("position_ids") ? n : null;
    }

    @Override
    public EncoderGraph exportOnnx(Encoder encoder, dev.graft.model.nn.OnnxExport export) {
        if (!(encoder instanceof BertModel bert)) {
            throw new GraftException("architecture 'bert' exports BERT encoders, not " + encoder.getClass().getSimpleName());
        }
        return bert.exportOnnx(export);
    }

    @Override
    public OnnxImport importOnnx(OnnxGraph graph, String source, int fallbackHeads) {
        BertOnnxImport weights = new BertOnnxImport(graph, source);
        return new OnnxImport(weights, JSON.valueToTree(weights.config(fallbackHeads)));
    }
}

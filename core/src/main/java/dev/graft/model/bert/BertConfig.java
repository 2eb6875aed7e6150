package dev.graft.model.bert;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.GraftException;
import java.util.List;

/**
 * The fields of a Hugging Face BERT {@code config.json} that shape the network. Unknown keys are ignored.
 *
 * @param hiddenSize          H
 * @param numHiddenLayers     number of transformer layers
 * @param numAttentionHeads   heads; H must be divisible by it
 * @param intermediateSize    FFN inner size
 * @param maxPositionEmbeddings rows of the position table (longest input)
 * @param typeVocabSize       rows of the token-type table
 * @param vocabSize           rows of the word table
 * @param layerNormEps        epsilon of every layer norm
 * @param hiddenAct           FFN activation: gelu (exact), gelu_new / gelu_pytorch_tanh (tanh approximation), relu, silu
 * @param padTokenId          padding token id
 * @param modelType           {@code bert}
 * @param architectures       HF class names, e.g. {@code BertModel}
 * @param hiddenDropoutProb   dropout on hidden states during training (HF default 0.1)
 * @param attentionDropoutProb dropout on attention probabilities during training (HF default 0.1)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BertConfig(
        @JsonProperty("hidden_size") int hiddenSize,
        @JsonProperty("num_hidden_layers") int numHiddenLayers,
        @JsonProperty("num_attention_heads") int numAttentionHeads,
        @JsonProperty("intermediate_size") int intermediateSize,
        @JsonProperty("max_position_embeddings") int maxPositionEmbeddings,
        @JsonProperty("type_vocab_size") int typeVocabSize,
        @JsonProperty("vocab_size") int vocabSize,
        @JsonProperty("layer_norm_eps") double layerNormEps,
        @JsonProperty("hidden_act") String hiddenAct,
        @JsonProperty("pad_token_id") int padTokenId,
        @JsonProperty("model_type") String modelType,
        @JsonProperty("architectures") List<String> architectures,
        @JsonProperty("hidden_dropout_prob") Double hiddenDropoutProb,
        @JsonProperty("attention_probs_dropout_prob") Double attentionDropoutProb) {

    public BertConfig {
        hiddenAct = hiddenAct == null ? "gelu" : hiddenAct;
        modelType = modelType == null ? "bert" : modelType;
        architectures = architectures == null ? List.of("BertModel") : List.copyOf(architectures);
        hiddenDropoutProb = hiddenDropoutProb == null ? 0.1 : hiddenDropoutProb;
        attentionDropoutProb = attentionDropoutProb == null ? 0.1 : attentionDropoutProb;
        require(hiddenDropoutProb >= 0 && hiddenDropoutProb < 1, "hidden_dropout_prob", "in [0, 1)", hiddenDropoutProb);
        require(attentionDropoutProb >= 0 && attentionDropoutProb < 1, "attention_probs_dropout_prob", "in [0, 1)",
                attentionDropoutProb);
        if (layerNormEps == 0) {
            layerNormEps = 1e-12;
        }
        if (typeVocabSize == 0) {
            typeVocabSize = 2;
        }
        require(hiddenSize > 0, "hidden_size", "a positive integer", hiddenSize);
        require(numHiddenLayers > 0, "num_hidden_layers", "a positive integer", numHiddenLayers);
        require(numAttentionHeads > 0 && hiddenSize % numAttentionHeads == 0, "num_attention_heads",
                "a positive divisor of hidden_size " + hiddenSize, numAttentionHeads);
        require(intermediateSize > 0, "intermediate_size", "a positive integer", intermediateSize);
        require(maxPositionEmbeddings > 0, "max_position_embeddings", "a positive integer", maxPositionEmbeddings);
        require(vocabSize > 0, "vocab_size", "a positive integer", vocabSize);
        require(layerNormEps > 0, "layer_norm_eps", "a positive number", layerNormEps);
        Activations.check(hiddenAct);
    }

    private static void require(boolean ok, String field, String expected, Object got) {
        if (!ok) {
            throw new GraftException("config.json: field '" + field + "' must be " + expected + ", got " + got);
        }
    }

    /** Size of one attention head. */
    public int headSize() {
        return hiddenSize / numAttentionHeads;
    }

    /** A small config for tests and examples. */
    public static BertConfig tiny(int vocab, int hidden, int layers, int heads, int intermediate, int maxPositions) {
        return new BertConfig(hidden, layers, heads, intermediate, maxPositions, 2, vocab, 1e-12, "gelu", 0, "bert",
                List.of("BertModel"), 0.1, 0.1);
    }
}

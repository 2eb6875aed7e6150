package dev.graft.peft.prefix;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.GraftException;
import dev.graft.peft.PeftConfigs;

/**
 * Prefix tuning settings with PEFT's adapter_config.json names ({@code PrefixTuningConfig}). The model-shaped values
 * (token_dim, heads, layers) must equal the model's; {@link PrefixTuning#resolveConfig} checks that.
 *
 * @param numVirtualTokens         {@code num_virtual_tokens}: prefix length P per layer
 * @param tokenDim                 {@code token_dim}: the model's hidden size H
 * @param numTransformerSubmodules {@code num_transformer_submodules}: 1 for an encoder
 * @param numAttentionHeads        {@code num_attention_heads}: the model's heads
 * @param numLayers                {@code num_layers}: the model's layers L
 * @param encoderHiddenSize        {@code encoder_hidden_size}: the width of the reparametrisation MLP
 * @param prefixProjection         {@code prefix_projection}: train through that MLP (the saved table is [P, L·2·H] either way)
 */
public record PrefixConfig(int numVirtualTokens, int tokenDim, int numTransformerSubmodules, int numAttentionHeads,
                           int numLayers, int encoderHiddenSize, boolean prefixProjection) {
    public static final String NUM_VIRTUAL_TOKENS = "num_virtual_tokens";
    public static final String TOKEN_DIM = "token_dim";
    public static final String NUM_TRANSFORMER_SUBMODULES = "num_transformer_submodules";
    public static final String NUM_ATTENTION_HEADS = "num_attention_heads";
    public static final String NUM_LAYERS = "num_layers";
    public static final String ENCODER_HIDDEN_SIZE = "encoder_hidden_size";
    public static final String PREFIX_PROJECTION = "prefix_projection";
    /** As PEFT's examples. */
    public static final int DEFAULT_VIRTUAL_TOKENS = 20;

    public PrefixConfig {
        PeftConfigs.requirePositive(NUM_VIRTUAL_TOKENS, numVirtualTokens);
        PeftConfigs.requirePositive(TOKEN_DIM, tokenDim);
        PeftConfigs.requirePositive(NUM_ATTENTION_HEADS, numAttentionHeads);
        PeftConfigs.requirePositive(NUM_LAYERS, numLayers);
        PeftConfigs.requirePositive(ENCODER_HIDDEN_SIZE, encoderHiddenSize);
        if (numTransformerSubmodules != 1) {
            throw new GraftException("option '" + NUM_TRANSFORMER_SUBMODULES + "' must equal 1 for an encoder (1), got "
                    + numTransformerSubmodules);
        }
    }

    /** Reads a config tree with every key present. */
    static PrefixConfig parse(JsonNode c) {
        return new PrefixConfig(PeftConfigs.positiveInt(c, NUM_VIRTUAL_TOKENS), PeftConfigs.positiveInt(c, TOKEN_DIM),
                PeftConfigs.positiveInt(c, NUM_TRANSFORMER_SUBMODULES), PeftConfigs.positiveInt(c, NUM_ATTENTION_HEADS),
                PeftConfigs.positiveInt(c, NUM_LAYERS), PeftConfigs.positiveInt(c, ENCODER_HIDDEN_SIZE),
                PeftConfigs.bool(c, PREFIX_PROJECTION));
    }
}

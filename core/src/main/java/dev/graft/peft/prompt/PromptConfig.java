package dev.graft.peft.prompt;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.GraftException;
import dev.graft.peft.PeftConfigs;

/**
 * Prompt tuning settings with PEFT's adapter_config.json names ({@code PromptTuningConfig}).
 *
 * @param numVirtualTokens {@code num_virtual_tokens}: soft-prompt length P
 * @param init             {@code prompt_tuning_init}: only {@code RANDOM} (rows of random vocabulary embeddings)
 * @param tokenDim         {@code token_dim}: the embedding width, equal to the model's hidden size H
 */
public record PromptConfig(int numVirtualTokens, String init, int tokenDim) {
    public static final String NUM_VIRTUAL_TOKENS = "num_virtual_tokens";
    public static final String PROMPT_TUNING_INIT = "prompt_tuning_init";
    public static final String TOKEN_DIM = "token_dim";
    public static final String RANDOM = "RANDOM";
    /** As PEFT's examples. */
    public static final int DEFAULT_VIRTUAL_TOKENS = 20;

    public PromptConfig {
        PeftConfigs.requirePositive(NUM_VIRTUAL_TOKENS, numVirtualTokens);
        if (!RANDOM.equals(init)) {
            throw new GraftException("option '" + PROMPT_TUNING_INIT + "' must be RANDOM (TEXT initialisation is not supported yet)");
        }
        PeftConfigs.requirePositive(TOKEN_DIM, tokenDim);
    }

    /** Reads a config tree with every key present. */
    static PromptConfig parse(JsonNode c) {
        return new PromptConfig(PeftConfigs.positiveInt(c, NUM_VIRTUAL_TOKENS), c.path(PROMPT_TUNING_INIT).asText(),
                PeftConfigs.positiveInt(c, TOKEN_DIM));
    }
}

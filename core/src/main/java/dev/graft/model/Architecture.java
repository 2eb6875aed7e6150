package dev.graft.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;

/**
 * One model family (BERT now; RoBERTa, DistilBERT, decoders later) that Graft can build from a {@code config.json}.
 * Implementations are found with {@link java.util.ServiceLoader}; callers go through {@link Architectures}.
 */
public interface Architecture {
    /** Registry name, lower case, e.g. {@code bert}. */
    String name();

    /** The {@code model_type} values of config.json this architecture handles. */
    Set<String> modelTypes();

    /**
     * Builds the network (parameters uninitialised).
     *
     * @param config      the parsed config.json
     * @param weightNames names in the checkpoint (e.g. to decide whether a pooler exists), normalised by {@link #rename}
     */
    Encoder create(JsonNode config, Set<String> weightNames);

    /** Maps a checkpoint tensor name to the network's HF name, or null for tensors the encoder does not use. */
    String rename(String checkpointName);
}

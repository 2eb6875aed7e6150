package dev.graft.peft;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.model.Encoder;

/**
 * A parameter-efficient fine-tuning method (LoRA, adapters, prefix, ...). In the "unified view" each method adds a
 * learned change to particular hidden states or weights of a frozen encoder; {@link #attach} installs that change
 * and returns its trainable parameters. Registered with {@link java.util.ServiceLoader}; look up through
 * {@link PeftMethods}.
 */
public interface PeftMethod {
    /** CLI name, lower case: {@code lora}, {@code adapter}, {@code parallel-adapter}, {@code prefix}, ... */
    String name();

    /** The {@code peft_type} written to adapter_config.json (PEFT's own where PEFT has the method). */
    String peftType();

    /** The paper the method implements, as a URL or citation. */
    String reference();

    /**
     * A peak learning rate that works for this method on the small bundled encoders without tuning (what
     * {@code graft tune} uses when {@code --lr} is not given): methods with few parameters want larger steps.
     */
    double defaultLearningRate();

    /**
     * The options {@code graft tune} offers for this method, each mapped to a key of {@link #resolveConfig}. Keys not
     * listed here stay reachable through {@code --option KEY=VALUE}. Default: none.
     */
    default java.util.List<MethodOption> options() {
        return java.util.List.of();
    }

    /**
     * The method's configuration with every default filled in, as the adapter_config.json keys PEFT uses
     * (e.g. {@code r}, {@code lora_alpha}, {@code target_modules}). CLI options arrive as {@code overrides} with the
     * same keys; unknown keys are an error here (a typo on the command line), but tolerated with a warning when
     * reading a file written by another tool.
     *
     * @param encoder   the network it will be attached to (for defaults that depend on the architecture)
     * @param overrides user-given values, may be empty
     * @throws dev.graft.GraftException naming the key and what was expected
     */
    ObjectNode resolveConfig(Encoder encoder, ObjectNode overrides);

    /**
     * The adapter_config.json keys this method reads. When an adapter file written by another tool carries other
     * keys, they are ignored with a warning rather than rejected.
     */
    java.util.Set<String> configKeys();

    /**
     * Installs the method on {@code encoder} and creates its trainable parameters (in {@code manager}), initialised
     * from {@code seed} so that the adapted encoder computes exactly what the base did (where the method allows:
     * LoRA's B = 0, adapters' up-projection = 0, (IA)³'s ones).
     *
     * @param config a config returned by {@link #resolveConfig}
     */
    Adaptation attach(Encoder encoder, ObjectNode config, NDManager manager, long seed);

    /**
     * The config under which a saved adapter is attached for loading. Identity for most methods; prefix tuning drops
     * its training-time reparametrisation, since the file holds the final prefix table.
     */
    default ObjectNode inferenceConfig(ObjectNode config) {
        return config;
    }

    /**
     * Called by {@link AdapterFiles#save} before it writes {@code adapter_config.json} into {@code dir}: a method whose
     * config refers to other files (e.g. the source adapters a composition combines) copies them into {@code dir} here
     * and returns the config to write, with those references made relative to {@code dir}, so that the directory is
     * self-contained. Default: nothing to copy, the config unchanged.
     *
     * @param config the resolved config the model was built with (not modified)
     * @param dir    the adapter directory being written (exists)
     */
    default ObjectNode saveFiles(ObjectNode config, java.nio.file.Path dir) {
        return config;
    }

    /**
     * The inverse of {@link #saveFiles}, called by {@link AdapterFiles#load} on the options read from
     * {@code dir/adapter_config.json} before {@link #resolveConfig}: resolves references relative to {@code dir} and
     * checks what was recorded about them. Default: the options unchanged.
     */
    default ObjectNode loadFiles(ObjectNode options, java.nio.file.Path dir) {
        return options;
    }
}

package dev.graft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * PEFT method options on the command line, mapped to the adapter_config.json keys the methods read. Only the
 * options given are passed, so each method's defaults apply otherwise.
 */
final class MethodOptions {
    @Option(names = "--r", paramLabel = "R", description = "LoRA rank (lora). Default 8.")
    Integer r;

    @Option(names = "--alpha", description = "LoRA alpha (lora). Default 16.")
    Double alpha;

    @Option(names = "--lora-dropout", description = "Dropout on the LoRA input (lora). Default 0.1.")
    Double loraDropout;

    @Option(names = "--target-modules", split = ",", paramLabel = "NAME", description = "Modules to adapt, by HF name or suffix (lora, ia3), e.g. query,value.")
    List<String> targetModules;

    @Option(names = "--rslora", description = "Rank-stabilised LoRA scaling alpha/sqrt(r).")
    Boolean rslora;

    @Option(names = "--dora", description = "DoRA: weight-decomposed LoRA.")
    Boolean dora;

    @Option(names = "--adapter-config", description = "Bottleneck placement: pfeiffer or houlsby (adapter).")
    String adapterConfig;

    @Option(names = "--reduction-factor", description = "Bottleneck = hidden / this (adapter, parallel-adapter, lst).")
    Integer reductionFactor;

    @Option(names = "--bottleneck", description = "Bottleneck size (adapter, parallel-adapter).")
    Integer bottleneck;

    @Option(names = "--virtual-tokens", description = "Number of virtual tokens (prefix, prompt). Default 20.")
    Integer virtualTokens;

    @Option(names = "--option", paramLabel = "KEY=VALUE", description = "Any other adapter_config.json key of the method; VALUE is JSON or a string.")
    Map<String, String> extra;

    /** The options as adapter_config.json keys. */
    ObjectNode toConfig() {
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        if (r != null) {
            c.put("r", r);
        }
        if (alpha != null) {
            c.put("lora_alpha", alpha);
        }
        if (loraDropout != null) {
            c.put("lora_dropout", loraDropout);
        }
        if (targetModules != null) {
            targetModules.forEach(c.putArray("target_modules")::add);
        }
        if (rslora != null) {
            c.put("use_rslora", rslora);
        }
        if (dora != null) {
            c.put("use_dora", dora);
        }
        if (adapterConfig != null) {
            c.put("config", adapterConfig);
        }
        if (reductionFactor != null) {
            c.put("reduction_factor", reductionFactor);
        }
        if (bottleneck != null) {
            c.put("bottleneck_size", bottleneck);
        }
        if (virtualTokens != null) {
            c.put("num_virtual_tokens", virtualTokens);
        }
        if (extra != null) {
            extra.forEach((k, v) -> c.set(k, parse(k, v)));
        }
        return c;
    }

    private static JsonNode parse(String key, String value) {
        try {
            return Output.JSON.readTree(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return JsonNodeFactory.instance.textNode(value); // a bare word is a string
        } catch (RuntimeException e) {
            throw new GraftException("--option " + key + ": cannot parse '" + value + "'");
        }
    }
}

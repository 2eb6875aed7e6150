package dev.graft.carry;

import java.io.IOException;
import java.nio.file.Path;

/**
 * PortLLM-style patch transfer (Khan et al. 2025, "PortLLM: Personalizing Evolving Large Language Models with
 * Training-Free and Portable Model Patches"): an adapter's weights (LoRA, (IA)³, adapters, prompts, its task head) are
 * carried to the new version of the base unchanged, byte for byte; only the base model the adapter records changes.
 * Works for every method that stores a patch rather than whole weights.
 */
public final class PatchTransfer implements CarryStrategy {
    @Override
    public String name() {
        return "patch-transfer";
    }

    @Override
    public String reference() {
        return "https://arxiv.org/abs/2410.10870";
    }

    @Override
    public int write(Input in, Path out) throws IOException {
        CarryFiles.copyRebased(in.source(), out, in.to(), in.toId(), java.util.Set.of());
        return 0;
    }
}

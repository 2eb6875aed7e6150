package dev.graft.peft.lora;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.model.Encoder;
import dev.graft.model.nn.HfLinear;
import dev.graft.model.nn.HfModule;
import dev.graft.peft.Adaptation;
import dev.graft.peft.MethodOption;
import dev.graft.peft.PeftConfigs;
import dev.graft.peft.PeftMethod;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * LoRA (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models"), with rsLoRA scaling and DoRA, on
 * any dense layer chosen by PEFT {@code target_modules} patterns. Files use PEFT's names and config.
 */
public final class Lora implements PeftMethod {
    @Override
    public String name() {
        return "lora";
    }

    @Override
    public String peftType() {
        return "LORA";
    }

    @Override
    public String reference() {
        return "https://arxiv.org/abs/2106.09685";
    }

    /**
     * 1e-3, measured: with default flags on all-minilm-l6-v2 at 1,000 examples, a third of the former 3e-3 scored
     * higher on every bench task tried (packages +0.75, manpages +2.9, fortunes +1.0 points test accuracy;
     * bench/tune-defaults.sh, BENCHMARKS.md); {@code --auto} searches around it.
     */
    @Override
    public double defaultLearningRate() {
        return 1e-3;
    }

    @Override
    public List<MethodOption> options() {
        return LoraConfig.OPTIONS;
    }

    @Override
    public Set<String> configKeys() {
        return LoraConfig.KEYS;
    }

    @Override
    public ObjectNode resolveConfig(Encoder encoder, ObjectNode overrides) {
        ObjectNode c = LoraConfig.resolve(overrides);
        targets(encoder, LoraConfig.from(c)); // fail now if no module matches
        return c;
    }

    static List<Map.Entry<String, HfLinear>> targets(Encoder encoder, LoraConfig config) {
        List<Map.Entry<String, HfLinear>> out = new ArrayList<>();
        for (Map.Entry<String, HfModule> e : encoder.namedModules().entrySet()) {
            if (e.getValue() instanceof HfLinear l && config.targetModules().stream().anyMatch(t -> PeftConfigs.matchesTarget(e.getKey(), t))) {
                out.add(Map.entry(e.getKey(), l));
            }
        }
        if (out.isEmpty()) {
            throw new GraftException("option 'target_modules' " + config.targetModules() + " matches no dense layer; BERT's are"
                    + " query, key, value, attention.output.dense, intermediate.dense, output.dense");
        }
        return out;
    }

    @Override
    public Adaptation attach(Encoder encoder, ObjectNode configNode, NDManager manager, long seed) {
        LoraConfig config = LoraConfig.from(configNode);
        Random random = new Random(seed);
        List<LoraLinear> hooks = new ArrayList<>();
        for (Map.Entry<String, HfLinear> t : targets(encoder, config)) {
            LoraLinear h = new LoraLinear(t.getKey(), t.getValue(), config, manager, random);
            t.getValue().addHook(h);
            hooks.add(h);
        }
        return new LoraAdaptation(hooks);
    }

    /** LoRA attached to an encoder. */
    public static final class LoraAdaptation implements Adaptation {
        private final List<LoraLinear> hooks;

        LoraAdaptation(List<LoraLinear> hooks) {
            this.hooks = hooks;
        }

        @Override
        public Map<String, Parameter> parameters() {
            Map<String, Parameter> p = new LinkedHashMap<>();
            hooks.forEach(h -> p.putAll(h.parameters()));
            return p;
        }

        @Override
        public boolean canMerge() {
            return true;
        }

        @Override
        public void merge() {
            // merged or not is read from the layers (an export restores them behind this object's back)
            hooks.stream().filter(LoraLinear::installed).forEach(LoraLinear::merge);
        }

        /** Undoes {@link #merge} (plain LoRA only). */
        public void unmerge() {
            hooks.stream().filter(h -> !h.installed()).forEach(LoraLinear::unmerge);
        }

        @Override
        public void close() {
            hooks.forEach(h -> h.layer().removeHook(h));
        }
    }
}

package dev.graft.peft.ia3;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.model.Encoder;
import dev.graft.model.nn.HfLinear;
import dev.graft.model.nn.HfModule;
import dev.graft.model.nn.LinearHook;
import dev.graft.peft.Adaptation;
import dev.graft.peft.MethodOption;
import dev.graft.peft.PeftConfigs;
import dev.graft.peft.PeftMethod;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * (IA)³ (Liu et al. 2022, "Few-Shot Parameter-Efficient Fine-Tuning is Better and Cheaper than In-Context
 * Learning"): learned vectors that rescale the keys, the values and the feed-forward activations. Following PEFT:
 * for a module in {@code feedforward_modules} the vector scales the layer's input ({@code ia3_l} [1, in]), otherwise
 * its output ({@code ia3_l} [out, 1]); vectors start at 1, so the adapted model starts equal to the base. PEFT's
 * default targets for BERT are {@code key}, {@code value}, {@code output.dense}; by PEFT's suffix matching
 * {@code output.dense} also selects {@code attention.output.dense}, and Graft matches the same modules.
 */
public final class Ia3 implements PeftMethod {
    static final Set<String> KEYS = Set.of("target_modules", "feedforward_modules", "init_ia3_weights", "fan_in_fan_out");
    static final MethodOption TARGET_MODULES = MethodOption.of("--target-modules", MethodOption.Kind.LIST, "target_modules",
            "Modules to adapt, by HF name or suffix, e.g. query,value.").withDefault(String.join(",", Ia3Config.DEFAULT_TARGETS));

    @Override
    public String name() {
        return "ia3";
    }

    @Override
    public String peftType() {
        return "IA3";
    }

    @Override
    public String reference() {
        return "https://arxiv.org/abs/2205.05638";
    }

    @Override
    public double defaultLearningRate() {
        return 3e-3;
    }

    @Override
    public List<MethodOption> options() {
        return List.of(TARGET_MODULES);
    }

    @Override
    public Set<String> configKeys() {
        return KEYS;
    }

    @Override
    public ObjectNode resolveConfig(Encoder encoder, ObjectNode overrides) {
        PeftConfigs.rejectUnknown(overrides, KEYS, name());
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        Ia3Config.DEFAULT_TARGETS.forEach(c.putArray(Ia3Config.TARGET_MODULES)::add);
        Ia3Config.DEFAULT_FEEDFORWARD.forEach(c.putArray(Ia3Config.FEEDFORWARD_MODULES)::add);
        c.put("fan_in_fan_out", false);
        c.setAll(overrides);
        c.remove("init_ia3_weights");
        Ia3Config parsed = Ia3Config.parse(c); // validates, naming the bad key
        if (sites(encoder, parsed.targetModules(), parsed.feedforwardModules()).isEmpty()) {
            throw new GraftException("option '" + Ia3Config.TARGET_MODULES + "' " + parsed.targetModules() + " matches no dense layer");
        }
        return c;
    }

    private record Site(String path, HfLinear layer, boolean feedForward) {
    }

    private static List<Site> sites(Encoder encoder, List<String> targets, List<String> ff) {
        List<Site> out = new ArrayList<>();
        for (Map.Entry<String, HfModule> e : encoder.namedModules().entrySet()) {
            if (e.getValue() instanceof HfLinear l && targets.stream().anyMatch(t -> PeftConfigs.matchesTarget(e.getKey(), t))) {
                out.add(new Site(e.getKey(), l, ff.stream().anyMatch(t -> PeftConfigs.matchesTarget(e.getKey(), t))));
            }
        }
        return out;
    }

    @Override
    public Adaptation attach(Encoder encoder, ObjectNode config, NDManager manager, long seed) {
        List<Scale> hooks = new ArrayList<>();
        Ia3Config c = Ia3Config.parse(config);
        for (Site s : sites(encoder, c.targetModules(), c.feedforwardModules())) {
            Scale h = new Scale(s, manager);
            s.layer().addHook(h);
            hooks.add(h);
        }
        return new Adaptation() {
            @Override
            public Map<String, Parameter> parameters() {
                Map<String, Parameter> p = new LinkedHashMap<>();
                hooks.forEach(h -> p.put(h.site.path() + ".ia3_l", h.vector));
                return p;
            }

            @Override
            public boolean canMerge() {
                return true;
            }

            @Override
            public void merge() {
                // only the scales still hooked: merging twice would scale twice
                hooks.stream().filter(h -> h.site.layer().hooks().contains(h)).forEach(Scale::merge);
            }

            @Override
            public void close() {
                hooks.forEach(h -> h.site.layer().removeHook(h));
            }
        };
    }

    /** One learned scaling vector on one dense layer. */
    private static final class Scale implements LinearHook {
        final Site site;
        final Parameter vector;

        Scale(Site site, NDManager manager) {
            this.site = site;
            Shape shape = site.feedForward() ? new Shape(1, site.layer().inFeatures()) : new Shape(site.layer().outFeatures(), 1);
            vector = Parameter.builder().setName("ia3_l").setType(Parameter.Type.WEIGHT).build();
            vector.setArray(manager.ones(shape));
        }

        @Override
        public NDArray beforeLinear(HfLinear layer, NDArray x, boolean training) {
            return site.feedForward() ? x.mul(vector.getArray().reshape(-1)) : x;
        }

        @Override
        public NDArray afterLinear(HfLinear layer, NDArray x, NDArray y, boolean training) {
            return site.feedForward() ? y : y.mul(vector.getArray().reshape(-1));
        }

        /** Input scaling folds into W's columns; output scaling into W's rows and the bias. */
        void merge() {
            NDArray w = site.layer().weight().getArray();
            NDArray v = vector.getArray();
            if (site.feedForward()) {
                w.muli(v); // [out, in] * [1, in]
            } else {
                w.muli(v); // [out, in] * [out, 1]
                if (site.layer().bias() != null) {
                    site.layer().bias().getArray().muli(v.reshape(-1));
                }
            }
            site.layer().removeHook(this);
        }
    }
}

package dev.graft.peft.adapter;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.model.Encoder;
import dev.graft.peft.Adaptation;
import dev.graft.peft.MethodOption;
import dev.graft.peft.PeftConfigs;
import dev.graft.peft.PeftMethod;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Sequential bottleneck adapters: a small bottleneck network {@code h ← h + up(act(down(h)))} inserted after a
 * sub-layer of every transformer layer of a frozen encoder; only the adapters (and the task head) are trained.
 * <ul>
 *   <li>{@code config=houlsby}: Houlsby et al., "Parameter-Efficient Transfer Learning for NLP", ICML 2019
 *       (https://arxiv.org/abs/1902.00751): two adapters per layer, one on the attention block's output projection and
 *       one on the FFN's output, each before the residual connection and LayerNorm.</li>
 *   <li>{@code config=pfeiffer} (default): Pfeiffer et al., "AdapterFusion: Non-Destructive Task Composition for
 *       Transfer Learning", EACL 2021 (https://arxiv.org/abs/2005.00247): one adapter per layer, after the FFN only
 *       (half the parameters of Houlsby's at the same width), the adapter AdapterFusion composes.</li>
 * </ul>
 *
 * <p>PEFT has no format for these; Graft writes {@code peft_type} {@code BOTTLENECK}, AdapterHub's config keys
 * ({@code config}, {@code mh_adapter}, {@code output_adapter}, {@code reduction_factor}, {@code non_linearity}, plus
 * {@code bottleneck_size}) and parameters named
 * {@code encoder.layer.N.attention.output.adapter.{down,up}.{weight,bias}} (houlsby only) and
 * {@code encoder.layer.N.output.adapter.{down,up}.{weight,bias}}, where down.weight is [bottleneck, H], down.bias
 * [bottleneck], up.weight [H, bottleneck], up.bias [H]. AdapterHub's names for the same tensors are
 * {@code ...output.adapters.<name>.adapter_down.0.*} and {@code ...output.adapters.<name>.adapter_up.*}.
 *
 * <p>Two differences from AdapterHub's implementation. The adapter sees the dense output before dropout (dropout then
 * applies to the adapted output; the same at inference). And both configs use Houlsby's position, the sub-layer's
 * output before its residual connection and LayerNorm (what a hook on the dense layer sees), whereas AdapterHub's
 * {@code seq_bn} (Pfeiffer) first applies the original residual and LayerNorm ({@code original_ln_before}), adapts
 * that, and applies the residual and LayerNorm again: weights trained there are not interchangeable with these
 * ({@code double_seq_bn}, Houlsby, computes what Graft's {@code houlsby} does, but defaults to swish).
 * Initialisation: the up-projection is zero, so the adapted encoder starts exactly as the base; the down-projection is
 * N(0, 0.02²) and the biases zero.
 *
 * <p>Option {@code init_from} (a list of adapter directories of this method, same base model, sites and width):
 * MHR-μ (Caccia et al., "Multi-Head Adapter Routing for Cross-Task Generalization", NeurIPS 2023,
 * https://arxiv.org/abs/2211.03831) — every tensor starts as the element-wise mean of the library's adapters, then
 * trains as usual. The saved adapter holds the fine-tuned weights; loading it ignores {@code init_from}.
 */
public final class SequentialAdapters implements PeftMethod {
    /** The method's CLI name. */
    public static final String NAME = "adapter";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String peftType() {
        return "BOTTLENECK";
    }

    @Override
    public String reference() {
        return "Houlsby et al. 2019, https://arxiv.org/abs/1902.00751; Pfeiffer et al. 2021, https://arxiv.org/abs/2005.00247";
    }

    @Override
    public double defaultLearningRate() {
        return 1e-3;
    }

    @Override
    public List<MethodOption> options() {
        return OPTIONS;
    }

    /** MHR-μ: adapter directories whose mean initialises the new adapter. */
    public static final String INIT_FROM = "init_from";
    private static final java.util.Set<String> KEYS;

    static {
        java.util.Set<String> k = new java.util.HashSet<>(SequentialAdapterConfig.KEYS);
        k.add(INIT_FROM);
        KEYS = java.util.Set.copyOf(k);
    }

    /** The flags graft tune offers for sequential adapters. */
    private static final List<MethodOption> OPTIONS = List.of(
            MethodOption.of("--adapter-config", MethodOption.Kind.TEXT, SequentialAdapterConfig.CONFIG,
                    "Bottleneck placement: pfeiffer or houlsby.").withDefault(SequentialAdapterConfig.PFEIFFER),
            BottleneckSize.reductionFactorOption().withDefault(SequentialAdapterConfig.DEFAULT_REDUCTION_FACTOR),
            BottleneckSize.bottleneckSizeOption());

    @Override
    public java.util.Set<String> configKeys() {
        return KEYS;
    }

    @Override
    public ObjectNode resolveConfig(Encoder encoder, ObjectNode overrides) {
        PeftConfigs.rejectUnknown(overrides, KEYS, name());
        int hidden = encoder.hiddenSize();
        ObjectNode out = SequentialAdapterConfig.parse(overrides, hidden).toJson(overrides, hidden);
        if (overrides.hasNonNull(INIT_FROM)) {
            com.fasterxml.jackson.databind.node.ArrayNode a = out.putArray(INIT_FROM);
            PeftConfigs.strings(overrides, INIT_FROM).forEach(d -> a.add(java.nio.file.Path.of(d).toAbsolutePath().normalize().toString()));
        }
        return out;
    }

    /** The saved weights are the fine-tuned ones: loading does not re-read the library. */
    @Override
    public ObjectNode inferenceConfig(ObjectNode config) {
        ObjectNode c = config.deepCopy();
        c.remove(INIT_FROM);
        return c;
    }

    @Override
    public SequentialAdaptation attach(Encoder encoder, ObjectNode config, NDManager manager, long seed) {
        SequentialAdapterConfig c = SequentialAdapterConfig.parse(config, encoder.hiddenSize());
        List<PlacedAdapter> adapters = createAdapters(encoder, c, manager, seed);
        if (config.hasNonNull(INIT_FROM)) {
            initFromMean(adapters, c, PeftConfigs.strings(config, INIT_FROM), encoder.hiddenSize());
        }
        return new SequentialAdaptation(adapters);
    }

    /** MHR-μ: sets every adapter tensor to the element-wise mean of the same tensor in the library's adapters. */
    private static void initFromMean(List<PlacedAdapter> adapters, SequentialAdapterConfig config, List<String> dirs, int hidden) {
        List<AdapterLibrary.Source> sources = AdapterLibrary.read(dirs.stream().map(java.nio.file.Path::of).toList(), hidden, INIT_FROM);
        for (AdapterLibrary.Source s : sources) {
            if (s.config().mhAdapter() != config.mhAdapter() || s.config().outputAdapter() != config.outputAdapter()
                    || s.config().bottleneckSize() != config.bottleneckSize()) {
                throw new dev.graft.GraftException(s.dir() + ": " + INIT_FROM + " adapter has config " + s.config().config()
                        + " with bottleneck " + s.config().bottleneckSize() + ", but the new adapter is " + config.config()
                        + " with bottleneck " + config.bottleneckSize() + "; give the same --adapter-config and width");
            }
        }
        for (PlacedAdapter a : adapters) {
            for (Map.Entry<String, Parameter> e : a.parameters().entrySet()) {
                float[] mean = new float[Math.toIntExact(e.getValue().getArray().size())];
                for (AdapterLibrary.Source s : sources) {
                    float[] v = s.tensors().get(e.getKey());
                    if (v == null || v.length != mean.length) {
                        throw new dev.graft.GraftException(s.dir().resolve(dev.graft.peft.AdapterFiles.WEIGHTS) + ": tensor '"
                                + e.getKey() + "' is " + (v == null ? "missing" : "of " + v.length + " values, expected " + mean.length));
                    }
                    for (int i = 0; i < mean.length; i++) {
                        mean[i] += v[i] / sources.size();
                    }
                }
                dev.graft.runtime.Arrays2.assign(e.getValue().getArray(), mean);
            }
        }
    }

    /**
     * Creates the adapters {@code config} asks for, without installing them (for methods that combine adapters
     * differently, e.g. AdapterFusion). Down-projections are drawn from one {@link Random} seeded with {@code seed}, in
     * layer order, the attention adapter before the FFN adapter.
     */
    public static List<PlacedAdapter> createAdapters(Encoder encoder, SequentialAdapterConfig config, NDManager manager,
                                                     long seed) {
        Random rng = new Random(seed);
        int hidden = encoder.hiddenSize();
        List<PlacedAdapter> out = new ArrayList<>();
        for (AdapterSites.Layer layer : AdapterSites.of(encoder, "adapter")) {
            if (config.mhAdapter()) {
                out.add(new PlacedAdapter(layer.prefix() + ".attention.output.adapter", layer.attentionOutput(),
                        BottleneckAdapter.create(hidden, config.bottleneckSize(), config.nonLinearity(),
                                BottleneckAdapter.DownInit.NORMAL, rng, manager)));
            }
            if (config.outputAdapter()) {
                out.add(new PlacedAdapter(layer.prefix() + ".output.adapter", layer.ffnOutput(),
                        BottleneckAdapter.create(hidden, config.bottleneckSize(), config.nonLinearity(),
                                BottleneckAdapter.DownInit.NORMAL, rng, manager)));
            }
        }
        return out;
    }

    /** Sequential adapters installed on an encoder; closing removes them. */
    public static final class SequentialAdaptation implements Adaptation {
        private final List<PlacedAdapter> adapters;
        private final List<SequentialAdapterHook> hooks = new ArrayList<>();
        private final Map<String, Parameter> parameters = new LinkedHashMap<>();
        private boolean closed;

        SequentialAdaptation(List<PlacedAdapter> adapters) {
            this.adapters = List.copyOf(adapters);
            for (PlacedAdapter a : this.adapters) {
                SequentialAdapterHook hook = new SequentialAdapterHook(a.name(), a.adapter());
                a.site().addHook(hook);
                hooks.add(hook);
                parameters.putAll(a.parameters());
            }
        }

        /** The installed adapters, in layer order. */
        public List<PlacedAdapter> adapters() {
            return adapters;
        }

        @Override
        public Map<String, Parameter> parameters() {
            return Collections.unmodifiableMap(parameters);
        }

        /** Each adapter writes its own graph nodes. */
        @Override
        public boolean exportsToOnnx() {
            return true;
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            for (int i = 0; i < adapters.size(); i++) {
                adapters.get(i).site().removeHook(hooks.get(i));
            }
        }
    }
}

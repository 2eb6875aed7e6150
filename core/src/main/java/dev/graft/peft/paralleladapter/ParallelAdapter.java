package dev.graft.peft.paralleladapter;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.model.Encoder;
import dev.graft.peft.Adaptation;
import dev.graft.peft.MethodOption;
import dev.graft.peft.PeftConfigs;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.adapter.AdapterSites;
import dev.graft.peft.adapter.BottleneckAdapter;
import dev.graft.peft.adapter.BottleneckSize;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The scaled parallel adapter at the FFN from He et al., "Towards a Unified View of Parameter-Efficient Transfer
 * Learning", ICLR 2022 (https://arxiv.org/abs/2110.04366): in every layer a bottleneck adapter reads the FFN's input
 * x (the attention block's output after its LayerNorm) and its scaled output is added to the FFN's output,
 * {@code h = FFN(x) + s·up(act(down(x)))}, before the layer's residual connection and LayerNorm. The paper's
 * comparison favours parallel over sequential insertion and the FFN over attention for adapters of this size; this
 * variant is the FFN half of their "mix-and-match" (MAM) adapter.
 *
 * <p>PEFT has no format for it: Graft writes {@code peft_type} {@code PARALLEL_ADAPTER}, the config keys
 * {@code bottleneck_size} (default 64), {@code reduction_factor} (H / bottleneck_size), {@code scaling} (default 4)
 * and {@code non_linearity} (default relu), and parameters named
 * {@code encoder.layer.N.output.parallel_adapter.{down,up}.{weight,bias}}: down.weight [bottleneck, H], down.bias
 * [bottleneck], up.weight [H, bottleneck], up.bias [H]. (AdapterHub's {@code par_bn} stores the same tensors as
 * {@code ...output.adapters.<name>.adapter_down.0.*} and {@code ...adapter_up.*}.)
 *
 * <p>Initialisation as LoRA's and AdapterHub's {@code mam_adapter}: the down-projection uniform in ±1/√H (PyTorch's
 * default draw for a linear layer), its bias and the whole up-projection zero, so the adapted encoder starts exactly
 * as the base.
 */
public final class ParallelAdapter implements PeftMethod {
    @Override
    public String name() {
        return "parallel-adapter";
    }

    @Override
    public String peftType() {
        return "PARALLEL_ADAPTER";
    }

    @Override
    public String reference() {
        return "https://arxiv.org/abs/2110.04366";
    }

    @Override
    public double defaultLearningRate() {
        return 1e-3;
    }

    @Override
    public List<MethodOption> options() {
        return List.of(BottleneckSize.reductionFactorOption(), BottleneckSize.bottleneckSizeOption().withDefault(ParallelAdapterConfig.DEFAULT_BOTTLENECK));
    }

    @Override
    public java.util.Set<String> configKeys() {
        return ParallelAdapterConfig.KEYS;
    }

    @Override
    public ObjectNode resolveConfig(Encoder encoder, ObjectNode overrides) {
        PeftConfigs.rejectUnknown(overrides, ParallelAdapterConfig.KEYS, name());
        int hidden = encoder.hiddenSize();
        return ParallelAdapterConfig.parse(overrides, hidden).toJson(overrides, hidden);
    }

    @Override
    public Adaptation attach(Encoder encoder, ObjectNode config, NDManager manager, long seed) {
        ParallelAdapterConfig c = ParallelAdapterConfig.parse(config, encoder.hiddenSize());
        Random rng = new Random(seed);
        List<ParallelAdapterHook> hooks = new ArrayList<>();
        Map<String, Parameter> params = new LinkedHashMap<>();
        for (AdapterSites.Layer layer : AdapterSites.of(encoder, name())) {
            BottleneckAdapter a = BottleneckAdapter.create(encoder.hiddenSize(), c.bottleneckSize(), c.nonLinearity(),
                    BottleneckAdapter.DownInit.KAIMING_UNIFORM, rng, manager);
            params.putAll(a.parameters(layer.prefix() + ".output.parallel_adapter."));
            // one hook object per layer: it carries that layer's FFN input from intermediate.dense to output.dense
            hooks.add(new ParallelAdapterHook(layer.prefix(), layer.ffnInput(), layer.ffnOutput(), a, (float) c.scaling()));
        }
        hooks.forEach(ParallelAdapterHook::install);
        Map<String, Parameter> view = Collections.unmodifiableMap(params);
        return new Adaptation() {
            private boolean closed;

            @Override
            public Map<String, Parameter> parameters() {
                return view;
            }

            @Override
            public boolean exportsToOnnx() {
                return true;
            }

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    hooks.forEach(ParallelAdapterHook::remove);
                }
            }
        };
    }
}

package dev.graft.peft.adapter;

import dev.graft.GraftException;
import dev.graft.model.Encoder;
import dev.graft.model.nn.HfLinear;
import dev.graft.model.nn.HfModule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds, in each transformer layer, the dense layers where bottleneck adapters are inserted. HF BERT-family names
 * (BERT, RoBERTa, ELECTRA, MiniLM, BGE, E5 all share them):
 * <ul>
 *   <li>{@code <layer>.attention.output.dense}: the attention block's output projection; its output (before dropout,
 *       residual and LayerNorm) is where Houlsby et al. put their first adapter;</li>
 *   <li>{@code <layer>.intermediate.dense}: the FFN's first projection, whose input is the FFN's input;</li>
 *   <li>{@code <layer>.output.dense}: the FFN's output projection; its output (before dropout, residual and
 *       LayerNorm) is where both Houlsby and Pfeiffer et al. put an adapter.</li>
 * </ul>
 */
public final class AdapterSites {
    private static final String ATTENTION_OUTPUT = ".attention.output.dense";
    private static final String FFN_INPUT = ".intermediate.dense";
    private static final String FFN_OUTPUT = ".output.dense";
    private static final Pattern LAYER_INDEX = Pattern.compile("(\\d+)$");

    private AdapterSites() {
    }

    /**
     * One layer's adapter sites.
     *
     * @param index           the layer number (0 = closest to the embeddings)
     * @param prefix          the layer's module path, e.g. {@code encoder.layer.0}
     * @param attentionOutput {@code <prefix>.attention.output.dense}, [.., H] to [.., H]
     * @param ffnInput        {@code <prefix>.intermediate.dense}, [.., H] to [.., I]
     * @param ffnOutput       {@code <prefix>.output.dense}, [.., I] to [.., H]
     */
    public record Layer(int index, String prefix, HfLinear attentionOutput, HfLinear ffnInput, HfLinear ffnOutput) {
    }

    /**
     * The sites of every layer of {@code encoder}, in layer order.
     *
     * @param method the calling method's name, for the error message
     * @throws GraftException if the encoder has no layer with the three dense layers above
     */
    public static List<Layer> of(Encoder encoder, String method) {
        Map<String, HfModule> modules = encoder.namedModules();
        List<Layer> layers = new ArrayList<>();
        for (Map.Entry<String, HfModule> e : modules.entrySet()) {
            String path = e.getKey();
            if (!path.endsWith(ATTENTION_OUTPUT) || !(e.getValue() instanceof HfLinear attention)) {
                continue;
            }
            String prefix = path.substring(0, path.length() - ATTENTION_OUTPUT.length());
            Matcher m = LAYER_INDEX.matcher(prefix);
            if (!m.find()) {
                continue;
            }
            HfModule in = modules.get(prefix + FFN_INPUT);
            HfModule out = modules.get(prefix + FFN_OUTPUT);
            if (!(in instanceof HfLinear ffnIn) || !(out instanceof HfLinear ffnOut)) {
                throw new GraftException(method + ": layer " + prefix + " has " + ATTENTION_OUTPUT.substring(1)
                        + " but no " + FFN_INPUT.substring(1) + " and " + FFN_OUTPUT.substring(1) + " dense layers");
            }
            layers.add(new Layer(Integer.parseInt(m.group(1)), prefix, attention, ffnIn, ffnOut));
        }
        if (layers.isEmpty()) {
            throw new GraftException(method + ": the encoder has no BERT-style layers (modules named <layer>"
                    + ATTENTION_OUTPUT + ", <layer>" + FFN_INPUT + ", <layer>" + FFN_OUTPUT + ")");
        }
        layers.sort(java.util.Comparator.comparingInt(Layer::index));
        return layers;
    }
}

package dev.graft.peft.lst;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.graft.model.bert.BertConfig;
import dev.graft.model.bert.BertLayer;
import dev.graft.model.nn.HfLinear;
import dev.graft.model.nn.HfModule;
import dev.graft.runtime.Arrays2;
import java.util.ArrayList;
import java.util.List;

/**
 * LST's side network (Sung, Cho, Bansal 2022): a narrow copy of the backbone, width H/r, fed through "ladders" by the
 * frozen backbone's hidden states. Shapes: B batch, T tokens, H backbone width, S = H/r side width, L layers.
 *
 * <pre>
 *   x_0 = ladder_0(h_0)                                     h_0: the backbone's embedding output
 *   x_i = layer_i( μ_i · ladder_i(h_i) + (1 − μ_i) · x_{i−1} ),  μ_i = sigmoid(gate_i / τ),  i = 1..L
 *   out = h_L + upsample(x_L)
 * </pre>
 * The gates start at 0 (μ = ½) with temperature τ = 0.1, as in the paper. The output adds the side network's
 * upsampled state to the backbone's last hidden state, with the upsampling initialised to zero: training starts from
 * the frozen features (a linear probe) and the side network learns a correction. (The paper feeds T5's LM head with
 * the side output; for an encoder with a pooled classification head this residual form is Graft's choice.)
 *
 * <p>Parameter names (relative to {@code side_network.}): {@code ladders.i.{weight,bias}} [S, H], {@code gates} [L],
 * {@code layer.i.<BERT layer paths>}, {@code upsample.{weight,bias}} [H, S].
 */
final class SideNetwork extends HfModule {
    private final List<HfLinear> ladders = new ArrayList<>();
    private final List<BertLayer> layers = new ArrayList<>();
    private final HfLinear upsample;
    private final Parameter gates;
    private final float temperature;

    SideNetwork(BertConfig side, int backboneHidden, float temperature) {
        this.temperature = temperature;
        BertLayer.Group ladderGroup = hfChild("ladders", new BertLayer.Group());
        for (int i = 0; i <= side.numHiddenLayers(); i++) {
            ladders.add(ladderGroup.add(Integer.toString(i), new HfLinear(backboneHidden, side.hiddenSize(), true)));
        }
        gates = hfParameter("gates", Parameter.Type.WEIGHT, new Shape(side.numHiddenLayers()));
        BertLayer.Group layerGroup = hfChild("layer", new BertLayer.Group());
        for (int i = 0; i < side.numHiddenLayers(); i++) {
            layers.add(layerGroup.add(Integer.toString(i), new BertLayer(side)));
        }
        upsample = hfChild("upsample", new HfLinear(side.hiddenSize(), backboneHidden, true));
    }

    /**
     * @param hidden   the backbone's L+1 hidden states, each [B, T, H], computed without gradients
     * @param maskBias [B, 1, 1, T] additive attention mask
     * @return [B, T, H]
     */
    NDArray forward(List<NDArray> hidden, NDArray maskBias, boolean training) {
        NDManager batch = maskBias.getManager();
        NDArray scaled = gates.getArray().mul(Arrays2.scalar(batch, 1f / temperature));
        NDArray mu = scaled.getNDArrayInternal().sigmoid();
        scaled.close();
        NDArray x = ladders.get(0).forward(hidden.get(0), training);
        for (int i = 0; i < layers.size(); i++) {
            NDArray m = mu.get(i);
            NDArray oneMinus = m.neg().addi(Arrays2.scalar(batch, 1f));
            NDArray ladder = ladders.get(i + 1).forward(hidden.get(i + 1), training);
            NDArray mixed = ladder.muli(m).addi(x.mul(oneMinus));
            x.close();
            m.close();
            oneMinus.close();
            x = layers.get(i).forward(mixed, maskBias, training);
            mixed.close();
        }
        mu.close();
        NDArray up = upsample.forward(x, training);
        x.close();
        return up.addi(hidden.get(hidden.size() - 1));
    }

    List<HfLinear> ladders() {
        return ladders;
    }

    List<BertLayer> layers() {
        return layers;
    }

    HfLinear upsample() {
        return upsample;
    }

    Parameter gates() {
        return gates;
    }
}

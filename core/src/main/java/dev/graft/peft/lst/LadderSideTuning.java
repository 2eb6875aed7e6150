package dev.graft.peft.lst;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.model.Encoder;
import dev.graft.model.EncoderOutput;
import dev.graft.model.bert.BertConfig;
import dev.graft.model.bert.BertModel;
import dev.graft.peft.Adaptation;
import dev.graft.peft.MethodOption;
import dev.graft.peft.PeftConfigs;
import dev.graft.peft.PeftMethod;
import dev.graft.runtime.Arrays2;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * LST, ladder side-tuning (Sung, Cho, Bansal 2022, "LST: Ladder Side-Tuning for Parameter and Memory Efficient
 * Transfer Learning", https://arxiv.org/abs/2206.06522): a small side network ({@link SideNetwork}) reads the frozen
 * backbone's per-layer hidden states; gradients never flow through the backbone, so training keeps none of its
 * activations. The backbone runs in inference mode, and its states are cached across epochs ({@link ActivationCache}),
 * so after the first epoch only the side network runs.
 *
 * <p>Options: {@code reduction_factor} r (side width H/r, default 8), {@code side_attention_heads} (default: the most
 * heads of at least 16 dimensions), {@code gate_temperature} τ (0.1), {@code init} ({@code pruned}: from the backbone
 * by structural pruning, the paper's choice; or {@code random}), {@code cache_activations} (false: LST exists to save
 * memory; true keeps the frozen backbone's activations across epochs, faster but larger) and {@code cache_limit_mb}
 * (1024). PEFT has no LST: saved in the PEFT layout with {@code peft_type} {@code LST}, tensors
 * under {@code side_network.*} (see docs/peft-format.md).
 */
public final class LadderSideTuning implements PeftMethod {
    static final String PREFIX = "side_network.";
    static final Set<String> KEYS = Set.of("reduction_factor", "side_attention_heads", "gate_temperature", "init",
            "cache_activations", "cache_limit_mb");
    static final MethodOption REDUCTION_FACTOR = MethodOption.of("--reduction-factor", MethodOption.Kind.INTEGER,
            LstConfig.REDUCTION_FACTOR, "Side network width = hidden / this.").withDefault(LstConfig.DEFAULT_REDUCTION_FACTOR);

    @Override
    public String name() {
        return "lst";
    }

    @Override
    public String peftType() {
        return "LST";
    }

    @Override
    public String reference() {
        return "https://arxiv.org/abs/2206.06522";
    }

    @Override
    public double defaultLearningRate() {
        return 3e-3;
    }

    @Override
    public List<MethodOption> options() {
        return List.of(REDUCTION_FACTOR);
    }

    @Override
    public Set<String> configKeys() {
        return KEYS;
    }

    @Override
    public ObjectNode resolveConfig(Encoder encoder, ObjectNode overrides) {
        PeftConfigs.rejectUnknown(overrides, KEYS, name());
        if (!(encoder instanceof BertModel bert)) {
            throw new GraftException("LST needs a BERT-family encoder");
        }
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.put(LstConfig.REDUCTION_FACTOR, LstConfig.DEFAULT_REDUCTION_FACTOR);
        c.put("gate_temperature", 0.1);
        c.put("init", "pruned");
        c.put("cache_activations", false);
        c.put("cache_limit_mb", 1024);
        c.setAll(overrides);
        int r = PeftConfigs.positiveInt(c, LstConfig.REDUCTION_FACTOR);
        BertConfig bc = bert.config();
        if (bc.hiddenSize() % r != 0 || bc.intermediateSize() % r != 0) {
            throw new GraftException("option '" + LstConfig.REDUCTION_FACTOR + "' " + r + " must divide the hidden size "
                    + bc.hiddenSize() + " and the intermediate size " + bc.intermediateSize());
        }
        int side = bc.hiddenSize() / r;
        if (!c.has(LstConfig.SIDE_ATTENTION_HEADS)) {
            // the most heads that keep at least 16 dimensions each
            int heads = 1;
            for (int h = 1; h <= side; h++) {
                if (side % h == 0 && side / h >= 16) {
                    heads = h;
                }
            }
            c.put(LstConfig.SIDE_ATTENTION_HEADS, heads);
        }
        LstConfig parsed = LstConfig.parse(c); // validates, naming the bad key
        if (side % parsed.sideAttentionHeads() != 0) {
            throw new GraftException("option '" + LstConfig.SIDE_ATTENTION_HEADS + "' " + parsed.sideAttentionHeads()
                    + " must divide the side width " + side);
        }
        return c;
    }

    @Override
    public Adaptation attach(Encoder encoder, ObjectNode config, NDManager manager, long seed) {
        BertModel bert = (BertModel) encoder;
        BertConfig bc = bert.config();
        LstConfig c = LstConfig.parse(config);
        int r = c.reductionFactor();
        BertConfig sideConfig = new BertConfig(bc.hiddenSize() / r, bc.numHiddenLayers(),
                c.sideAttentionHeads(), bc.intermediateSize() / r, bc.maxPositionEmbeddings(),
                bc.typeVocabSize(), bc.vocabSize(), bc.layerNormEps(), bc.hiddenAct(), bc.padTokenId(), bc.modelType(),
                bc.architectures(), bc.hiddenDropoutProb(), bc.attentionDropoutProb());
        SideNetwork side = new SideNetwork(sideConfig, bc.hiddenSize(), (float) c.gateTemperature());
        Map<String, Parameter> params = new LinkedHashMap<>();
        side.namedParameters("side_network").forEach(params::put);
        Map<String, ai.djl.ndarray.types.Shape> shapes = side.namedParameterShapes();
        Map<String, float[]> init = c.init().equals(LstConfig.PRUNED)
                ? new PrunedInit(backboneWeights(bert), bc.hiddenSize(), bc.intermediateSize())
                        .values(bc.numHiddenLayers(), sideConfig.hiddenSize(), sideConfig.intermediateSize())
                : new HashMap<>();
        Random rng = new Random(seed);
        for (Map.Entry<String, Shape> e : shapes.entrySet()) {
            String name = e.getKey();
            float[] v = init.containsKey(name) ? init.get(name) : randomInit(name, e.getValue(), rng);
            if (name.startsWith("upsample.")) {
                v = new float[v.length]; // zero: the adapted model starts as the frozen backbone
            }
            params.get(PREFIX + name).setArray(Arrays2.owned(manager, v, e.getValue()));
        }
        ActivationCache cache = c.cacheActivations() ? new ActivationCache((long) (c.cacheLimitMb() * 1024 * 1024)) : null;
        int hidden = bc.hiddenSize();
        return new Adaptation() {
            @Override
            public Map<String, Parameter> parameters() {
                return params;
            }

            @Override
            public EncoderOutput encode(Encoder base, NDArray ids, NDArray mask, NDArray typeIds, boolean training) {
                NDManager batch = ids.getManager();
                int b = (int) ids.getShape().get(0);
                int t = (int) ids.getShape().get(1);
                long[] idValues = null;
                long[] typeValues = null;
                int[] lengths = null;
                List<NDArray> hiddenStates = null;
                if (cache != null) {
                    idValues = ids.toLongArray();
                    typeValues = typeIds == null ? new long[idValues.length] : typeIds.toLongArray();
                    lengths = lengths(mask.toLongArray(), b, t);
                    hiddenStates = cache.lookup(idValues, typeValues, lengths, t, hidden, batch);
                }
                if (hiddenStates == null) {
                    // Inference mode: no dropout (so cached states are exact), and no parameter here needs a
                    // gradient, so autograd records nothing and keeps no backbone activation.
                    EncoderOutput out = base.encode(ids, mask, typeIds, false, true);
                    hiddenStates = out.hiddenStates();
                    if (out.pooled() != null) {
                        out.pooled().close();
                    }
                    if (cache != null && training) {
                        cache.store(idValues, typeValues, lengths, t, hidden, hiddenStates);
                    }
                }
                NDArray maskBias = BertModel.maskBias(mask);
                NDArray last = side.forward(hiddenStates, maskBias, training);
                maskBias.close();
                hiddenStates.forEach(NDArray::close);
                return new EncoderOutput(last, null, List.of());
            }

            @Override
            public void close() {
                if (cache != null) {
                    cache.clear();
                }
            }
        };
    }

    private static int[] lengths(long[] mask, int b, int t) {
        int[] out = new int[b];
        for (int i = 0; i < b; i++) {
            int n = 0;
            for (int j = 0; j < t; j++) {
                n += (int) mask[i * t + j];
            }
            out[i] = n;
        }
        return out;
    }

    private static Map<String, float[]> backboneWeights(BertModel bert) {
        Map<String, float[]> out = new HashMap<>();
        bert.namedParameters().forEach((name, p) -> {
            if (name.startsWith("encoder.layer.")) {
                out.put(name, p.getArray().toFloatArray());
            }
        });
        return out;
    }

    /** BERT's initialiser: N(0, 0.02²) weights, zero biases, LayerNorm at identity. */
    private static float[] randomInit(String name, Shape shape, Random rng) {
        float[] v = new float[Math.toIntExact(shape.size())];
        if (name.endsWith("LayerNorm.weight")) {
            java.util.Arrays.fill(v, 1f);
        } else if (name.endsWith(".weight")) {
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (rng.nextGaussian() * 0.02);
            }
        }
        return v;
    }
}

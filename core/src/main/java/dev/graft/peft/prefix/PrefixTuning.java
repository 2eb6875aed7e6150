package dev.graft.peft.prefix;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.model.Encoder;
import dev.graft.model.bert.BertLayer;
import dev.graft.model.bert.BertModel;
import dev.graft.model.bert.BertSelfAttention;
import dev.graft.peft.Adaptation;
import dev.graft.peft.MethodOption;
import dev.graft.peft.PeftConfigs;
import dev.graft.peft.PeftMethod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Prefix tuning (Li & Liang 2021, "Prefix-Tuning: Optimizing Continuous Prompts for Generation",
 * https://arxiv.org/abs/2101.00190): {@code num_virtual_tokens} trained key/value vectors prepended to the attention
 * of every layer; the encoder stays frozen.
 *
 * <p>With {@code prefix_projection} (Graft's default, the paper's reparametrisation) the prefixes come from an MLP
 * over P embeddings during training; the adapter file holds only the resulting table under PEFT's key
 * {@code prompt_embeddings} [P, L·2·H], which is what PEFT saves and loads (its inference-mode prefix encoder is that
 * table). Config keys are PEFT's {@code PrefixTuningConfig}'s.
 */
public final class PrefixTuning implements PeftMethod {
    /** PEFT's key for the saved table. */
    public static final String KEY = "prompt_embeddings";
    static final Set<String> KEYS = Set.of("num_virtual_tokens", "token_dim", "num_transformer_submodules",
            "num_attention_heads", "num_layers", "encoder_hidden_size", "prefix_projection");
    static final MethodOption VIRTUAL_TOKENS = MethodOption.of("--virtual-tokens", MethodOption.Kind.INTEGER,
            PrefixConfig.NUM_VIRTUAL_TOKENS, "Number of virtual tokens.").withDefault(PrefixConfig.DEFAULT_VIRTUAL_TOKENS);

    @Override
    public String name() {
        return "prefix";
    }

    @Override
    public String peftType() {
        return "PREFIX_TUNING";
    }

    @Override
    public String reference() {
        return "https://arxiv.org/abs/2101.00190";
    }

    @Override
    public double defaultLearningRate() {
        return 1e-3;
    }

    @Override
    public List<MethodOption> options() {
        return List.of(VIRTUAL_TOKENS);
    }

    @Override
    public Set<String> configKeys() {
        return KEYS;
    }

    @Override
    public ObjectNode resolveConfig(Encoder encoder, ObjectNode overrides) {
        PeftConfigs.rejectUnknown(overrides, KEYS, name());
        if (!(encoder instanceof BertModel bert)) {
            throw new GraftException("prefix tuning needs a BERT-family encoder");
        }
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.put(PrefixConfig.NUM_VIRTUAL_TOKENS, PrefixConfig.DEFAULT_VIRTUAL_TOKENS);
        c.put("token_dim", encoder.hiddenSize());
        c.put("num_transformer_submodules", 1);
        c.put("num_attention_heads", bert.config().numAttentionHeads());
        c.put("num_layers", encoder.numLayers());
        c.put("encoder_hidden_size", encoder.hiddenSize());
        c.put("prefix_projection", true);
        c.setAll(overrides);
        PrefixConfig parsed = PrefixConfig.parse(c); // validates, naming the bad key
        requireEqual(PrefixConfig.TOKEN_DIM, parsed.tokenDim(), encoder.hiddenSize(), "the model's hidden size");
        requireEqual(PrefixConfig.NUM_ATTENTION_HEADS, parsed.numAttentionHeads(), bert.config().numAttentionHeads(),
                "the model's attention heads");
        requireEqual(PrefixConfig.NUM_LAYERS, parsed.numLayers(), encoder.numLayers(), "the model's layer count");
        return c;
    }

    private static void requireEqual(String key, int got, int expected, String what) {
        if (got != expected) {
            throw new GraftException("option '" + key + "' must equal " + what + " (" + expected + "), got " + got);
        }
    }

    @Override
    public ObjectNode inferenceConfig(ObjectNode config) {
        ObjectNode c = config.deepCopy();
        c.put("prefix_projection", false);
        return c;
    }

    @Override
    public Adaptation attach(Encoder encoder, ObjectNode config, NDManager manager, long seed) {
        BertModel bert = (BertModel) encoder;
        PrefixConfig c = PrefixConfig.parse(config);
        boolean projection = c.prefixProjection();
        PrefixTable table = new PrefixTable(c.numVirtualTokens(), encoder.hiddenSize(), encoder.numLayers(), projection,
                c.encoderHiddenSize(), manager, seed);
        List<BertSelfAttention> attentions = new ArrayList<>();
        List<PrefixAttentionHook> hooks = new ArrayList<>();
        List<BertLayer> layers = bert.layers();
        for (int l = 0; l < layers.size(); l++) {
            BertSelfAttention a = layers.get(l).selfAttention();
            PrefixAttentionHook hook = new PrefixAttentionHook(table, l, a.heads(), a.headSize());
            a.addHook(hook);
            attentions.add(a);
            hooks.add(hook);
        }
        return new Adaptation() {
            @Override
            public Map<String, Parameter> parameters() {
                return table.parameters();
            }

            @Override
            public Map<String, Parameter> savedParameters() {
                if (!projection) {
                    return table.parameters();
                }
                Parameter p = Parameter.builder().setName(KEY).setType(Parameter.Type.WEIGHT).build();
                p.setArray(table.table(manager));
                return Map.of(KEY, p);
            }

            @Override
            public boolean exportsToOnnx() {
                return true;
            }

            @Override
            public void close() {
                for (int i = 0; i < hooks.size(); i++) {
                    attentions.get(i).removeHook(hooks.get(i));
                }
            }
        };
    }
}

package dev.graft.peft.prompt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.model.Encoder;
import dev.graft.model.bert.BertModel;
import dev.graft.model.nn.OnnxExport;
import dev.graft.model.nn.OnnxInputHook;
import dev.graft.peft.Adaptation;
import dev.graft.peft.MethodOption;
import dev.graft.peft.PeftConfigs;
import dev.graft.peft.PeftMethod;
import dev.graft.runtime.Arrays2;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Prompt tuning (Lester, Al-Rfou, Constant 2021, "The Power of Scale for Parameter-Efficient Prompt Tuning"):
 * {@code num_virtual_tokens} trained embeddings prepended to every input; the encoder stays frozen. Saved as PEFT
 * does, under the unprefixed key {@code prompt_embeddings} [num_virtual_tokens, H]. Initialisation: RANDOM (as PEFT:
 * the rows of randomly chosen vocabulary embeddings, which keeps them on the embedding scale).
 */
public final class PromptTuning implements PeftMethod {
    static final Set<String> KEYS = Set.of("num_virtual_tokens", "prompt_tuning_init", "token_dim");
    /** The key PEFT saves the soft prompt under. */
    public static final String KEY = "prompt_embeddings";
    static final MethodOption VIRTUAL_TOKENS = MethodOption.of("--virtual-tokens", MethodOption.Kind.INTEGER,
            PromptConfig.NUM_VIRTUAL_TOKENS, "Number of virtual tokens.").withDefault(PromptConfig.DEFAULT_VIRTUAL_TOKENS);

    @Override
    public String name() {
        return "prompt";
    }

    @Override
    public String peftType() {
        return "PROMPT_TUNING";
    }

    @Override
    public String reference() {
        return "https://arxiv.org/abs/2104.08691";
    }

    /** Soft prompts want the largest steps (Lester et al.). */
    @Override
    public double defaultLearningRate() {
        return 3e-2;
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
        if (!(encoder instanceof BertModel)) {
            throw new GraftException("prompt tuning needs a BERT-family encoder");
        }
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.put(PromptConfig.NUM_VIRTUAL_TOKENS, PromptConfig.DEFAULT_VIRTUAL_TOKENS);
        c.put("prompt_tuning_init", "RANDOM");
        c.put("token_dim", encoder.hiddenSize());
        c.setAll(overrides);
        PromptConfig parsed = PromptConfig.parse(c); // validates, naming the bad key
        if (parsed.numVirtualTokens() >= encoder.maxPositions()) {
            throw new GraftException("option '" + PromptConfig.NUM_VIRTUAL_TOKENS + "' " + parsed.numVirtualTokens()
                    + " must be below the model's " + encoder.maxPositions() + " positions");
        }
        if (parsed.tokenDim() != encoder.hiddenSize()) {
            throw new GraftException("option '" + PromptConfig.TOKEN_DIM + "' must equal the model's hidden size " + encoder.hiddenSize());
        }
        return c;
    }

    @Override
    public Adaptation attach(Encoder encoder, ObjectNode config, NDManager manager, long seed) {
        BertModel bert = (BertModel) encoder;
        if (bert.inputHook() != null) {
            throw new GraftException("the model already has a prompt attached");
        }
        int n = PromptConfig.parse(config).numVirtualTokens();
        int h = encoder.hiddenSize();
        NDArray words = bert.embeddings().wordEmbeddings().weight().getArray();
        int vocab = (int) words.getShape().get(0);
        float[] table = words.toFloatArray();
        float[] init = new float[n * h];
        Random r = new Random(seed);
        for (int i = 0; i < n; i++) {
            System.arraycopy(table, r.nextInt(vocab) * h, init, i * h, h);
        }
        Parameter prompt = Parameter.builder().setName(KEY).setType(Parameter.Type.WEIGHT).build();
        prompt.setArray(Arrays2.owned(manager, init, new Shape(n, h)));
        OnnxInputHook hook = new OnnxInputHook() {
            @Override
            public int virtualTokens() {
                return n;
            }

            @Override
            public NDArray virtualEmbeddings(NDArray wordEmbeddings, boolean training) {
                long b = wordEmbeddings.getShape().get(0);
                NDArray row = prompt.getArray().expandDims(0);
                NDArray out = row.broadcast(b, n, h);
                row.close(); // would otherwise live as long as the parameter's manager: a leak per batch
                out.attach(wordEmbeddings.getManager()); // a per-batch view, not a parameter-lifetime array
                return out;
            }

            /** The prompt as a constant [1, P, H], expanded to the batch. */
            @Override
            public String exportVirtualEmbeddings(OnnxExport export, String wordEmbeddings) {
                var g = export.graph();
                String table = g.weight(KEY, prompt.getArray().toFloatArray(), 1, n, h);
                String shape = g.concat(0, g.batchDim(wordEmbeddings), g.ints(1, 1));
                return g.op("Expand", List.of(table, shape));
            }
        };
        bert.setInputHook(hook);
        return new Adaptation() {
            @Override
            public Map<String, Parameter> parameters() {
                return Map.of(KEY, prompt);
            }

            @Override
            public boolean exportsToOnnx() {
                return true;
            }

            @Override
            public void close() {
                if (bert.inputHook() == hook) {
                    bert.setInputHook(null);
                }
            }
        };
    }
}

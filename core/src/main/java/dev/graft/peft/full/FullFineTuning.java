package dev.graft.peft.full;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.model.Encoder;
import dev.graft.peft.Adaptation;
import dev.graft.peft.PeftConfigs;
import dev.graft.peft.PeftMethod;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Full fine-tuning: every encoder weight trains. The baseline every PEFT method is compared with (Devlin et al.,
 * BERT, 2019). Saved as a whole model rather than an adapter.
 */
public final class FullFineTuning implements PeftMethod {
    @Override
    public String name() {
        return "full";
    }

    @Override
    public String peftType() {
        return "FULL";
    }

    @Override
    public String reference() {
        return "https://arxiv.org/abs/1810.04805";
    }

    /** BERT's usual fine-tuning rate: every weight moves. */
    @Override
    public double defaultLearningRate() {
        return 5e-5;
    }

    @Override
    public Set<String> configKeys() {
        return Set.of();
    }

    @Override
    public ObjectNode resolveConfig(Encoder encoder, ObjectNode overrides) {
        PeftConfigs.rejectUnknown(overrides, Set.of(), name());
        return JsonNodeFactory.instance.objectNode();
    }

    @Override
    public Adaptation attach(Encoder encoder, ObjectNode config, NDManager manager, long seed) {
        Map<String, Parameter> all = new LinkedHashMap<>(encoder.namedParameters());
        all.remove("pooler.dense.weight"); // the pooler is unused unless pooling is "pooler"; keep it frozen
        all.remove("pooler.dense.bias");
        return new Adaptation() {
            @Override
            public Map<String, Parameter> parameters() {
                return all;
            }

            @Override
            public boolean canMerge() {
                return true;
            }

            @Override
            public void merge() {
                // the trained weights are the encoder's own: nothing to fold
            }

            @Override
            public void close() {
            }
        };
    }
}

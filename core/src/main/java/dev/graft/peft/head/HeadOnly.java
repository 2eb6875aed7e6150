package dev.graft.peft.head;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.model.Encoder;
import dev.graft.peft.Adaptation;
import dev.graft.peft.PeftConfigs;
import dev.graft.peft.PeftMethod;
import java.util.Map;
import java.util.Set;

/**
 * Linear probing: the encoder stays frozen and only the task head trains. The cheapest baseline (one forward pass
 * per example and no backward through the encoder), and the form a task head takes when it is detached from its
 * backbone — {@code graft merge} writes each task's head this way, so that the merged backbone serves it with
 * {@code --model MERGED --adapter MERGED/heads/<i>-<task>}. PEFT has no type for it: saved with {@code peft_type}
 * {@code HEAD} and only the head's tensors.
 *
 * <p>Kumar et al., "Fine-Tuning can Distort Pretrained Features and Underperform Out-of-Distribution", ICLR 2022
 * (linear probing vs fine-tuning).
 */
public final class HeadOnly implements PeftMethod {
    /** The CLI name. */
    public static final String NAME = "head";
    /** The {@code peft_type} written to adapter_config.json. */
    public static final String PEFT_TYPE = "HEAD";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    @Override
    public String reference() {
        return "https://arxiv.org/abs/2202.10054";
    }

    @Override
    public double defaultLearningRate() {
        return 1e-3;
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
        return new Adaptation() {
            @Override
            public Map<String, Parameter> parameters() {
                return Map.of(); // the head is the model's, added by TaskModel
            }

            @Override
            public boolean canMerge() {
                return true;
            }

            @Override
            public void merge() {
                // nothing touches the encoder
            }

            @Override
            public void close() {
            }
        };
    }
}

package dev.graft.carry;

import dev.graft.model.EncoderModel;
import dev.graft.train.Example;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * How an adaptation of base A is moved to base B. Two strategies need no training: {@link PatchTransfer} (PortLLM:
 * the adapter's weights as they are) and {@link FineTuningTransfer} (Lin et al. 2025: B + s·(A_ft − A)).
 *
 * <p>Extension point: a distillation strategy (train an adapter on B to reproduce the source's outputs on unlabeled
 * texts, {@link Input#texts()}) implements this interface and is chosen with {@link Carry#strategy(CarryStrategy)};
 * {@link Carry} then does the rest (compatibility check, atomic output, provenance, agreement check) for it too.
 */
public interface CarryStrategy {
    /** Short name recorded in the provenance and the report, e.g. "patch-transfer". */
    String name();

    /** The paper the strategy follows. */
    String reference();

    /**
     * What a strategy works from.
     *
     * @param source the adapter or model directory trained on {@code from}
     * @param kind   whether {@code source} is an adapter directory or a model directory
     * @param method the adapter's method name ("lora", "full", ...), or "model" for a model directory
     * @param from   base A, as loaded (its weights must not be changed)
     * @param fromId base A's id as recorded in the output's provenance
     * @param to     base B
     * @param toId   base B's id, recorded as the output's base model
     * @param scale  s, the weight of the fine-tuning difference (fine-tuning transfer)
     * @param texts  unlabeled texts given for the agreement check (empty if none), for strategies that learn from them
     */
    record Input(Path source, Carry.Kind kind, String method, EncoderModel from, String fromId, EncoderModel to,
                 String toId, double scale, List<Example> texts) {
    }

    /**
     * Writes the carried adapter or model into {@code out} (an empty temporary directory, renamed into place only if
     * everything succeeds); {@link Carry} writes the provenance record afterwards.
     *
     * @return how many tensors were recomputed for B (0 when copied as they are)
     */
    int write(Input in, Path out) throws IOException;
}

package dev.graft.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import dev.graft.model.Encoder;
import dev.graft.model.EncoderOutput;
import java.util.Map;

/**
 * A PEFT method attached to one encoder: its trainable parameters and, for methods that do not work through hooks
 * (LST), its own forward pass. Closing it removes the hooks.
 */
public interface Adaptation extends AutoCloseable {
    /**
     * The trainable parameters by the name they are saved under in {@code adapter_model.safetensors}, without PEFT's
     * {@code base_model.model.} prefix (e.g. {@code encoder.layer.0.attention.self.query.lora_A.weight}). Everything
     * else in the encoder stays frozen.
     */
    Map<String, Parameter> parameters();

    /**
     * The tensors written to {@code adapter_model.safetensors}, by the same naming rule as {@link #parameters()}.
     * Usually the trainable parameters themselves; prefix tuning trains a reparametrising MLP but saves only the
     * table it produces, as PEFT does. Loading attaches the method with {@link PeftMethod#inferenceConfig}, whose
     * {@link #parameters()} are exactly these.
     */
    default Map<String, Parameter> savedParameters() {
        return parameters();
    }

    /**
     * Runs the adapted encoder. Hook-based methods use the default (the hooks are already installed); LST overrides it
     * to run the frozen backbone without gradients and its side network on top.
     */
    default EncoderOutput encode(Encoder base, NDArray ids, NDArray mask, NDArray typeIds, boolean training) {
        return base.encode(ids, mask, typeIds, training, false);
    }

    /** Whether the change can be folded into the base weights (LoRA, (IA)³). */
    default boolean canMerge() {
        return false;
    }

    /**
     * Folds the change into the base weights and removes the hooks, so the plain encoder computes the adapted model.
     * It may change only the weight and bias of the dense layers its hooks sit on (an ONNX export copies exactly those
     * to restore the model afterwards), and merging an already merged adaptation changes nothing.
     */
    default void merge() {
        throw new UnsupportedOperationException("this method cannot be merged into the base weights");
    }

    /**
     * Whether the adapted encoder can be written as an ONNX graph (graft export --format onnx): either the change folds
     * into the weights ({@link #canMerge}), or every hook the method installs writes its own graph nodes
     * ({@link dev.graft.model.nn.OnnxLinearHook}, {@link dev.graft.model.nn.OnnxAttentionHook},
     * {@link dev.graft.model.nn.OnnxInputHook}). A method with its own forward pass (LST) answers false and is
     * refused by name.
     */
    default boolean exportsToOnnx() {
        return canMerge();
    }

    /** Removes the hooks; the parameters stay valid until their manager closes. */
    @Override
    void close();
}

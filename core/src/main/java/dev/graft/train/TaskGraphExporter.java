package dev.graft.train;

import java.nio.file.Path;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Writes the ONNX graph of a task model (its encoder with the PEFT method, pooling and head), so that ONNX Runtime
 * can run the whole model. The exporter lives in a layer above this one ({@code dev.graft.export}) and is found
 * through {@link ServiceLoader}.
 */
public interface TaskGraphExporter {
    /**
     * The {@code model.onnx} of {@code model}, exported once per set of weights and cached. Exporting a method that
     * folds into the weights (LoRA, (IA)³, BitFit, full) merges it into the base model's weights in place; the task
     * model computes the same outputs afterwards.
     *
     * @throws dev.graft.GraftException if the method has no ONNX form ({@code lst}) or the cache cannot be written
     */
    Path export(TaskModel model);

    /** The registered exporter, if the export layer is on the class path. */
    static Optional<TaskGraphExporter> find() {
        return ServiceLoader.load(TaskGraphExporter.class, TaskGraphExporter.class.getClassLoader()).findFirst();
    }
}

package dev.graft.model.engine;

import dev.graft.GraftException;
import dev.graft.model.BundledModel;
import dev.graft.model.BundledModels;
import dev.graft.model.EncoderModel;
import dev.graft.model.InferenceEngine;
import dev.graft.model.Pooling;
import dev.graft.model.PytorchEngine;
import dev.graft.runtime.Engines;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses and opens the engine for frozen inference on a model ({@code --engine auto|onnxruntime|pytorch}).
 *
 * <p>An ONNX graph exists for a bundled model (the export its weights were imported from, in its langchain4j jar). A
 * model directory has none until {@code graft export --format onnx} writes one; {@link #open(EncoderModel,
 * OnnxGraphSource, EngineChoice, Pooling, boolean)} takes such a graph. {@code auto} picks ONNX Runtime whenever the
 * graph computes what is asked, PyTorch otherwise.
 */
public final class InferenceEngines {
    private static final Logger LOG = LoggerFactory.getLogger(InferenceEngines.class);

    private InferenceEngines() {
    }

    /**
     * The engine {@code choice} names for {@code model}, with the model's own ONNX graph if it has one.
     *
     * @param pooling   the pooling the caller will ask for
     * @param allLayers whether the caller needs every layer's hidden state (per-layer features)
     * @throws GraftException for {@code onnxruntime} when the model has no ONNX graph or the graph cannot pool as asked
     */
    public static InferenceEngine open(EncoderModel model, EngineChoice choice, Pooling pooling, boolean allLayers) {
        if (choice == EngineChoice.PYTORCH) {
            return new PytorchEngine(model);
        }
        return open(model, graphOf(model).orElse(null), choice, pooling, allLayers);
    }

    /**
     * As {@link #open(EncoderModel, EngineChoice, Pooling, boolean)} with a given graph of {@code model}'s encoder (e.g.
     * one {@code graft export --format onnx} wrote), or null for none. The graph must compute the same function as
     * the model's weights: nothing checks it here.
     */
    public static InferenceEngine open(EncoderModel model, OnnxGraphSource graph, EngineChoice choice, Pooling pooling,
                                       boolean allLayers) {
        if (choice == EngineChoice.PYTORCH) {
            return new PytorchEngine(model);
        }
        String id = model.info().id();
        if (graph == null) {
            if (choice == EngineChoice.ONNXRUNTIME) {
                throw new GraftException("--engine onnxruntime: " + id + " has no ONNX graph (the bundled models have one;"
                        + " for a model directory export one with graft export --format onnx); use --engine pytorch or auto");
            }
            return new PytorchEngine(model);
        }
        if (pooling == Pooling.POOLER && graph.pooler() == null) {
            if (choice == EngineChoice.ONNXRUNTIME) {
                throw new GraftException("--engine onnxruntime: pooling 'pooler' needs a pooler output and the ONNX graph of "
                        + id + " has none; use --pooling cls or mean, or --engine pytorch");
            }
            return new PytorchEngine(model);
        }
        if (allLayers && graph.layers() != model.info().layers()) {
            // per-layer features need every layer's hidden state; without them the answer must not change with the engine
            LOG.info("{}: its ONNX graph does not expose every layer's hidden state; per-layer features run on PyTorch", id);
            return new PytorchEngine(model);
        }
        return OrtEngine.open(graph, OrtEngine.Settings.defaults(Engines.configuredThreadCount()), allLayers);
    }

    /** The ONNX graph of a model's encoder, if Graft knows one: a bundled model's own export. */
    public static Optional<OnnxGraphSource> graphOf(EncoderModel model) {
        Optional<BundledModel> b = model.bundled();
        if (b.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(OnnxGraphSource.of(BundledModels.onnxSource(b.get()), BundledModels.onnxBytes(b.get())));
    }
}

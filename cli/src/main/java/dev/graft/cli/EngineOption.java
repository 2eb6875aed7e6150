package dev.graft.cli;

import dev.graft.GraftException;
import dev.graft.model.engine.EngineChoice;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** {@code --engine} for the commands that run a frozen encoder (embed, predict, features, rank). */
final class EngineOption {
    @Option(names = "--engine", defaultValue = "auto", paramLabel = "auto|onnxruntime|pytorch", converter = Parse.class,
            description = "Inference engine: onnxruntime runs the model's ONNX graph (the bundled models have one),"
                    + " pytorch its weights; auto (default) takes ONNX Runtime where a graph computes what is asked."
                    + " Training always runs on PyTorch.")
    EngineChoice engine = EngineChoice.AUTO;

    EngineChoice choice() {
        return engine;
    }

    /** A misspelt engine is a usage error (exit 2) naming the three choices. */
    static final class Parse implements ITypeConverter<EngineChoice> {
        @Override
        public EngineChoice convert(String value) {
            try {
                return EngineChoice.parse(value);
            } catch (GraftException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}

package dev.graft.model.engine;

import dev.graft.GraftException;
import java.util.Arrays;
import java.util.Locale;

/** Which engine runs frozen inference ({@code --engine}). Training always runs on PyTorch. */
public enum EngineChoice {
    /** ONNX Runtime when the model has an ONNX graph that computes what is asked, else PyTorch. */
    AUTO,
    /** ONNX Runtime on the model's ONNX graph; fails when there is none. */
    ONNXRUNTIME,
    /** PyTorch on the model's own weights (what training uses). */
    PYTORCH;

    /** Parses {@code auto}, {@code onnxruntime} or {@code pytorch} (case-insensitive). */
    public static EngineChoice parse(String name) {
        for (EngineChoice c : values()) {
            if (c.cliName().equals(name.trim().toLowerCase(Locale.ROOT))) {
                return c;
            }
        }
        throw new GraftException("unknown engine '" + name + "': expected one of "
                + Arrays.stream(values()).map(EngineChoice::cliName).toList());
    }

    /** The name as {@code --engine} spells it. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}

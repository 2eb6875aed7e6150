package dev.graft.cli;

import dev.graft.model.EncoderModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "convert", description = "Write a model (bundled id or directory) as a standard Hugging Face directory.",
        footer = {"", "Examples:", "  graft convert --model bge-small-en-v1.5 --output ./bge-small-en-v1.5-hf"})
final class ConvertCommand implements Runnable {
    @Option(names = "--model", required = true, paramLabel = "ID|DIR")
    String model;

    @Option(names = "--output", required = true, paramLabel = "DIR")
    Path output;

    @Option(names = "--json", description = "Print a JSON summary.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        try (EncoderModel m = EncoderModel.load(model)) {
            m.saveAsHuggingFace(output);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("model", m.info().id());
                s.put("output", output.toString());
                s.put("parameters", m.info().parameters());
                s.put("files", new String[] {"config.json", "model.safetensors", "tokenizer.json", "modules.json", "1_Pooling/config.json"});
                Output.json(out, s);
            } else {
                out.printf("wrote %s (%s parameters) to %s: config.json, model.safetensors, tokenizer.json, sentence-transformers pooling files%n",
                        m.info().id(), Output.count(m.info().parameters()), output);
            }
        }
    }
}

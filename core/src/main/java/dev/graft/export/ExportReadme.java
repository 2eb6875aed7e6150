package dev.graft.export;

import com.fasterxml.jackson.databind.JsonNode;

/** The README.md written beside an exported model.onnx: its inputs, outputs and how to use them, from the description. */
final class ExportReadme {
    private ExportReadme() {
    }

    static String text(JsonNode d) {
        StringBuilder s = new StringBuilder();
        s.append("# ").append(d.path("base_model").asText());
        if (d.has("method")) {
            s.append(" + ").append(d.path("method").asText()).append(" (").append(d.path("method_form").asText()).append(')');
        }
        s.append(" as ONNX\n\n");
        s.append("Written by `graft export --format onnx`: `model.onnx` (ONNX opset ").append(d.path("opset").asInt())
                .append(") and its tokenizer, `tokenizer.json`. `onnx_export.json` holds these facts for programs.\n\n");
        s.append("## Inputs\n\n");
        for (JsonNode in : d.path("inputs")) {
            s.append("- `").append(in.path("name").asText()).append("`: ").append(in.path("type").asText()).append(' ')
                    .append(in.path("shape").asText()).append('\n');
        }
        s.append("\nTokenise with `tokenizer.json` (at most ").append(d.path("max_positions").asInt())
                .append(" tokens); `attention_mask` is 1 for real tokens and 0 for padding; `token_type_ids` are 0 for a"
                        + " single text.\n\n## Outputs\n\n");
        for (JsonNode out : d.path("outputs")) {
            s.append("- `").append(out.path("name").asText()).append("` ").append(out.path("shape").asText()).append(": ")
                    .append(out.path("description").asText()).append('\n');
        }
        s.append("\n`last_hidden_state` comes first, so sentence-transformers consumers such as langchain4j's"
                + " `OnnxEmbeddingModel` (pooling mode ").append(d.path("pooling").asText().toUpperCase(java.util.Locale.ROOT))
                .append(") read it and pool it themselves.\n");
        if (d.has("labels") && d.path("labels").size() > 0) {
            s.append("\nLabels, in output order: ").append(d.path("labels").toString()).append('\n');
        }
        return s.toString();
    }
}

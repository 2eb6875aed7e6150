package dev.graft.model;

/**
 * A pretrained encoder Graft knows by a short id. Its weights and tokenizer come from the ONNX export inside
 * langchain4j's embedding jar on Maven Central ({@code dev.langchain4j:<artifactId>:1.0.0-beta3}, files
 * {@code <resourceName>.onnx} and {@code <resourceName>-tokenizer.json}).
 *
 * @param id            the id users type, e.g. {@code all-minilm-l6-v2}
 * @param artifactId    Maven artifact id of the langchain4j jar
 * @param resourceName  base name of the ONNX and tokenizer files inside the jar
 * @param hfRepo        the Hugging Face repository the export was made from
 * @param layers        transformer layers
 * @param hiddenSize    hidden size
 * @param heads         attention heads (not recoverable from weights, so recorded here)
 * @param parameters    number of weights, pooler included
 * @param pooling       the pooling the model card prescribes
 * @param normalize     whether the model card L2-normalises embeddings
 * @param queryPrefix   text prepended to queries for retrieval ("" if none)
 * @param passagePrefix text prepended to passages ("" if none)
 * @param language      main language(s)
 * @param maxLength     the token limit the model was trained with (sentence-transformers' max_seq_length), the
 *                      default for embedding
 */
public record BundledModel(String id, String artifactId, String resourceName, String hfRepo, int layers, int hiddenSize,
                           int heads, long parameters, Pooling pooling, boolean normalize, String queryPrefix,
                           String passagePrefix, String language, int maxLength) {

    /** Maven coordinates {@code group:artifact:version} of the jar that holds this model. */
    public String mavenCoordinates() {
        return "dev.langchain4j:" + artifactId + ":" + BundledModels.LANGCHAIN4J_VERSION;
    }
}

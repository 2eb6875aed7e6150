package dev.graft.export;

import dev.graft.io.onnx.Int8MatMul;
import dev.graft.io.onnx.OnnxGraphBuilder;
import dev.graft.model.EncoderModel;
import dev.graft.model.bert.OnnxParityTest;
import dev.graft.text.TokenizedText;
import java.util.ArrayList;
import java.util.List;

/** Exploration: int8 settings against fp32 on parity inputs + fortunes (not a test; run its main). */
public final class Int8Eval {
    public static void main(String[] args) throws Exception {
        String id = args[0];
        List<String> texts = new ArrayList<>(OnnxParityTest.inputs(id.endsWith("zh")));
        texts.addAll(java.nio.file.Files.readAllLines(java.nio.file.Path.of("bench/data/embed/texts.txt")).subList(0, Integer.parseInt(args[1])));
        try (EncoderModel base = EncoderModel.load(id)) {
            OnnxGraphBuilder fp32 = OnnxExporter.of(base).build().graph();
            List<TokenizedText> tokens = base.tokenizer().encodeAll(texts, 256);
            var batches = Int8Quantizer.batches(tokens);
            List<float[]> ref = new ArrayList<>();
            try (OrtGraphRunner r = new OrtGraphRunner(fp32, 1)) {
                for (var b : batches) ref.add(r.run(b, java.util.Set.of(OnnxExporter.SENTENCE_EMBEDDING)).get(OnnxExporter.SENTENCE_EMBEDDING));
            }
            List<TokenizedText> cal = base.tokenizer().encodeAll(Int8Calibration.builtIn(), 256);
            for (int i = 2; i < args.length; i++) {
                String[] p = args[i].split("/");
                var s = new Int8Quantizer.Settings(Int8MatMul.Form.INTEGER_U8U8, Double.parseDouble(p[0]), Double.parseDouble(p[1]), Integer.parseInt(p[2]), p.length > 3 ? Integer.parseInt(p[3]) : 0);
                long t0 = System.nanoTime();
                var o = Int8Quantizer.quantize(fp32, w -> true, cal, s);
                double secs = (System.nanoTime() - t0) / 1e9;
                CosineStats c = Int8Quantizer.cosine(o.graph(), batches, ref);
                System.out.printf("%s alpha %s target %s max %s: fp32 kept %d/%d %s; calibration min %.5f; eval (%d texts) min %.5f mean %.5f; %.0f s%n",
                        id, p[0], p[1], p[2], o.fp32Weights().size(), o.products(), o.fp32Weights(), o.cosine().min(), c.count(), c.min(), c.mean(), secs);
            }
        }
    }
}

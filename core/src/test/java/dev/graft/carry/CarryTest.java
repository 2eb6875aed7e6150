package dev.graft.carry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.io.Provenance;
import dev.graft.io.safetensors.SafetensorsFile;
import dev.graft.model.EncoderModel;
import dev.graft.model.bert.BertConfig;
import dev.graft.peft.AdapterFiles;
import dev.graft.peft.RecordedBase;
import dev.graft.testing.TinyBert;
import dev.graft.train.Example;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.tune.TaskModelFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Carrying adapters and full fine-tunes from one tiny base to another. */
class CarryTest {
    @TempDir
    Path dir;

    static List<Example> examples(int n, long seed) {
        return CarryModels.texts(n, seed).stream().map(t -> new Example(t, null, null, "test")).toList();
    }

    @Test
    void fullFineTuneBecomesBPlusScaledDifference() throws Exception {
        Path a = CarryModels.base(dir.resolve("a"), 1);
        Path b = CarryModels.base(dir.resolve("b"), 2);
        Path ft = CarryModels.adapter(a, "full", Task.CLASSIFICATION, 5, dir.resolve("ft"));
        Path out = dir.resolve("out");
        Carry.Report r = Carry.of(ft).scale(0.5).run(b.toString(), out);
        assertEquals("fine-tuning-transfer", r.strategy());
        assertEquals(a.toString(), r.from(), "A defaults to the base the adapter records");
        assertNull(r.agreement(), "no texts, no check");
        try (EncoderModel ma = EncoderModel.load(a.toString()); EncoderModel mb = EncoderModel.load(b.toString());
             SafetensorsFile src = SafetensorsFile.open(ft.resolve(AdapterFiles.WEIGHTS));
             SafetensorsFile dst = SafetensorsFile.open(out.resolve(AdapterFiles.WEIGHTS))) {
            assertEquals(src.names(), dst.names());
            int checked = 0;
            for (String name : src.names()) {
                String p = name.replace("base_model.model.bert.", "");
                if (name.contains("classifier")) {
                    assertEquals(src.buffer(name), dst.buffer(name), "the head comes along unchanged: " + name);
                    continue;
                }
                float[] va = ma.namedParameters().get(p).getArray().toFloatArray();
                float[] vb = mb.namedParameters().get(p).getArray().toFloatArray();
                float[] aft = src.readFloats(name);
                float[] got = dst.readFloats(name);
                for (int i = 0; i < got.length; i++) {
                    float want = vb[i] + 0.5f * (aft[i] - va[i]);
                    assertEquals(want, got[i], 1e-6f, name + "[" + i + "]");
                }
                checked++;
            }
            assertEquals(checked, r.transferredTensors());
            assertTrue(checked > 20, "every encoder weight but the pooler: " + checked);
        }
        // the carried fine-tune records B: it loads onto B without a warning
        try (EncoderModel mb = EncoderModel.load(b.toString())) {
            assertTrue(RecordedBase.check(out, mb, RecordedBase.Policy.REFUSE).isEmpty());
            assertEquals(b.toString(), AdapterFiles.baseModelOf(out));
        }
    }

    @Test
    void carriedLoraIsByteIdenticalApartFromTheRecordedBase() throws Exception {
        Path a = CarryModels.base(dir.resolve("a"), 1);
        Path b = CarryModels.base(dir.resolve("b"), 2);
        Path lora = CarryModels.adapter(a, "lora", Task.CLASSIFICATION, 5, dir.resolve("lora"));
        Path out = dir.resolve("out");
        Carry.Report r = Carry.of(lora).run(b.toString(), out);
        assertEquals("patch-transfer", r.strategy());
        assertEquals("lora", r.method());
        assertArrayEquals(Files.readAllBytes(lora.resolve(AdapterFiles.WEIGHTS)), Files.readAllBytes(out.resolve(AdapterFiles.WEIGHTS)));
        for (String[] f : new String[][] {{AdapterFiles.CONFIG, "base_model_name_or_path"}, {AdapterFiles.TASK, "base_model"}}) {
            ObjectNode before = (ObjectNode) CarryModels.JSON.readTree(lora.resolve(f[0]).toFile());
            ObjectNode after = (ObjectNode) CarryModels.JSON.readTree(out.resolve(f[0]).toFile());
            assertEquals(b.toString(), after.get(f[1]).asText(), f[0]);
            before.remove(f[1]);
            after.remove(f[1]);
            assertEquals(before, after, f[0] + " is unchanged apart from the base");
        }
        JsonNode prov = CarryModels.JSON.readTree(out.resolve(Provenance.FILE).toFile());
        assertEquals("carried-adapter", prov.get("kind").asText());
        assertEquals(b.toString(), prov.at("/base_model/id").asText());
        String shaA = Provenance.sha256(a.resolve("model.safetensors"));
        String shaB = Provenance.sha256(b.resolve("model.safetensors"));
        assertEquals(shaB, prov.at("/base_model/weights_sha256").asText());
        assertEquals(shaA, prov.at("/config/from/weights_sha256").asText());
        assertEquals(a.toString(), prov.at("/config/from/id").asText());
        assertEquals(shaB, prov.at("/config/to/weights_sha256").asText());
        assertTrue(prov.at("/config/source").asText().endsWith("lora"));
        assertEquals("adapter", prov.at("/source_provenance/kind").asText(), "the source's own record is kept");
        try (EncoderModel mb = EncoderModel.load(b.toString())) {
            assertTrue(RecordedBase.check(out, mb, RecordedBase.Policy.REFUSE).isEmpty(), "carried: B is its base");
            assertFalse(RecordedBase.check(lora, mb, RecordedBase.Policy.WARN).isEmpty(), "source: trained on A, not B");
        }
        assertThrows(GraftException.class, () -> Carry.of(lora).scale(0.5).run(b.toString(), dir.resolve("scaled")));
        GraftException notEmpty = assertThrows(GraftException.class, () -> Carry.of(lora).run(b.toString(), out));
        assertTrue(notEmpty.getMessage().contains("not empty"), notEmpty.getMessage());
    }

    /** Builds a base that differs from the standard tiny one as given, and returns the carry's refusal. */
    private String refusal(BertConfig config, Consumer<ObjectNode> tokenizer) {
        return refusal(config, tokenizer, dir.resolve("case"));
    }

    private String refusal(BertConfig config, Consumer<ObjectNode> tokenizer, Path dir) {
        Path a = CarryModels.base(dir.resolve("a"), 1);
        Path b = CarryModels.base(dir.resolve("other"), config, 2, 0.2, tokenizer);
        Path lora = CarryModels.adapter(a, "lora", Task.CLASSIFICATION, 5, dir.resolve("lora"));
        Path out = dir.resolve("out");
        GraftException e = assertThrows(GraftException.class, () -> Carry.of(lora).run(b.toString(), out));
        assertFalse(Files.exists(out), "nothing written");
        assertFalse(e.getMessage().contains("\n"), "one line");
        return e.getMessage();
    }

    @Test
    void refusesAnotherArchitectureNamingTheFirstConfigField() {
        int vocab = TinyBert.vocabulary().size();
        String m = refusal(BertConfig.tiny(vocab, 32, 3, 4, 64, 64), null);
        assertTrue(m.contains("config.json num_hidden_layers is 3 in ") && m.contains(", 2 in "), m);
        String ffn = refusal(BertConfig.tiny(vocab, 32, 2, 4, 128, 64), null, dir.resolve("ffn"));
        assertTrue(ffn.contains("config.json intermediate_size is 128"), ffn);
    }

    @Test
    void refusesOtherWeightShapesNamingTheTensorAndBothShapes() {
        BertConfig std = TinyBert.config();
        BertConfig types = new BertConfig(std.hiddenSize(), std.numHiddenLayers(), std.numAttentionHeads(), std.intermediateSize(),
                std.maxPositionEmbeddings(), 3, std.vocabSize(), std.layerNormEps(), std.hiddenAct(), std.padTokenId(),
                std.modelType(), std.architectures(), std.hiddenDropoutProb(), std.attentionDropoutProb());
        String m = refusal(types, null);
        assertTrue(m.contains("weight embeddings.token_type_embeddings.weight has shape [3, 32] in ") && m.contains("[2, 32] in "), m);
    }

    @Test
    void refusesAnotherVocabularyNamingTheToken() {
        // same size, two tokens swapped: only the vocabulary tells them apart
        String m = refusal(TinyBert.config(), t -> {
            ObjectNode v = (ObjectNode) t.path("model").path("vocab");
            int cat = v.get("cat").asInt();
            v.put("cat", v.get("dog").asInt());
            v.put("dog", cat);
        });
        assertTrue(m.contains("the vocabularies differ: token 'cat' is id "), m);
    }

    @Test
    void agreementIsOneOnAnIdenticalBaseAndLowerOnAnotherOne() throws Exception {
        Path a = CarryModels.base(dir.resolve("a"), 1);
        Path same = CarryModels.base(dir.resolve("same"), 1);
        Path other = CarryModels.base(dir.resolve("other"), 2);
        Path lora = CarryModels.adapter(a, "lora", Task.CLASSIFICATION, 5, dir.resolve("lora"));
        List<Example> texts = examples(40, 3);
        Carry.Report r = Carry.of(lora).texts(texts).run(same.toString(), dir.resolve("to-same"));
        assertEquals(Agreement.PREDICTIONS, r.agreement().measure());
        assertEquals(1.0, r.agreement().agreement());
        assertEquals(0.0, r.agreement().meanTotalVariation(), 1e-6);
        assertEquals(0.9, r.minAgreement());
        assertNull(r.warning());

        Carry.Report low = Carry.of(lora).texts(texts).minAgreement(0.999).run(other.toString(), dir.resolve("to-other"));
        assertTrue(low.agreement().meanTotalVariation() > 1e-3, low.agreement().describe());
        assertTrue(low.agreement().agreement() < 1.0, low.agreement().describe());
        assertNotNull(low.warning());
        assertTrue(low.warning().contains("graft distill"), low.warning());
        assertTrue(Files.exists(dir.resolve("to-other").resolve(AdapterFiles.WEIGHTS)), "a warning writes the output");
        JsonNode prov = CarryModels.JSON.readTree(dir.resolve("to-other").resolve(Provenance.FILE).toFile());
        assertEquals(low.agreement().agreement(), prov.at("/metrics/agreement/agreement").asDouble(), 1e-12);

        Path refused = dir.resolve("refused");
        GraftException e = assertThrows(GraftException.class, () -> Carry.of(lora).texts(texts).minAgreement(0.999)
                .requireAgreement(true).run(other.toString(), refused));
        assertTrue(e.getMessage().contains("nothing written"), e.getMessage());
        assertFalse(Files.exists(refused));
        try (var s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".refused")), "no temporary folder left");
        }
    }

    @Test
    void retrievalAdaptersAreComparedByEmbeddingCosine() {
        Path a = CarryModels.base(dir.resolve("a"), 1);
        Path same = CarryModels.base(dir.resolve("same"), 1);
        Path other = CarryModels.base(dir.resolve("other"), 2);
        Path lora = CarryModels.adapter(a, "lora", Task.RETRIEVAL, 5, dir.resolve("lora"));
        List<Example> texts = examples(30, 4);
        Agreement same1 = Carry.of(lora).texts(texts).run(same.toString(), dir.resolve("o1")).agreement();
        assertEquals(Agreement.EMBEDDINGS, same1.measure());
        assertEquals(1.0, same1.meanCosine(), 1e-5);
        assertEquals(1.0, same1.p5Cosine(), 1e-5);
        Carry.Report r = Carry.of(lora).texts(texts).run(other.toString(), dir.resolve("o2"));
        assertTrue(r.agreement().meanCosine() < 0.999, r.agreement().describe());
        assertTrue(r.agreement().p5Cosine() <= r.agreement().meanCosine());
        assertEquals(0.95, r.minAgreement());
    }

    @Test
    void loadingOntoAnotherBaseWarnsAndStrictRefuses() {
        Path a = CarryModels.base(dir.resolve("a"), 1);
        Path b = CarryModels.base(dir.resolve("b"), 2);
        Path lora = CarryModels.adapter(a, "lora", Task.CLASSIFICATION, 5, dir.resolve("lora"));
        String shaA = Provenance.sha256(a.resolve("model.safetensors"));
        String shaB = Provenance.sha256(b.resolve("model.safetensors"));
        try (EncoderModel mb = EncoderModel.load(b.toString())) {
            String w = RecordedBase.check(lora, mb, RecordedBase.Policy.WARN).orElseThrow();
            assertTrue(w.contains("'" + a + "' (weights sha256 " + shaA.substring(0, 12)) && w.contains("'" + b + "' (weights sha256 "
                    + shaB.substring(0, 12)) && w.contains("--strict"), w);
            assertFalse(w.contains("\n"));
            try (TaskModel m = TaskModelFiles.load(mb, lora, null, RecordedBase.Policy.WARN)) {
                assertEquals(4, m.labels().names().size(), "a warning still loads it");
            }
            GraftException e = assertThrows(GraftException.class, () -> TaskModelFiles.load(mb, lora, null, RecordedBase.Policy.REFUSE));
            assertTrue(e.getMessage().contains("trained on base '" + a + "'"), e.getMessage());
            RecordedBase.defaultPolicy(RecordedBase.Policy.REFUSE);
            try {
                assertThrows(GraftException.class, () -> TaskModelFiles.load(mb, lora));
            } finally {
                RecordedBase.defaultPolicy(RecordedBase.Policy.WARN);
            }
        }
        try (EncoderModel ma = EncoderModel.load(a.toString()); TaskModel m = TaskModelFiles.load(ma, lora, null, RecordedBase.Policy.REFUSE)) {
            assertEquals(Task.CLASSIFICATION, m.task(), "its own base loads it, strict or not");
        }
        // an adapter that records only a name (PEFT's, or one built in memory): compared by name
        try (EncoderModel mb = EncoderModel.load(b.toString())) {
            Path named = dir.resolve("named");
            Map<String, Object> none = Map.of();
            assertTrue(RecordedBase.check(named, mb.info().id(), null, () -> "unknown", RecordedBase.Policy.WARN).isEmpty(),
                    "nothing recorded, nothing to say: " + none);
        }
    }

    @Test
    void modelDirectoriesCarryByFineTuningTransfer() throws Exception {
        Path a = CarryModels.base(dir.resolve("a"), 1);
        Path b = CarryModels.base(dir.resolve("b"), 2);
        Path aft = CarryModels.base(dir.resolve("aft"), 1);
        // a "fine-tuned" model directory: A with one weight moved, recording A as its base
        Path w = aft.resolve("model.safetensors");
        String name;
        try (SafetensorsFile f = SafetensorsFile.open(w)) {
            name = f.names().stream().filter(n -> n.endsWith("attention.self.query.weight")).findFirst().orElseThrow();
        }
        dev.graft.io.safetensors.SafetensorsWriter writer = new dev.graft.io.safetensors.SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(w)) {
            for (String n : f.names()) {
                float[] v = f.readFloats(n);
                if (n.equals(name)) {
                    v[0] += 1f;
                }
                writer.addFloats(n, f.shape(n), v);
            }
        }
        writer.write(w);
        Provenance.write(aft, Provenance.create("merged-model", a.toString(), Provenance.sha256(a.resolve("model.safetensors")),
                Map.of(), Map.of(), 0, Map.of()));
        Carry.Report r = Carry.of(aft).texts(examples(10, 1)).run(b.toString(), dir.resolve("out"));
        assertEquals(Carry.Kind.MODEL, r.kind());
        assertEquals(a.toString(), r.from());
        assertEquals(Agreement.EMBEDDINGS, r.agreement().measure());
        try (SafetensorsFile fa = SafetensorsFile.open(a.resolve("model.safetensors"));
             SafetensorsFile fb = SafetensorsFile.open(b.resolve("model.safetensors"));
             SafetensorsFile fo = SafetensorsFile.open(dir.resolve("out").resolve("model.safetensors"))) {
            float[] got = fo.readFloats(name);
            float[] vb = fb.readFloats(name);
            assertEquals(vb[0] + 1f, got[0], 1e-6f);
            assertEquals(vb[1], got[1], 1e-6f);
            String other = fa.names().stream().filter(n -> n.endsWith("intermediate.dense.weight")).findFirst().orElseThrow();
            assertArrayEquals(fb.readFloats(other), fo.readFloats(other), 1e-6f, "unchanged weights become B's");
        }
        assertTrue(Files.isRegularFile(dir.resolve("out").resolve("tokenizer.json")));
    }
}

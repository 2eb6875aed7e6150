package dev.graft.carry;

import ai.djl.nn.Parameter;
import dev.graft.GraftException;
import dev.graft.io.FloatFormats;
import dev.graft.io.safetensors.DType;
import dev.graft.io.safetensors.SafetensorsFile;
import dev.graft.io.safetensors.SafetensorsStore;
import dev.graft.io.safetensors.SafetensorsWriter;
import dev.graft.io.safetensors.TensorInfo;
import dev.graft.io.TensorSource;
import dev.graft.peft.AdapterFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Fine-tuning transfer (Lin et al. 2025, "Efficient Model Development through Fine-tuning Transfer"): the change
 * fine-tuning made to base A, the diff vector Δ = A_ft − A, is added to base B: θ_B' = B + s·Δ, tensor by tensor. For
 * whatever stores whole weights: a full fine-tuning adapter (graft tune --method full: every encoder weight but the
 * pooler in {@code adapter_model.safetensors}) and a model directory (graft merge, graft export --merge). Tensors that
 * are not weights of A (the task head, position ids) are copied as they are. Streamed: one tensor of each model in
 * memory at a time, written in the source tensor's float type.
 */
public final class FineTuningTransfer implements CarryStrategy {
    @Override
    public String name() {
        return "fine-tuning-transfer";
    }

    @Override
    public String reference() {
        return "https://arxiv.org/abs/2503.20110";
    }

    @Override
    public int write(Input in, Path out) throws IOException {
        Map<String, Parameter> a = in.from().namedParameters();
        Map<String, Parameter> b = in.to().namedParameters();
        if (in.kind() == Carry.Kind.ADAPTER) {
            CarryFiles.copyRebased(in.source(), out, in.to(), in.toId(), Set.of(AdapterFiles.WEIGHTS));
            Path weights = in.source().resolve(AdapterFiles.WEIGHTS);
            try (SafetensorsFile f = SafetensorsFile.open(weights)) {
                return transfer(f, f::info, f.metadata(), weights, FineTuningTransfer::adapterName, a, b, in.scale(),
                        out.resolve(AdapterFiles.WEIGHTS));
            }
        }
        try (SafetensorsStore store = SafetensorsStore.open(in.source())) {
            Set<String> skip = new java.util.HashSet<>(Set.of(SafetensorsStore.SINGLE, SafetensorsStore.INDEX));
            store.files().forEach(p -> skip.add(p.getFileName().toString()));
            CarryFiles.copyRebased(in.source(), out, in.to(), in.toId(), skip);
            return transfer(store, store::info, store.metadata(), in.source(), n -> a.containsKey(n) ? n
                            : n.startsWith("bert.") && a.containsKey(n.substring(5)) ? n.substring(5) : null,
                    a, b, in.scale(), out.resolve(SafetensorsStore.SINGLE));
        }
    }

    /** A full fine-tuning adapter's tensor name to the encoder parameter it replaces; null for the head. */
    private static String adapterName(String saved) {
        String k = saved.startsWith("base_model.model.") ? saved.substring("base_model.model.".length()) : saved;
        if (k.startsWith(AdapterFiles.HEAD + ".")) {
            return null;
        }
        return k.startsWith("bert.") ? k.substring(5) : k;
    }

    /**
     * Writes every tensor of {@code source} to {@code target}: B + s·(A_ft − A) for weights of A, as it is otherwise.
     *
     * @param param source tensor name to A's parameter name, or null for a tensor that is not one
     * @return how many tensors were transferred
     */
    private static int transfer(TensorSource source, Function<String, TensorInfo> infos, Map<String, String> metadata,
                                Path what, Function<String, String> param, Map<String, Parameter> a,
                                Map<String, Parameter> b, double scale, Path target) {
        SafetensorsWriter w = new SafetensorsWriter().metadata(metadata);
        int transferred = 0;
        for (String name : source.names()) {
            TensorInfo info = infos.apply(name);
            String p = param.apply(name);
            boolean isFloat = info.dtype() == DType.F32 || info.dtype() == DType.F16 || info.dtype() == DType.BF16
                    || info.dtype() == DType.F64;
            if (p == null || !a.containsKey(p) || !isFloat) {
                w.addBytes(name, info.dtype(), info.shape(), source instanceof SafetensorsFile f ? f.buffer(name)
                        : ((SafetensorsStore) source).buffer(name));
                continue;
            }
            Parameter pa = a.get(p);
            Parameter pb = b.get(p);
            long n = pa.getArray().size();
            if (info.elementCount() != n || pb == null || pb.getArray().size() != n) {
                throw new GraftException(what + ": tensor '" + name + "' has shape " + Arrays.toString(info.shape())
                        + " but the base's weight '" + p + "' has " + pa.getArray().getShape());
            }
            DType dtype = info.dtype() == DType.F64 ? DType.F32 : info.dtype();
            transferred++;
            w.add(name, dtype, info.shape(), n * dtype.size(), ch -> {
                float[] ft = source.readFloats(name);
                float[] va = pa.getArray().toFloatArray();
                float[] vb = pb.getArray().toFloatArray();
                write(ch, apply(vb, ft, va, scale), dtype);
            });
        }
        w.write(target);
        return transferred;
    }

    /**
     * θ = B + s·(A_ft − A), element-wise (the arrays are flattened tensors of one shape).
     *
     * @param base      B [n]
     * @param finetuned A_ft [n]
     * @param original  A [n]
     * @return a new array [n]
     */
    public static float[] apply(float[] base, float[] finetuned, float[] original, double scale) {
        float[] out = new float[base.length];
        float s = (float) scale;
        for (int i = 0; i < out.length; i++) {
            out[i] = base[i] + s * (finetuned[i] - original[i]);
        }
        return out;
    }

    private static void write(FileChannel ch, float[] v, DType dtype) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(v.length * dtype.size()).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> buf.asFloatBuffer().put(v);
            case F16 -> {
                for (float x : v) {
                    buf.putShort(FloatFormats.floatToHalf(x));
                }
            }
            default -> {
                for (float x : v) {
                    buf.putShort(FloatFormats.floatToBf16(x));
                }
            }
        }
        buf.rewind();
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}

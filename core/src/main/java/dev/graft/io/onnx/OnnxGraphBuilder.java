package dev.graft.io.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An ONNX inference graph under construction: inputs, initializers (weights), nodes in topological order and outputs.
 * {@link OnnxModelWriter} encodes it. Node helpers return the name of the value they produce; names are made unique
 * with the current {@linkplain #scope(String) scope} as prefix, so that a graph reads like the model's module tree
 * ({@code encoder.layer.0.attention.self/MatMul_3}).
 *
 * <p>The helpers use the default ONNX domain; {@link #OPSET} is the operator set they are written against. A node of
 * ONNX Runtime's {@link #MICROSOFT} domain ({@link #contribOp}) makes the writer import that domain too.
 */
public final class OnnxGraphBuilder {
    /** The ONNX operator set the graph imports (17: LayerNormalization is a standard operator from 17 on). */
    public static final int OPSET = 17;
    /** Element type codes of {@code TensorProto.DataType}. */
    public static final int FLOAT = OnnxTensor.FLOAT, INT64 = OnnxTensor.INT64, INT8 = OnnxTensor.INT8,
            UINT8 = OnnxTensor.UINT8, INT32 = OnnxTensor.INT32;

    /**
     * A graph input or output: its element type and dimensions, each a {@code Long} (fixed) or {@code String}
     * (symbolic); {@code dims} null leaves the shape unstated (an output for inspection).
     */
    public record ValueInfo(String name, int elemType, List<Object> dims) {
    }

    /** A weight or constant stored in the file; {@code data} is little-endian, row-major. */
    public record Initializer(String name, int dataType, long[] dims, ByteBuffer data) {
    }

    /** One operator application; {@code domain} is "" for the default ONNX domain. */
    public record Node(String name, String opType, List<String> inputs, List<String> outputs, List<Attribute> attributes,
                       String domain) {
        public Node(String name, String opType, List<String> inputs, List<String> outputs, List<Attribute> attributes) {
            this(name, opType, inputs, outputs, attributes, "");
        }
    }

    /** ONNX Runtime's contrib operator domain (version 1), e.g. {@code DynamicQuantizeMatMul}. */
    public static final String MICROSOFT = "com.microsoft";

    /** A node attribute: exactly one of the value fields is used, as {@code type} says (AttributeProto's types). */
    public record Attribute(String name, int type, long i, float f, String s, long[] ints, float[] floats) {
        static final int FLOAT_TYPE = 1, INT_TYPE = 2, STRING_TYPE = 3, FLOATS_TYPE = 6, INTS_TYPE = 7;

        public static Attribute of(String name, long value) {
            return new Attribute(name, INT_TYPE, value, 0, null, null, null);
        }

        public static Attribute of(String name, float value) {
            return new Attribute(name, FLOAT_TYPE, 0, value, null, null, null);
        }

        public static Attribute of(String name, String value) {
            return new Attribute(name, STRING_TYPE, 0, 0, value, null, null);
        }

        public static Attribute ints(String name, long... values) {
            return new Attribute(name, INTS_TYPE, 0, 0, null, values.clone(), null);
        }
    }

    private final List<ValueInfo> inputs = new ArrayList<>();
    private final List<ValueInfo> outputs = new ArrayList<>();
    private final List<Initializer> initializers = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private final List<String> scopes = new ArrayList<>();
    private long initializerBytes;

    /**
     * Declares a graph input.
     *
     * @param dims each a {@code Long} (fixed size) or a {@code String} (a named dynamic axis, e.g. "batch")
     */
    public String input(String name, int elemType, Object... dims) {
        claim(name);
        inputs.add(new ValueInfo(name, elemType, List.of(dims)));
        return name;
    }

    /**
     * Declares {@code value} a graph output under {@code name} (an Identity node renames it when the names differ).
     *
     * @return the output's name
     */
    public String output(String value, String name, int elemType, Object... dims) {
        if (!value.equals(name)) {
            claim(name);
            nodes.add(new Node(unique("Identity"), "Identity", List.of(value), List.of(name), List.of()));
        }
        outputs.add(new ValueInfo(name, elemType, List.of(dims)));
        return name;
    }

    /** Enters a naming scope (e.g. a module path); close the returned handle to leave it. */
    public Scope scope(String name) {
        scopes.add(name);
        return () -> scopes.remove(scopes.size() - 1);
    }

    /** A naming scope; closing it restores the enclosing one. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Adds a float initializer (a weight), copying {@code values}.
     *
     * @param name a readable name (an HF parameter name, say); made unique if taken
     * @return its name in the graph
     */
    public String weight(String name, float[] values, long... dims) {
        checkCount(name, values.length, dims);
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return initializer(name, FLOAT, dims, b);
    }

    /** Adds an int64 initializer. */
    public String longs(String name, long[] values, long... dims) {
        checkCount(name, values.length, dims);
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return initializer(name, INT64, dims, b);
    }

    /** Adds an initializer of any element type from raw little-endian bytes (not copied). */
    public String initializer(String name, int dataType, long[] dims, ByteBuffer data) {
        String n = uniqueExact(name);
        initializers.add(new Initializer(n, dataType, dims.clone(), data.duplicate().order(ByteOrder.LITTLE_ENDIAN)));
        initializerBytes += data.remaining();
        return n;
    }

    /** A 1-D int64 constant, e.g. a shape or an axes list. */
    public String ints(long... values) {
        return longs(scoped("const"), values, values.length);
    }

    /** A float scalar constant (rank 0, broadcasts against anything). */
    public String scalar(float value) {
        return weight(scoped("const"), new float[] {value});
    }

    /**
     * Adds a node with one output.
     *
     * @return the output's name
     */
    public String op(String opType, List<String> in, Attribute... attributes) {
        return op(opType, in, 1, attributes).get(0);
    }

    /** Adds a node with {@code outputs} outputs and returns their names. */
    public List<String> op(String opType, List<String> in, int outputs, Attribute... attributes) {
        String node = unique(opType);
        List<String> out = new ArrayList<>(outputs);
        for (int i = 0; i < outputs; i++) {
            if (outputs == 1) {
                out.add(node); // the node's name, already unique, names its only output
            } else {
                out.add(node + ":" + i);
                claim(out.get(i));
            }
        }
        nodes.add(new Node(node, opType, List.copyOf(in), out, List.of(attributes)));
        return out;
    }

    /**
     * Adds a node of ONNX Runtime's {@link #MICROSOFT} domain with one output (runs in ONNX Runtime only).
     *
     * @return the output's name
     */
    public String contribOp(String opType, List<String> in, Attribute... attributes) {
        String node = unique(opType);
        nodes.add(new Node(node, opType, List.copyOf(in), List.of(node), List.of(attributes), MICROSOFT));
        return node;
    }

    /**
     * Copies a node of another graph verbatim (names included), for passes that rewrite a graph into a new builder.
     */
    public void copy(Node n) {
        names.add(n.name());
        names.addAll(n.outputs());
        nodes.add(n);
    }

    /** Copies an initializer of another graph under its own name (which {@link #reserve} may already hold). */
    public void copyInitializer(Initializer t) {
        names.add(t.name());
        initializers.add(t);
        initializerBytes += t.data().remaining();
    }

    /** Copies a graph input of another graph. */
    public void copyInput(ValueInfo v) {
        claim(v.name());
        inputs.add(v);
    }

    /** Copies a graph output of another graph (its value must be produced by a copied or new node). */
    public void copyOutput(ValueInfo v) {
        outputs.add(v);
    }

    /** Marks a name as taken, so that new names made by {@link #unique} avoid it. */
    public void reserve(String name) {
        names.add(name);
    }

    /** Whether any node belongs to {@link #MICROSOFT}. */
    public boolean usesContribOps() {
        return nodes.stream().anyMatch(n -> MICROSOFT.equals(n.domain()));
    }

    /** Adds a node with one input and one output. */
    public String op(String opType, String in, Attribute... attributes) {
        return op(opType, List.of(in), attributes);
    }

    public String add(String a, String b) {
        return op("Add", List.of(a, b));
    }

    public String sub(String a, String b) {
        return op("Sub", List.of(a, b));
    }

    public String mul(String a, String b) {
        return op("Mul", List.of(a, b));
    }

    public String div(String a, String b) {
        return op("Div", List.of(a, b));
    }

    public String matMul(String a, String b) {
        return op("MatMul", List.of(a, b));
    }

    /** Reshape to {@code shape}; 0 copies the input's dimension, -1 is inferred. */
    public String reshape(String x, long... shape) {
        return op("Reshape", List.of(x, ints(shape)));
    }

    public String transpose(String x, long... perm) {
        return op("Transpose", x, Attribute.ints("perm", perm));
    }

    public String softmax(String x, long axis) {
        return op("Softmax", x, Attribute.of("axis", axis));
    }

    public String unsqueeze(String x, long... axes) {
        return op("Unsqueeze", List.of(x, ints(axes)));
    }

    public String concat(long axis, String... parts) {
        return op("Concat", List.of(parts), Attribute.of("axis", axis));
    }

    /** ReduceSum over {@code axes} (opset 13+: the axes are an input). */
    public String reduceSum(String x, boolean keepDims, long... axes) {
        return op("ReduceSum", List.of(x, ints(axes)), Attribute.of("keepdims", keepDims ? 1L : 0L));
    }

    /** Elements {@code [start, end)} of {@code axis} (end may be {@link Long#MAX_VALUE} for "to the end"). */
    public String slice(String x, long axis, long start, long end) {
        return op("Slice", List.of(x, ints(start), ints(end), ints(axis)));
    }

    public String cast(String x, int to) {
        return op("Cast", x, Attribute.of("to", (long) to));
    }

    /** LayerNormalization over the last axis (opset 17). */
    public String layerNorm(String x, String scale, String bias, float epsilon) {
        return op("LayerNormalization", List.of(x, scale, bias), Attribute.of("axis", -1L), Attribute.of("epsilon", epsilon));
    }

    /** The exact GELU, {@code 0.5·x·(1 + erf(x/√2))}, as PyTorch's and HF's {@code gelu}. */
    public String geluErf(String x) {
        String e = op("Erf", mul(x, scalar((float) (1 / Math.sqrt(2)))));
        return mul(mul(x, add(e, scalar(1f))), scalar(0.5f));
    }

    /** The tanh approximation of GELU, {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}. */
    public String geluTanh(String x) {
        String cube = mul(mul(x, x), x);
        String inner = mul(add(x, mul(cube, scalar(0.044715f))), scalar((float) Math.sqrt(2 / Math.PI)));
        return mul(mul(add(op("Tanh", inner), scalar(1f)), x), scalar(0.5f));
    }

    /** SiLU / swish, {@code x·sigmoid(x)}. */
    public String silu(String x) {
        return mul(x, op("Sigmoid", x));
    }

    /**
     * The batch size of {@code value} as a 1-D int64 tensor of one element (for Expand targets).
     *
     * @param value any tensor whose first axis is the batch
     */
    public String batchDim(String value) {
        return op("Shape", value, Attribute.of("start", 0L), Attribute.of("end", 1L));
    }

    /** A fresh value or node name under the current scope. */
    public String unique(String hint) {
        String base = scoped(hint);
        String n = base;
        for (int i = 1; names.contains(n); i++) {
            n = base + "_" + i;
        }
        names.add(n);
        return n;
    }

    private String uniqueExact(String name) {
        String n = name;
        for (int i = 1; names.contains(n); i++) {
            n = name + "_" + i;
        }
        names.add(n);
        return n;
    }

    private String scoped(String hint) {
        return scopes.isEmpty() ? hint : String.join(".", scopes) + "/" + hint;
    }

    private void claim(String name) {
        if (!names.add(name)) {
            throw new IllegalArgumentException("ONNX value name '" + name + "' is used twice");
        }
    }

    private static void checkCount(String name, int count, long[] dims) {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        if (n != count) {
            throw new IllegalArgumentException("initializer '" + name + "': " + count + " values for shape " + Arrays.toString(dims));
        }
    }

    public List<ValueInfo> inputs() {
        return List.copyOf(inputs);
    }

    public List<ValueInfo> outputs() {
        return List.copyOf(outputs);
    }

    public List<Initializer> initializers() {
        return List.copyOf(initializers);
    }

    public List<Node> nodes() {
        return List.copyOf(nodes);
    }

    /** Bytes of initializer data so far. */
    public long initializerBytes() {
        return initializerBytes;
    }
}

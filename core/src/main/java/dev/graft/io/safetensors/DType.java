package dev.graft.io.safetensors;

import java.util.Locale;

/** Element types of the safetensors format, by their header code. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    private final int size;

    DType(int size) {
        this.size = size;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    /** The header code, e.g. "F32". */
    public String code() {
        return name();
    }

    /** Parses a header code; null if unknown. */
    public static DType fromCode(String code) {
        try {
            return valueOf(code.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}

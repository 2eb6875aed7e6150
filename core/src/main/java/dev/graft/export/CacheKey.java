package dev.graft.export;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * A SHA-256 over everything an exported graph depends on: texts (ids, configs) and tensors (name, shape, type and
 * bytes). Each part is length-prefixed so that no two different sequences of parts hash alike.
 */
final class CacheKey {
    private final MessageDigest digest;

    CacheKey() {
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has SHA-256
        }
    }

    CacheKey text(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        digest.update(Integer.toString(b.length).getBytes(StandardCharsets.US_ASCII));
        digest.update((byte) ':');
        digest.update(b);
        return this;
    }

    /** Parameters in name order (map order must not change the key). */
    CacheKey tensors(Map<String, Parameter> parameters) {
        for (Map.Entry<String, Parameter> p : new TreeMap<>(parameters).entrySet()) {
            NDArray a = p.getValue().getArray();
            text(p.getKey()).text(a.getShape().toString()).text(a.getDataType().toString());
            digest.update(a.toByteArray());
        }
        return this;
    }

    /** The key, as 64 hex digits. */
    String hex() {
        return HexFormat.of().formatHex(digest.digest());
    }
}

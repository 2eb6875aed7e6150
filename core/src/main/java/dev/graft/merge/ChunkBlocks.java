package dev.graft.merge;

import dev.graft.io.safetensors.FloatRange;
import dev.graft.io.safetensors.SafetensorsStore;
import java.util.ArrayList;
import java.util.List;

/**
 * One chunk of a tensor, mapped from the base and every model and decoded {@link #BLOCK} elements at a time into this
 * thread's buffers (and each model's Fisher, for the methods that need one): each block is converted, merged and encoded while it is still in the CPU cache, instead of whole
 * chunks of float32 (4 MiB per input) making a round trip through main memory between steps. Close to unmap.
 */
final class ChunkBlocks implements AutoCloseable {
    /** Elements per block: (models + 1) float blocks and the merge kernel's scratch fit in L2. */
    static final int BLOCK = 8192;

    private static final ThreadLocal<float[][]> BUFFERS = new ThreadLocal<>();

    private final FloatRange base;
    private final FloatRange[] models;
    private final FloatRange[] fishers; // null entries: no Fisher for this tensor
    private final int len;
    /** The current block of the base (null without one) and of each model; valid up to the count read returned. */
    final float[] baseBlock;
    final List<float[]> modelBlocks;
    /** The current block of each model's Fisher (null entries where a file lacks the tensor), or null without Fishers. */
    final List<float[]> fisherBlocks;

    /**
     * Maps elements [from, from + len) of tensor {@code name} in base (may be null), every model, and every Fisher
     * file ({@code fishers} may be null).
     */
    ChunkBlocks(SafetensorsStore base, List<SafetensorsStore> models, List<SafetensorsStore> fishers, String name, long from, int len) {
        this.len = len;
        int k = models.size();
        this.models = new FloatRange[k];
        this.fishers = fishers == null ? new FloatRange[0] : new FloatRange[k];
        FloatRange b = null;
        try {
            b = base == null ? null : base.mapFloats(name, from, len);
            for (int i = 0; i < k; i++) {
                this.models[i] = models.get(i).mapFloats(name, from, len);
            }
            for (int i = 0; i < this.fishers.length; i++) {
                SafetensorsStore f = fishers.get(i);
                this.fishers[i] = f.names().contains(name) ? f.mapFloats(name, from, len) : null;
            }
        } catch (RuntimeException e) {
            if (b != null) {
                b.close();
            }
            closeAll(this.models);
            closeAll(this.fishers);
            throw e;
        }
        this.base = b;
        int slots = 1 + k + this.fishers.length;
        float[][] bufs = BUFFERS.get();
        if (bufs == null || bufs.length < slots) {
            bufs = new float[slots][BLOCK];
            BUFFERS.set(bufs);
        }
        this.baseBlock = base == null ? null : bufs[k];
        this.modelBlocks = new ArrayList<>(k);
        for (int i = 0; i < k; i++) {
            modelBlocks.add(bufs[i]);
        }
        this.fisherBlocks = fishers == null ? null : new ArrayList<>(k);
        for (int i = 0; i < this.fishers.length; i++) {
            fisherBlocks.add(this.fishers[i] == null ? null : bufs[k + 1 + i]);
        }
    }

    private static void closeAll(FloatRange[] ranges) {
        for (FloatRange r : ranges) {
            if (r != null) {
                r.close();
            }
        }
    }

    /** Decodes the block starting at element {@code offset} of the chunk; returns its length. */
    int read(int offset) {
        int n = Math.min(BLOCK, len - offset);
        if (base != null) {
            base.read(offset, baseBlock, n);
        }
        for (int i = 0; i < models.length; i++) {
            models[i].read(offset, modelBlocks.get(i), n);
        }
        for (int i = 0; i < fishers.length; i++) {
            if (fishers[i] != null) {
                fishers[i].read(offset, fisherBlocks.get(i), n);
            }
        }
        return n;
    }

    @Override
    public void close() {
        if (base != null) {
            base.close();
        }
        closeAll(models);
        closeAll(fishers);
    }
}

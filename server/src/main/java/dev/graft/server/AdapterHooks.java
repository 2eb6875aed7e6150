package dev.graft.server;

import dev.graft.model.Encoder;
import dev.graft.model.bert.BertModel;
import dev.graft.model.bert.BertSelfAttention;
import dev.graft.model.nn.AttentionHook;
import dev.graft.model.nn.HfLinear;
import dev.graft.model.nn.HfModule;
import dev.graft.model.nn.InputHook;
import dev.graft.model.nn.LinearHook;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The hooks one adapter installed on the shared base encoder, so that many adapters can be loaded onto ONE base and
 * switched between batches: loading a PEFT method installs its hooks on the encoder's layers (LoRA and (IA)³ on dense
 * layers, prefix tuning on attention, prompt tuning on the input); with two adapters loaded both would act at once.
 * The server captures each adapter's hooks right after loading it ({@link #capture} before and after), takes them off
 * ({@link #detach}) and puts them back only around that adapter's batches ({@link #attach}): at rest the base encoder
 * carries no hook and computes the base model.
 *
 * <p>Mixed-adapter batches (Punica/S-LoRA: one base matmul for all rows, a per-row low-rank term) would replace this
 * switch with a hook that gathers each row's adapter; see {@link BatchScheduler}.
 */
final class AdapterHooks {
    private final Map<HfLinear, List<LinearHook>> linear;
    private final Map<BertSelfAttention, List<AttentionHook>> attention;
    private final BertModel inputOwner;
    private final InputHook input;

    private AdapterHooks(Map<HfLinear, List<LinearHook>> linear, Map<BertSelfAttention, List<AttentionHook>> attention,
                         BertModel inputOwner, InputHook input) {
        this.linear = linear;
        this.attention = attention;
        this.inputOwner = inputOwner;
        this.input = input;
    }

    /** Every hook installed on {@code encoder} now. */
    static AdapterHooks capture(Encoder encoder) {
        Map<HfLinear, List<LinearHook>> linear = new LinkedHashMap<>();
        Map<BertSelfAttention, List<AttentionHook>> attention = new LinkedHashMap<>();
        for (HfModule m : encoder.namedModules().values()) {
            if (m instanceof HfLinear l && !l.hooks().isEmpty()) {
                linear.put(l, l.hooks());
            } else if (m instanceof BertSelfAttention a && !a.hooks().isEmpty()) {
                attention.put(a, a.hooks());
            }
        }
        BertModel owner = encoder instanceof BertModel b ? b : null;
        return new AdapterHooks(linear, attention, owner, owner == null ? null : owner.inputHook());
    }

    /** The hooks in {@code after} that were not in {@code before}: what one load installed. */
    static AdapterHooks added(AdapterHooks before, AdapterHooks after) {
        Map<HfLinear, List<LinearHook>> linear = new LinkedHashMap<>();
        after.linear.forEach((layer, hooks) -> {
            List<LinearHook> had = before.linear.getOrDefault(layer, List.of());
            List<LinearHook> fresh = new ArrayList<>();
            Map<Object, Boolean> old = new IdentityHashMap<>();
            had.forEach(h -> old.put(h, true));
            hooks.stream().filter(h -> !old.containsKey(h)).forEach(fresh::add);
            if (!fresh.isEmpty()) {
                linear.put(layer, fresh);
            }
        });
        Map<BertSelfAttention, List<AttentionHook>> attention = new LinkedHashMap<>();
        after.attention.forEach((layer, hooks) -> {
            List<AttentionHook> had = before.attention.getOrDefault(layer, List.of());
            List<AttentionHook> fresh = new ArrayList<>();
            Map<Object, Boolean> old = new IdentityHashMap<>();
            had.forEach(h -> old.put(h, true));
            hooks.stream().filter(h -> !old.containsKey(h)).forEach(fresh::add);
            if (!fresh.isEmpty()) {
                attention.put(layer, fresh);
            }
        });
        InputHook in = after.input != null && after.input != before.input ? after.input : null;
        return new AdapterHooks(linear, attention, after.inputOwner, in);
    }

    /** True when no hook is held (a head-only adapter, or LST, which runs its own forward pass). */
    boolean isEmpty() {
        return linear.isEmpty() && attention.isEmpty() && input == null;
    }

    /** Installs these hooks (after any already there). */
    void attach() {
        linear.forEach((layer, hooks) -> hooks.forEach(layer::addHook));
        attention.forEach((layer, hooks) -> hooks.forEach(layer::addHook));
        if (input != null) {
            inputOwner.setInputHook(input);
        }
    }

    /** Removes these hooks. */
    void detach() {
        linear.forEach((layer, hooks) -> hooks.forEach(layer::removeHook));
        attention.forEach((layer, hooks) -> hooks.forEach(layer::removeHook));
        if (input != null && inputOwner.inputHook() == input) {
            inputOwner.setInputHook(null);
        }
    }
}

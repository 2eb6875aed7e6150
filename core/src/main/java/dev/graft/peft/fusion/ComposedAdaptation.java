package dev.graft.peft.fusion;

import ai.djl.nn.Parameter;
import dev.graft.model.nn.HfLinear;
import dev.graft.peft.Adaptation;
import dev.graft.peft.adapter.BottleneckAdapter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Frozen source adapters and their combination installed on an encoder; closing removes the hooks. */
public final class ComposedAdaptation implements Adaptation {
    /** One adapter site: the dense layer, the sources' adapters there (in source order), the combination. */
    record Site(String path, HfLinear layer, List<BottleneckAdapter> sources, Combiner combiner) {
    }

    private final List<Site> sites;
    private final List<CompositionHook> hooks = new ArrayList<>();
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private boolean closed;

    ComposedAdaptation(List<Site> sites) {
        this.sites = List.copyOf(sites);
        for (Site s : this.sites) {
            CompositionHook hook = new CompositionHook(s.path(), s.sources(), s.combiner());
            s.layer().addHook(hook);
            hooks.add(hook);
            parameters.putAll(s.combiner().parameters());
        }
    }

    /** The combination parameters only (the sources are frozen and saved separately, in {@code sources/<i>/}). */
    @Override
    public Map<String, Parameter> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /** Number of adapter sites (layers × sites per layer). */
    public int siteCount() {
        return sites.size();
    }

    /** Sources and combinations write their own graph nodes. */
    @Override
    public boolean exportsToOnnx() {
        return true;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int i = 0; i < sites.size(); i++) {
            sites.get(i).layer().removeHook(hooks.get(i));
        }
    }
}

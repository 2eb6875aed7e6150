package dev.graft.merge;

import dev.graft.GraftException;
import dev.graft.merge.TaskArithmeticMerge.Sparsify;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** The merge methods by config name. Fixed at start-up. */
public final class MergeMethods {
    private static final String TA = "Ilharco et al., Editing Models with Task Arithmetic, ICLR 2023, arXiv:2212.04089";
    private static final String TIES = "Yadav et al., TIES-Merging, NeurIPS 2023, arXiv:2306.01708";
    private static final String DARE = "Yu et al., Language Models are Super Mario (DARE), ICML 2024, arXiv:2311.03099";
    private static final String CRUMBS = "Davari & Belilovsky, Model Breadcrumbs, ECCV 2024, arXiv:2312.06795";
    private static final Map<String, MergeMethod> METHODS = new LinkedHashMap<>();

    static {
        // normalize defaults as in mergekit: true for ties only
        add(new LinearMerge());
        add(new TaskArithmeticMerge("task_arithmetic", Sparsify.NONE, false, false, TA));
        add(new TaskArithmeticMerge("ties", Sparsify.MAGNITUDE, true, true, TIES));
        add(new TaskArithmeticMerge("dare_linear", Sparsify.RANDOM, false, false, DARE));
        add(new TaskArithmeticMerge("dare_ties", Sparsify.RANDOM, true, false, DARE + "; " + TIES));
        add(new TaskArithmeticMerge("magnitude_prune", Sparsify.MAGNITUDE, false, false, TA + " with magnitude pruning"));
        add(new TaskArithmeticMerge("breadcrumbs", Sparsify.BREADCRUMBS, false, false, CRUMBS));
        add(new TaskArithmeticMerge("breadcrumbs_ties", Sparsify.BREADCRUMBS, true, false, CRUMBS + "; " + TIES));
        add(new SlerpMerge());
        add(new FisherMerge());
        add(new PcbMerge());
        add(new LayerSwapMerge());
    }

    private MergeMethods() {
    }

    private static void add(MergeMethod m) {
        METHODS.put(m.name(), m);
    }

    /** All methods in registration order. */
    public static Map<String, MergeMethod> all() {
        return Collections.unmodifiableMap(METHODS);
    }

    /** A method by name; a one-line error listing the names otherwise. */
    public static MergeMethod byName(String name) {
        MergeMethod m = METHODS.get(name);
        if (m == null) {
            throw new GraftException("unknown merge method '" + name + "'; expected one of " + String.join(", ", METHODS.keySet()));
        }
        return m;
    }
}

package dev.graft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.peft.MethodOption;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgGroupSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The PEFT method flags of {@code graft tune} and {@code graft fuse}, generated from the options the registered methods
 * declare ({@link PeftMethod#options()}), plus the generic {@code --option KEY=VALUE}. A flag several methods declare
 * appears once, its help naming them. Only the flags given become method options, so each method's defaults apply
 * otherwise.
 */
final class MethodFlags implements CommandLine.IModelTransformer {
    static final String OPTION = "--option";

    /** As a command's model transformer: adds the flags. */
    @Override
    public CommandSpec transform(CommandSpec spec) {
        addTo(spec);
        return spec;
    }

    /** One flag and the methods that declare it. */
    private record Flag(MethodOption option, List<PeftMethod> methods) {
        OptionSpec spec() {
            OptionSpec.Builder b = OptionSpec.builder(option.flag()).description(description());
            String label = "<" + option.flag().substring(2) + ">";
            switch (option.kind()) {
                case INTEGER -> b.type(Integer.class).paramLabel(label);
                case NUMBER -> b.type(Double.class).paramLabel(label);
                case FLAG -> b.type(Boolean.class).arity("0");
                case TEXT -> b.type(String.class).paramLabel(label);
                case LIST -> b.type(List.class).auxiliaryTypes(String.class).splitRegex(",").paramLabel(label);
                default -> throw new IllegalStateException(option.kind().toString());
            }
            return b.build();
        }

        /** The first declaration's help, the methods, and each method's default where they differ. */
        String description() {
            StringBuilder sb = new StringBuilder(option.help()).append(" (")
                    .append(String.join(", ", methods.stream().map(PeftMethod::name).toList())).append(")");
            Map<String, String> defaults = new LinkedHashMap<>();
            methods.forEach(m -> declared(m).filter(o -> o.defaultValue() != null).ifPresent(o -> defaults.put(m.name(), o.defaultValue())));
            if (defaults.values().stream().distinct().count() == 1 && defaults.size() == methods.size()) {
                sb.append(" Default: ").append(defaults.values().iterator().next()).append('.');
            } else if (!defaults.isEmpty()) {
                List<String> each = new ArrayList<>();
                defaults.forEach((m, v) -> each.add(m + " " + v));
                sb.append(" Default: ").append(String.join("; ", each)).append('.');
            }
            return sb.toString();
        }

        java.util.Optional<MethodOption> declared(PeftMethod m) {
            return m.options().stream().filter(o -> o.flag().equals(option.flag())).findFirst();
        }
    }

    /** Every declared flag, in registry order, checked for agreement between the methods that share it. */
    private static List<Flag> flags() {
        Map<String, Flag> byFlag = new LinkedHashMap<>();
        for (PeftMethod m : PeftMethods.all()) {
            for (MethodOption o : m.options()) {
                Flag f = byFlag.computeIfAbsent(o.flag(), k -> new Flag(o, new ArrayList<>()));
                if (!f.option().key().equals(o.key()) || f.option().kind() != o.kind()) {
                    throw new GraftException("method option " + o.flag() + ": " + m.name() + " maps it to " + o.key() + " ("
                            + o.kind() + "), " + f.methods().get(0).name() + " to " + f.option().key() + " (" + f.option().kind() + ")");
                }
                f.methods().add(m);
            }
        }
        return List.copyOf(byFlag.values());
    }

    /** Adds the method flags to a command, under the heading "Method options". */
    static void addTo(CommandSpec spec) {
        ArgGroupSpec.Builder group = ArgGroupSpec.builder().exclusive(false).heading("Method options:%n");
        flags().forEach(f -> group.addArg(f.spec()));
        group.addArg(OptionSpec.builder(OPTION).paramLabel("KEY=VALUE").type(Map.class).auxiliaryTypes(String.class, String.class)
                .description("Any other adapter_config.json key of the method; VALUE is JSON or a string.").build());
        spec.addArgGroup(group.build());
    }

    /** The flags given on {@code spec}'s command line, as adapter_config.json keys. */
    static ObjectNode values(CommandSpec spec) {
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        for (Flag f : flags()) {
            Object v = spec.findOption(f.option().flag()).getValue();
            if (v != null) {
                c.set(f.option().key(), Output.JSON.valueToTree(v));
            }
        }
        Map<String, String> extra = spec.findOption(OPTION).getValue();
        if (extra != null) {
            extra.forEach((k, v) -> c.set(k, parse(k, v)));
        }
        return c;
    }

    private static JsonNode parse(String key, String value) {
        try {
            return Output.JSON.readTree(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return JsonNodeFactory.instance.textNode(value); // a bare word is a string
        } catch (RuntimeException e) {
            throw new GraftException("--option " + key + ": cannot parse '" + value + "'");
        }
    }
}

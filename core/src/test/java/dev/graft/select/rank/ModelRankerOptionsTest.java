package dev.graft.select.rank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.GraftException;
import dev.graft.model.Pooling;
import dev.graft.select.Estimators;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The options builder starts from graft rank's defaults and checks what it is given. */
class ModelRankerOptionsTest {
    @Test
    void defaultsAreTheCommandsAndSettersOverrideThem() {
        ModelRanker.Options d = ModelRanker.Options.builder().build();
        assertEquals(new ModelRanker.Options(Estimators.names(), false, 0, "logme", null, null), d);
        ModelRanker.Options o = ModelRanker.Options.builder().metrics("logme", "shrinkage-hscore").layers(true).teamSize(2)
                .teamMetric("hscore").pooling(Pooling.CLS).maxLength(64).build();
        assertEquals(List.of("logme", "shrinkage-hscore"), o.metrics());
        assertEquals(2, o.teamSize());
        assertEquals("hscore", o.teamMetric());
        assertEquals(Pooling.CLS, o.pooling());
        assertEquals(64, o.maxLength());
        assertNull(ModelRanker.Options.builder().maxLength(null).build().maxLength());
        GraftException bad = assertThrows(GraftException.class, () -> ModelRanker.Options.builder().metrics("logmee").build());
        assertTrue(bad.getMessage().contains("logmee"), bad.getMessage());
    }
}

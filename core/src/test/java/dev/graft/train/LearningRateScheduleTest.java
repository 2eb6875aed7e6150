package dev.graft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.testing.Fixtures;
import org.junit.jupiter.api.Test;

/**
 * {@link LearningRateSchedule} against Hugging Face's get_linear/cosine/constant_schedule_with_warmup, as driven by
 * {@code torch.optim.lr_scheduler.LambdaLR} ({@code fixtures/optim.json}, from {@code fixtures/optim_fixture.py}).
 */
class LearningRateScheduleTest {
    private static final JsonNode SCHEDULES = Fixtures.json("optim.json").get("schedules");

    @Test
    void withoutWarmUpEveryUpdateHasHuggingFacesRate() {
        int checked = 0;
        for (JsonNode c : SCHEDULES) {
            if (c.get("warmup").asLong() == 0) {
                LearningRateSchedule s = schedule(c, 0, c.get("total").asLong());
                double[] hf = Fixtures.doubles(c.get("lr"));
                for (int step = 0; step < hf.length; step++) {
                    assertEquals(hf[step], s.at(step), 1e-12 * c.get("peak").asDouble(), describe(c, step));
                }
                checked++;
            }
        }
        assertEquals(2, checked);
    }

    /**
     * Hugging Face spends the first update of a warm-up at rate 0; Graft does not. Graft's update s with warm-up w
     * and total T has the rate HF gives update s + 1 with warm-up w + 1 and total T + 1: the same ramp and the same
     * decay, without the update that changes nothing.
     */
    @Test
    void withWarmUpGraftIsHuggingFacesScheduleWithoutItsZeroRateFirstUpdate() {
        int checked = 0;
        for (JsonNode c : SCHEDULES) {
            long warmup = c.get("warmup").asLong();
            if (warmup > 0) {
                double[] hf = Fixtures.doubles(c.get("lr"));
                assertEquals(0.0, hf[0], describe(c, 0));
                LearningRateSchedule s = schedule(c, warmup - 1, c.get("total").asLong() - 1);
                for (int step = 0; step + 1 < hf.length; step++) {
                    assertEquals(hf[step + 1], s.at(step), 1e-12 * c.get("peak").asDouble(), describe(c, step + 1));
                }
                assertEquals(c.get("peak").asDouble(), s.at(warmup - 1), 1e-18, "warm-up reaches the peak");
                checked++;
            }
        }
        assertEquals(5, checked);
    }

    private static LearningRateSchedule schedule(JsonNode c, long warmup, long total) {
        return new LearningRateSchedule(LearningRateSchedule.Kind.parse(c.get("kind").asText()), c.get("peak").asDouble(),
                warmup, total);
    }

    private static String describe(JsonNode c, long step) {
        return c.get("kind").asText() + " warm-up " + c.get("warmup") + " total " + c.get("total") + " HF step " + step;
    }
}

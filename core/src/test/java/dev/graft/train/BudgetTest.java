package dev.graft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The budget rule: automatic (floor, cap, epochs in between), exact epochs, exact updates, and their eval and patience. */
class BudgetTest {
    private static final TrainingConfig AUTO = TrainingConfig.builder().batchSize(16).build();

    @Test
    void automaticBudgetHasAFloorForSmallDataACapForLargeAndEpochsInBetween() {
        Budget small = Budget.of(AUTO, 200); // 13 updates an epoch: 10 epochs would be 130
        assertEquals(Budget.FLOOR, small.updates());
        assertEquals(13, small.updatesPerEpoch());
        assertEquals(Budget.Rule.AUTO, small.rule());
        assertEquals(10 * 188, Budget.of(AUTO, 3_000).updates(), "188 updates an epoch, 10 epochs");
        assertEquals(Budget.CAP, Budget.of(AUTO, 20_000).updates());
        assertEquals(Budget.FLOOR / Budget.EVALUATIONS, small.evalEvery());
        assertEquals(Budget.PATIENCE, small.patience(), "an automatic budget stops early");
        assertEquals(Budget.MIN_EVAL_EVERY, Budget.of(AUTO.toBuilder().updates(40).build(), 200).evalEvery(),
                "evaluations are at least 10 updates apart");
    }

    @Test
    void epochsAndUpdatesAreExactAndDoNotStopEarlyUnlessAsked() {
        Budget epochs = Budget.of(AUTO.toBuilder().epochs(3).build(), 200);
        assertEquals(39, epochs.updates(), "exactly 3 epochs: no floor");
        assertEquals(Budget.Rule.EPOCHS, epochs.rule());
        assertEquals(0, epochs.evalEvery(), "each epoch");
        assertEquals(0, epochs.patience());
        assertEquals(30_000, Budget.of(AUTO.toBuilder().epochs(1).build(), 480_000).updates(), "no cap");
        Budget updates = Budget.of(AUTO.toBuilder().updates(50).epochs(3).build(), 200);
        assertEquals(50, updates.updates(), "--updates wins");
        assertEquals(Budget.Rule.UPDATES, updates.rule());
        assertEquals(0, updates.patience());
        assertEquals(Budget.MIN_EVAL_EVERY, updates.evalEvery());
    }

    @Test
    void givenIntervalAndPatienceOverrideTheBudgets() {
        Budget b = Budget.of(AUTO.toBuilder().evalEvery(7).patience(0).build(), 200);
        assertEquals(7, b.evalEvery());
        assertEquals(0, b.patience(), "--patience 0 turns early stopping off");
        assertEquals(2, Budget.of(AUTO.toBuilder().epochs(2).patience(2).build(), 200).patience());
    }

    @Test
    void aShortLastAccumulationGroupIsStillAnUpdate() {
        // 5 batches of 16, 2 per update: updates after batches 2, 4 and 5
        assertEquals(6, Budget.of(AUTO.toBuilder().epochs(2).accumulation(2).build(), 80).updates());
    }
}

package dev.tlab.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LossScalerTest {

    @Test
    void overflowSkipsTheStepAndHalvesTheScale() {
        LossScaler scaler = new LossScaler(1024, 3);
        assertFalse(scaler.update(Double.POSITIVE_INFINITY));
        assertFalse(scaler.update(Double.NaN));
        assertEquals(256, scaler.scale());
        assertEquals(2, scaler.skipped());
    }

    @Test
    void scaleDoublesAfterAnUnbrokenRunOfGoodSteps() {
        LossScaler scaler = new LossScaler(1024, 3);
        assertTrue(scaler.update(1.0));
        assertTrue(scaler.update(1.0));
        assertEquals(1024, scaler.scale());
        assertTrue(scaler.update(1.0));
        assertEquals(2048, scaler.scale());
        // an overflow restarts the count
        scaler.update(1.0);
        scaler.update(Double.POSITIVE_INFINITY);
        scaler.update(1.0);
        scaler.update(1.0);
        assertEquals(1024, scaler.scale());
        assertEquals(2, scaler.goodSteps());
    }
}

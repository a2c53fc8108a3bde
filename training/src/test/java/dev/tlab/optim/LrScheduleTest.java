package dev.tlab.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LrScheduleTest {

    private final LrSchedule schedule = new LrSchedule(1e-3, 1e-4, 100, 2000);

    @Test
    void warmsUpLinearly() {
        assertEquals(1e-3 * 1 / 101, schedule.at(0), 1e-12);
        assertEquals(1e-3 * 50 / 101, schedule.at(49), 1e-12);
        assertTrue(schedule.at(98) < schedule.at(99));
    }

    @Test
    void peaksAfterWarmup() {
        assertEquals(1e-3, schedule.at(100), 1e-12);
    }

    @Test
    void decaysAlongACosine() {
        // Halfway through the decay the cosine is at its midpoint.
        assertEquals(1e-4 + 0.5 * (1e-3 - 1e-4), schedule.at(1050), 1e-12);
        double quarter = 1e-4 + 0.5 * (1 + Math.cos(Math.PI * 0.25)) * (1e-3 - 1e-4);
        assertEquals(quarter, schedule.at(100 + 475), 1e-12);
        for (int step = 100; step < 2000; step++) {
            assertTrue(schedule.at(step + 1) <= schedule.at(step), "not monotone at " + step);
        }
    }

    @Test
    void staysAtTheFloor() {
        assertEquals(1e-4, schedule.at(2000), 1e-12);
        assertEquals(1e-4, schedule.at(5000), 1e-12);
    }
}

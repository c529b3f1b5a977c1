package org.lrn4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {
    @Test
    void warmsUpThenDecaysOnPlateauThenStops() {
        LearningRateSchedule s = new LearningRateSchedule(1.0, 4, 0.5, 2, 0.1, 5);
        assertEquals(0.25, s.rate(1));
        assertEquals(1.0, s.rate(4));
        assertEquals(1.0, s.rate(100));
        assertTrue(s.observe(10));
        assertTrue(s.observe(9));
        assertFalse(s.observe(9.5));
        assertEquals(1.0, s.rate(100));
        assertFalse(s.observe(9.1));  // second evaluation without improvement: decay
        assertEquals(0.5, s.rate(100));
        assertFalse(s.observe(9.2));
        assertFalse(s.observe(9.3));  // decay again
        assertEquals(0.25, s.rate(100));
        assertFalse(s.shouldStop());
        assertFalse(s.observe(9.4));  // fifth without improvement: stop
        assertTrue(s.shouldStop());
        assertTrue(s.observe(1));
        assertFalse(s.shouldStop());
    }

    @Test
    void neverBelowTheMinimumAndStateRoundTrips() {
        LearningRateSchedule s = new LearningRateSchedule(1.0, 0, 0.1, 1, 0.05, Integer.MAX_VALUE);
        s.observe(1);
        for (int i = 0; i < 5; i++) {
            s.observe(2);
        }
        assertEquals(0.05, s.rate(10));
        LearningRateSchedule t = new LearningRateSchedule(1.0, 0, 0.1, 1, 0.05, Integer.MAX_VALUE);
        var st = s.state();
        t.restore((Double) st.get("factor"), (Double) st.get("best"), (Integer) st.get("since_best"),
                (Integer) st.get("since_decay"));
        assertEquals(s.rate(10), t.rate(10));
        assertEquals(s.best(), t.best());
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new LearningRateSchedule(0, 0, 0.5, 1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new LearningRateSchedule(1, -1, 0.5, 1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new LearningRateSchedule(1, 0, 1.5, 1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new LearningRateSchedule(1, 0, 0.5, 0, 0, 1));
    }
}

package dockercoins.webui;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class SpeedometerTest {

    @Test
    void speedIsMeasuredBetweenAWorkersOwnReportsOverFiveSeconds() {
        Speedometer speedometer = new Speedometer();
        assertNull(speedometer.read("w", 10_000, 0), "one report says nothing about speed");
        assertNull(speedometer.read("w", 10_000, 0), "the same report read again neither");
        assertEquals(3.0, speedometer.read("w", 11_000, 3), 1e-9);
        // Polls that see the same report twice, or skip one, do not move the figure.
        assertEquals(3.0, speedometer.read("w", 11_000, 3), 1e-9);
        assertEquals(10.0 / 3, speedometer.read("w", 13_000, 10), 1e-9);
        for (int second = 14; second <= 30; second++) {
            speedometer.read("w", second * 1000L, 10 + (second - 13) * 4L);
        }
        assertEquals(4.0, speedometer.read("w", 30_000, 78), 1e-9);
        assertEquals(2.0, speedometer.read("w", 35_000, 88), 1e-9, "the last five seconds only");
    }

    @Test
    void aCountThatGoesBackOrAForgottenWorkerStartsAfresh() {
        Speedometer speedometer = new Speedometer();
        speedometer.read("w", 1_000, 100);
        assertEquals(3.0, speedometer.read("w", 2_000, 103), 1e-9);
        assertNull(speedometer.read("w", 3_000, 2), "Redis was flushed: no speed until the next report");
        assertEquals(4.0, speedometer.read("w", 4_000, 6), 1e-9);
        speedometer.keepOnly(Set.of());
        assertNull(speedometer.read("w", 5_000, 10));
    }

    @Test
    void aCountReadAtPollsIsMeasuredBetweenThePollsThatSawItMove() {
        // The original's worker: 17 hashes a second, no time of its own; our polls come every second as well.
        Speedometer speedometer = new Speedometer();
        assertNull(speedometer.readPolled("rest", 1_000, 0));
        assertEquals(17.0, speedometer.readPolled("rest", 2_000, 17), 1e-9);
        // A poll that comes just before the report sees nothing new, the next one sees two reports: still 17.
        assertEquals(17.0, speedometer.readPolled("rest", 3_000, 17), 1e-9);
        assertEquals(17.0, speedometer.readPolled("rest", 4_000, 51), 1e-9);
        // The workers stopped: once the count has stood still a while, the speed falls to 0.
        for (long at = 5_000; at <= 12_000; at += 1_000) {
            speedometer.readPolled("rest", at, 51);
        }
        assertEquals(0.0, speedometer.readPolled("rest", 13_000, 51), 1e-9);
    }
}

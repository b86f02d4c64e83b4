package dockercoins.webui;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Hashing speed from a running count read at known instants, over the last {@value #WINDOW_MS} ms.
 * A worker adds to its count once per report and stamps each report with its time, so measuring
 * between its own reports, rather than between our polls (which drift against them), gives a steady
 * figure instead of one that jumps between 0 and twice the truth.
 */
final class Speedometer {

    static final long WINDOW_MS = 5_000;
    /**
     * A count with no time of its own (the hashes no per-worker figure explains: the original's workers, which only
     * INCRBY hashes) is read at our polls. An unchanged count is recorded only once it has stood this long, so the
     * rate is measured between the polls that saw it move: one report each, a steady figure. Past this, a count
     * that stands still is recorded, and the speed falls to 0 once such workers stop.
     */
    static final long STILL_MS = 2_000;

    private record Reading(long atMs, long count) {
    }

    private final Map<String, List<Reading>> readings = new HashMap<>();

    /** The speed of {@code who} in hashes per second, or null until two different readings are known. */
    Double read(String who, long atMs, long count) {
        List<Reading> known = readings.computeIfAbsent(who, name -> new ArrayList<>());
        Reading last = known.isEmpty() ? null : known.get(known.size() - 1);
        if (last != null && count < last.count()) {
            known.clear();  // the count went back (Redis flushed or restored): measure afresh
            last = null;
        }
        if (last == null || atMs > last.atMs()) {
            known.add(new Reading(atMs, count));
        }
        Reading newest = known.get(known.size() - 1);
        // Keep, as the baseline, the newest reading that is at least a window old.
        while (known.size() > 2 && known.get(1).atMs() <= newest.atMs() - WINDOW_MS) {
            known.remove(0);
        }
        Reading oldest = known.get(0);
        if (oldest == newest) {
            return null;
        }
        return rate(oldest, newest);
    }

    private static double rate(Reading oldest, Reading newest) {
        return (newest.count() - oldest.count()) * 1000.0 / (newest.atMs() - oldest.atMs());
    }

    /** As {@link #read}, for a count read at our polls ({@code atMs} is the poll's time), see {@link #STILL_MS}. */
    Double readPolled(String who, long atMs, long count) {
        List<Reading> known = readings.get(who);
        Reading last = known == null || known.isEmpty() ? null : known.get(known.size() - 1);
        if (last != null && count == last.count() && atMs - last.atMs() < STILL_MS) {
            return known.size() < 2 ? null : rate(known.get(0), last);
        }
        return read(who, atMs, count);
    }

    /** Drops whoever is not in {@code still}: a worker that comes back starts measuring afresh. */
    void keepOnly(Set<String> still) {
        readings.keySet().retainAll(still);
    }
}

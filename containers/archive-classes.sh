#!/bin/sh
# archive-classes ARCHIVE JAVA-ARGUMENTS...
# Makes an AppCDS archive of the classes a service loads until it is ready: starts
# `java -XX:ArchiveClassesAtExit=ARCHIVE JAVA-ARGUMENTS...`, waits for its "ready on port" line, and stops it
# with SIGTERM, on which the JVM writes the archive. Started with -XX:SharedArchiveFile=ARCHIVE, the service
# then maps those classes instead of loading them from its jar: ready in less than half the time, with C2.
# The Dockerfile runs it in each service's image (the archive is only valid for the JVM and jar it was made
# with); bench/run.sh runs it the same way, to measure what ships.
set -eu
archive=$1
shift
log=$(mktemp)
java -Xlog:cds*=off -XX:ArchiveClassesAtExit="$archive" "$@" > "$log" 2>&1 &
pid=$!
waited=0
until grep -q ' ready on port ' "$log"; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$waited" -ge 600 ]; then
        echo "archive-classes: the service did not get ready within 60 s:" >&2
        cat "$log" >&2
        kill "$pid" 2>/dev/null || true
        exit 1
    fi
    sleep 0.1
    waited=$((waited + 1))
done
kill -TERM "$pid"
wait "$pid" || { echo "archive-classes: the service did not exit cleanly:" >&2; cat "$log" >&2; exit 1; }
rm -f "$log"
test -s "$archive" || { echo "archive-classes: no archive written to $archive" >&2; exit 1; }

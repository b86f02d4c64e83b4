#!/bin/sh
# archive-classes ARCHIVE JAVA-ARGUMENTS... -jar JAR
# Makes a class archive (AppCDS) of the classes a service loads until it is ready: starts
# `java -XX:DumpLoadedClassList=... JAVA-ARGUMENTS...`, waits for its "ready on port" line, stops it with
# SIGTERM, then dumps those classes, the JDK's among them, into one static archive (java -Xshare:dump).
# Started with -XX:SharedArchiveFile=ARCHIVE, the service maps them instead of loading them from its jar:
# ready in less than half the time, with C2. One static archive rather than a dynamic one on top of the JDK's
# default archive: the JVM touches every page of the archives it maps, and the JDK's default one holds
# classes these services never load (measured: worker 65.4 -> 63.5 MiB resident; BENCHMARKS.md, "As shipped").
# The images up to 1.0.0 ran it at build (on JRE 17; they now carry an AOT cache: containers/aot-cache.sh);
# bench/run.sh runs it for its JRE 17 candidate, and ImagesTest for the local run's JDK 17.
set -eu
archive=$1
shift
classes=$(mktemp)
log=$(mktemp)
trap 'rm -f "$classes" "$log"' EXIT
java -XX:DumpLoadedClassList="$classes" "$@" > "$log" 2>&1 &
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
# The dump takes the same arguments with the jar as the class path: the run's -jar JAR is that class path.
for argument; do
    shift
    if [ "$argument" = -jar ]; then set -- "$@" -cp; else set -- "$@" "$argument"; fi
done
java -Xshare:dump -XX:SharedClassListFile="$classes" -XX:SharedArchiveFile="$archive" "$@" > "$log" 2>&1 ||
    { echo "archive-classes: java -Xshare:dump failed:" >&2; cat "$log" >&2; exit 1; }
test -s "$archive" || { echo "archive-classes: no archive written to $archive" >&2; exit 1; }

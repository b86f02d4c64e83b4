#!/usr/bin/env bash
# The start-up floor of Vert.x on this machine: how long a bare Vert.x HTTP server (bench/Limit.java serve: no
# metrics, router, logging or Redis) takes from `java` to its first 200, with the images' flags on JRE 25, with
# and without an AOT cache trained the way containers/aot-cache.sh trains the services' (a run under load, then
# SIGTERM). A service cannot start faster than this; `bench/run.sh shipped` measures the services the same way.
# Median of 5 each. Needs the jars built (mvn -B -DskipTests package) and Temurin 25 ($JAVA25). About a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
PORT=${PORT:-19801}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT
# A jar, not a class folder: an AOT cache takes only jars on its class path.
"$(dirname "$JAVA25")/javac" -d "$tmp/classes" -cp rng/target/rng.jar bench/Limit.java
"$(dirname "$JAVA25")/jar" cf "$tmp/limit.jar" -C "$tmp/classes" .
cp=$tmp/limit.jar:$PWD/rng/target/rng.jar
flags=("@$PWD/jvm.options" -XX:MaxRAM=256m)

"$JAVA25" "${flags[@]}" -XX:AOTCacheOutput="$tmp/limit.aot" -cp "$cp" Limit serve "$PORT" > "$tmp/train.log" 2>&1 &
server=$!
sleep 2
timeout 15 "$JAVA25" "${flags[@]}" -cp "$cp" Limit mine "$PORT" "$PORT" 8 > /dev/null 2>&1 || true
kill "$server"; wait "$server" || true
[ -s "$tmp/limit.aot" ] || { cat "$tmp/train.log" >&2; exit 1; }

starts() { # java arguments... -> the median of 5 starts, ms from `java` to the first 200
    local runs=() began pid
    for _ in 1 2 3 4 5; do
        began=$(date +%s%3N)
        "$JAVA25" "$@" -cp "$cp" Limit serve "$PORT" > /dev/null 2>&1 &
        pid=$!
        until curl -fs -o /dev/null "http://127.0.0.1:$PORT/"; do
            (( $(date +%s%3N) - began < 20000 )) || { echo "startup-floor: no answer within 20 s" >&2; exit 1; }
            sleep 0.005
        done
        runs+=($(( $(date +%s%3N) - began )))
        kill "$pid"; wait "$pid" 2>/dev/null || true
    done
    printf '%s\n' "${runs[@]}" | sort -n | sed -n 3p
}
echo "nproc $(nproc), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "bare Vert.x server, JRE 25, jvm.options, AOT cache: $(starts "${flags[@]}" -XX:AOTCache="$tmp/limit.aot" -XX:AOTMode=on) ms"
echo "bare Vert.x server, JRE 25, jvm.options, no cache:  $(starts "${flags[@]}") ms"

#!/bin/sh
# aot-cache REDIS-SERVER SECONDS CACHE JAR JAVA-ARGUMENTS...
# Makes each service's ahead-of-time cache (JDK 25: JEP 483, 514, 515) from a training run at full speed: runs
# the whole miner, redis-server (REDIS-SERVER, the binary embedded-redis ships) and the four services, every
# delay 0 and 32 loops in the worker, for SECONDS after all are ready, each service started as
# `java JAVA-ARGUMENTS... -XX:AOTCacheOutput=CACHE -jar JAR`, with %s in CACHE and JAR standing for the service's
# name. Then SIGTERM: each JVM stops gracefully and, on its way out, writes its cache: the classes it loaded and
# linked, and the profiles of the methods it ran hot, so that a JVM started with -XX:AOTCache=CACHE is ready
# sooner and its JIT compiles the hot path from the trained profiles instead of collecting them first.
# The cache is only valid for the same JVM, the same jar path and the same flags that change the heap's layout
# (compact headers, GC): the Dockerfile runs this in the training stage with exactly the ENTRYPOINT's jar
# paths and flags; bench/run.sh runs it the same way on the host, to measure what ships.
# Ports AOT_TRAIN_PORT (default 19060) to that + 4; the JVM is $JAVA, else java on the PATH.
set -eu
redis=$1 seconds=$2 cache=$3 jar=$4
shift 4
base=${AOT_TRAIN_PORT:-19060}
work=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
fail() { echo "aot-cache: $*" >&2; for log in "$work"/*.log; do echo "--- $log" >&2; tail -30 "$log" >&2; done; exit 1; }

"$redis" --port $((base + 4)) --bind 127.0.0.1 --save "" --appendonly no > "$work/redis.log" 2>&1 &
redis_pid=$!
pids="$redis_pid"
named() { printf '%s\n' "$1" | sed "s/%s/$2/g"; }   # pattern service -> the pattern, every %s the service
start() { # service port environment...
    name=$1 port=$2
    shift 2
    rm -f "$(named "$cache" "$name")"
    env PORT="$port" ACCESS_LOG=false REDIS_URL=redis://127.0.0.1:$((base + 4)) "$@" \
        "${JAVA:-java}" $java_arguments -XX:AOTCacheOutput="$(named "$cache" "$name")" -jar "$(named "$jar" "$name")" \
        > "$work/$name.log" 2>&1 &
    eval "${name}_pid=$!"
    pids="$pids $!"
}
# The JVM arguments as one word list: they are options, which have no spaces.
java_arguments="$*"
start rng "$base" RNG_DELAY_MS=0
start hasher $((base + 1)) HASHER_DELAY_MS=0
start webui $((base + 2))
start worker $((base + 3)) WORKER_DELAY_MS=0 WORKER_CONCURRENCY=32 \
    RNG_URL=http://127.0.0.1:$base HASHER_URL=http://127.0.0.1:$((base + 1))
for name in rng hasher webui worker; do
    waited=0
    until grep -q ' ready on port ' "$work/$name.log"; do
        eval "pid=\$${name}_pid"
        kill -0 "$pid" 2>/dev/null || fail "$name exited before it was ready"
        [ "$waited" -lt 600 ] || fail "$name was not ready within 60 s"
        sleep 0.1
        waited=$((waited + 1))
    done
done
# The webui's own paths too (the dashboard polls /json each second): with curl, where the image has it.
elapsed=0
while [ "$elapsed" -lt "$seconds" ]; do
    if command -v curl > /dev/null; then
        for path in /json /index.html /metrics /readyz; do curl -fs -o /dev/null "http://127.0.0.1:$((base + 2))$path" || true; done
    fi
    sleep 1
    elapsed=$((elapsed + 1))
done
grep -q 'units of work done' "$work/worker.log" || fail "the worker mined nothing in $seconds s"
# The worker first, so that its last report reaches Redis; each JVM writes its cache before it exits.
for name in worker webui rng hasher; do
    eval "pid=\$${name}_pid"
    kill -TERM "$pid"
    wait "$pid" || fail "$name did not exit cleanly on SIGTERM"
    file=$(named "$cache" "$name")
    test -s "$file" || fail "$name wrote no cache to $file"
    grep -q 'AOTCache creation is complete' "$work/$name.log" || fail "$name did not complete its cache"
done

#!/usr/bin/env bash
# DockerCoins benchmarks, loopback only, bounded in time (about 6 minutes on 2 cores).
# Prints a Markdown table of every figure BENCHMARKS.md reports. Needs: the jars built
# (mvn -B -DskipTests package), wrk, curl and unzip (apt-get install wrk curl unzip).
#   bench/run.sh            everything
#   bench/run.sh services   rng/hasher under wrk, memory, start-up
#   bench/run.sh miner      scaling at workshop delays, peak pipeline throughput
#   bench/run.sh workshop   RNG_CONCURRENCY=1 (the original's bottleneck) against the default
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
BASE=19000                                   # ports BASE.. are used; nothing else is touched
DURATION=${DURATION:-15}                     # seconds per measurement window
JVM_OPTS=()
[ -f jvm.options ] && JVM_OPTS=("@$PWD/jvm.options")   # the flags the container images use
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

for tool in wrk curl unzip; do command -v $tool >/dev/null || { echo "bench: $tool is missing (apt-get install $tool)" >&2; exit 1; }; done
for jar in rng hasher worker webui launcher; do
    [ -f "$jar/target/$jar.jar" ] || { echo "bench: $jar/target/$jar.jar is missing: run mvn -B -DskipTests package" >&2; exit 1; }
done

# The redis-server binary that embedded-redis ships (Maven Central), for services run as separate processes.
redis_bin=$tmp/redis-server
unzip -p "$(ls ~/.m2/repository/com/github/codemonstur/embedded-redis/*/embedded-redis-*.jar | tail -1)" \
    redis-server-6.2.6-v5-linux-amd64 > "$redis_bin"
chmod +x "$redis_bin"

ms_now() { date +%s%3N; }
rss_mib() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
wait_ready() { # port timeout_ms -> prints ms waited, or fails
    local start; start=$(ms_now)
    while ! curl -fs -o /dev/null "http://127.0.0.1:$1/readyz"; do
        (( $(ms_now) - start > $2 )) && { echo "bench: port $1 not ready" >&2; return 1; }
        sleep 0.01
    done
    echo $(( $(ms_now) - start ))
}
start_service() { # name port env... ; sets $pid
    local name=$1 port=$2; shift 2
    env PORT="$port" ACCESS_LOG=false "$@" java "${JVM_OPTS[@]}" -jar "$name/target/$name.jar" > "$tmp/$name-$port.log" 2>&1 &
    pid=$!; pids+=("$pid")
}
metric() { # port name -> value summed over label sets
    curl -fs "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m || index($1, m "{") == 1 { s += $2 } END { printf "%.0f", s }'
}
row() { printf '| %s | %s | %s |\n' "$1" "$2" "$3"; }

if [ "$what" = all ] || [ "$what" = services ]; then
    "$redis_bin" --port $((BASE + 9)) --bind 127.0.0.1 --save "" --appendonly no > "$tmp/redis.log" 2>&1 &
    pids+=("$!")
    sleep 0.5
    echo "| measurement | result | notes |"
    echo "|---|---|---|"
    # Start-up: java -jar to /readyz 200, five runs each, the median.
    for name in rng hasher webui worker; do
        times=()
        for run in 1 2 3 4 5; do
            start_service "$name" $((BASE + 20)) REDIS_URL=redis://127.0.0.1:$((BASE + 9)) \
                RNG_URL=http://127.0.0.1:1 HASHER_URL=http://127.0.0.1:1
            times+=("$(wait_ready $((BASE + 20)) 20000)")
            kill "$pid"; wait "$pid" 2>/dev/null || true
        done
        median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
        row "$name start-up, java -jar to /readyz 200" "$median ms" "median of 5: ${times[*]} ms"
    done
    # rng and hasher alone, delay 0, access log off, wrk with 64 connections.
    start_service rng $((BASE + 1)) RNG_DELAY_MS=0;  rng_pid=$pid
    start_service hasher $((BASE + 2)) HASHER_DELAY_MS=0; hasher_pid=$pid
    start_service webui $((BASE + 3)) REDIS_URL=redis://127.0.0.1:$((BASE + 9)); webui_pid=$pid
    start_service worker $((BASE + 4)) REDIS_URL=redis://127.0.0.1:$((BASE + 9)) \
        RNG_URL=http://127.0.0.1:$((BASE + 1)) HASHER_URL=http://127.0.0.1:$((BASE + 2))
    worker_pid=$pid
    for p in 1 2 3 4; do wait_ready $((BASE + p)) 20000 > /dev/null; done
    sleep 5
    for name in rng hasher webui worker; do
        var=${name}_pid
        row "$name resident memory, idle" "$(rss_mib "${!var}") MiB" "VmRSS 5 s after ready (worker mining at its default delay, rng and hasher at delay 0)"
    done
    cat > "$tmp/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = "0123456789abcdef0123456789abcdef"
wrk.headers["Content-Type"] = "application/octet-stream"
LUA
    for target in "rng:$((BASE + 1)):/32:" "hasher:$((BASE + 2)):/:-s $tmp/post.lua"; do
        IFS=: read -r name port path script <<< "$target"
        wrk -t2 -c64 -d5s $script "http://127.0.0.1:$port$path" > /dev/null   # warm-up (JIT)
        wrk -t2 -c64 -d"${DURATION}s" --latency $script "http://127.0.0.1:$port$path" > "$tmp/wrk-$name.txt"
        rps=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$tmp/wrk-$name.txt")
        p50=$(awk '$1 == "50%" { print $2 }' "$tmp/wrk-$name.txt")
        p99=$(awk '$1 == "99%" { print $2 }' "$tmp/wrk-$name.txt")
        row "$name alone, wrk -t2 -c64, delay 0" "$rps req/s, p50 $p50, p99 $p99" "${DURATION} s window after 5 s warm-up"
        var=${name}_pid
        row "$name resident memory, after load" "$(rss_mib "${!var}") MiB" "VmRSS right after the wrk run"
    done
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=()
fi

run_miner() { # label loops workers extra-env... ; prints hashes/s measured on the workers' own counters
    local label=$1 loops=$2 workers=$3; shift 3
    env ACCESS_LOG=false WORKER_CONCURRENCY="$loops" "$@" \
        java -jar launcher/target/launcher.jar --workers "$workers" --ports "$BASE" > "$tmp/miner.log" 2>&1 &
    local miner=$!; pids+=("$miner")
    for i in $(seq 1 "$workers"); do wait_ready $((BASE + 2 + i)) 60000 > /dev/null; done
    sleep 5   # warm-up
    local before=0 after=0 t0 t1
    t0=$(ms_now)
    for i in $(seq 1 "$workers"); do before=$(( before + $(metric $((BASE + 2 + i)) dockercoins_worker_hashes_total) )); done
    sleep "$DURATION"
    for i in $(seq 1 "$workers"); do after=$(( after + $(metric $((BASE + 2 + i)) dockercoins_worker_hashes_total) )); done
    t1=$(ms_now)
    local rss; rss=$(rss_mib "$miner")
    kill "$miner"; wait "$miner" 2>/dev/null || true
    awk -v n=$((after - before)) -v ms=$((t1 - t0)) -v label="$label" -v rss="$rss" \
        'BEGIN { printf "%s|%.1f|%s\n", label, n * 1000 / ms, rss }'
}

if [ "$what" = all ] || [ "$what" = miner ]; then
    echo
    echo "| mining loops (workers x WORKER_CONCURRENCY) | hashes/s | efficiency vs N x one loop | launcher RSS |"
    echo "|---|---|---|---|"
    one=""
    for loops in 1 10 100 1000; do
        IFS='|' read -r label rate rss <<< "$(run_miner "1 x $loops" "$loops" 1)"
        [ -z "$one" ] && one=$rate
        eff=$(awk -v r="$rate" -v o="$one" -v n="$loops" 'BEGIN { printf "%.1f %%", 100 * r / (o * n) }')
        printf '| %s | %s | %s | %s MiB |\n' "$label" "$rate" "$eff" "$rss"
    done
    echo
    echo "| peak pipeline, every delay 0 | hashes/s | launcher RSS |"
    echo "|---|---|---|"
    for shape in "1 32" "1 128" "2 64"; do
        read -r workers loops <<< "$shape"
        IFS='|' read -r label rate rss <<< "$(run_miner "$workers x $loops" "$loops" "$workers" \
            RNG_DELAY_MS=0 HASHER_DELAY_MS=0 WORKER_DELAY_MS=0)"
        printf '| %s | %s | %s MiB |\n' "$label" "$rate" "$rss"
    done
fi

if [ "$what" = all ] || [ "$what" = workshop ]; then
    echo
    echo "| workers (default delays) | RNG_CONCURRENCY=1, like the original | RNG_CONCURRENCY=0 (default) |"
    echo "|---|---|---|"
    for workers in 1 2 10; do
        IFS='|' read -r _ single _ <<< "$(run_miner "$workers" 1 "$workers" RNG_CONCURRENCY=1)"
        IFS='|' read -r _ unlimited _ <<< "$(run_miner "$workers" 1 "$workers" RNG_CONCURRENCY=0)"
        printf '| %s | %s hashes/s | %s hashes/s |\n' "$workers" "$single" "$unlimited"
    done
fi

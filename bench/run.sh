#!/usr/bin/env bash
# DockerCoins benchmarks, loopback only, bounded in time (about 6 minutes on 2 cores).
# Prints a Markdown table of every figure BENCHMARKS.md reports. Needs: the jars built
# (mvn -B -DskipTests package), wrk, curl and unzip (apt-get install wrk curl unzip).
#   bench/run.sh            everything
#   bench/run.sh services   rng/hasher under wrk, memory, start-up
#   bench/run.sh miner      scaling at workshop delays, peak pipeline throughput
#   bench/run.sh workshop   RNG_CONCURRENCY=1 (the original's bottleneck) against the default
#   bench/run.sh shipped    every service its own process, like pods: the images' JRE 25 with its AOT
#                           cache against the previous JRE 17 with its class archive and other
#                           candidates, the scale-out case, and the limit (bench/Limit.java); about
#                           30 minutes; needs Temurin 25 ($JAVA25) besides the JDK 17+ on the PATH
#   bench/run.sh profile    where the CPU goes: async-profiler on each process at steady state
#                           (not part of everything)
# Linux on x86-64 or arm64 (it reads /proc); the Maven repository is wherever Maven's settings put it.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
BASE=${BASE:-19000}                          # ports BASE.. are used; nothing else is touched
DURATION=${DURATION:-15}                     # seconds per measurement window
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

for tool in wrk curl unzip; do command -v $tool >/dev/null || { echo "bench: $tool is missing (apt-get install $tool)" >&2; exit 1; }; done
for jar in rng hasher worker webui launcher; do
    [ -f "$jar/target/$jar.jar" ] || { echo "bench: $jar/target/$jar.jar is missing: run mvn -B -DskipTests package" >&2; exit 1; }
done

case $(uname -m) in
    x86_64 | amd64) redis_arch=linux-amd64 profiler_arch=linux-x64 ;;
    aarch64 | arm64) redis_arch=linux-arm64 profiler_arch=linux-arm64 ;;
    *) echo "bench: Linux on x86-64 or arm64 only, not $(uname -m)" >&2; exit 1 ;;
esac
# Maven prints colour resets even in batch mode: they are taken out.
m2=$(mvn -B -q help:evaluate -Dexpression=settings.localRepository -DforceStdout 2>/dev/null \
    | sed 's/\x1b\[[0-9;]*m//g') && [ -d "$m2" ] || m2=$HOME/.m2/repository

# The redis-server binary that embedded-redis ships (Maven Central), for services run as separate processes.
redis_bin=$tmp/redis-server
redis_jar=$(ls "$m2"/com/github/codemonstur/embedded-redis/*/embedded-redis-*.jar | tail -1)
unzip -p "$redis_jar" "$(unzip -Z1 "$redis_jar" | grep -x "redis-server-.*-$redis_arch" | head -1)" > "$redis_bin"
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
JAVA17=${JAVA17:-java}                                                 # the local run's JDK (17+)
JAVA25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}           # the images' JRE 25, on the host
java_for() { # flags -> the java binary: +jre25 is Temurin 25 (the images' runtime), else JDK 17
    if [[ " $1 " == *" +jre25 "* ]]; then echo "$JAVA25"; else echo "$JAVA17"; fi
}
flags_for() { # flags service -> the java arguments, one per line: @jvm.options is the images' file, +cds the
    local word   # service's class archive (make_cds_archives), +aot its AOT cache (make_aot_caches), both made
    for word in $1; do   # as the Dockerfile makes them; +jre25 picks the JVM (java_for)
        case $word in
            @jvm.options) echo "@$PWD/jvm.options" ;;
            +cds) echo "-XX:SharedArchiveFile=$tmp/cds-$2.jsa" ;;
            # AOTMode=on (not in the images' command, where the default, auto, starts without a cache it cannot
            # use): a figure here is never one of a JVM that quietly ran without its cache.
            +aot) echo "-XX:AOTCache=$tmp/aot-$2.aot"; echo "-XX:AOTMode=on" ;;
            +jre25) ;;
            *) echo "$word" ;;
        esac
    done
}
start_pod() { # flags name port env... ; sets $pid: the service as its own process, like a pod
    local flags=$1 name=$2 port=$3; shift 3
    mapfile -t args < <(flags_for "$flags" "$name")
    # The jar by its absolute path, as the caches were trained with it.
    env PORT="$port" ACCESS_LOG=false "$@" "$(java_for "$flags")" "${args[@]}" -jar "$PWD/$name/target/$name.jar" \
        > "$tmp/$name-$port.log" 2>&1 &
    pid=$!; pids+=("$pid")
}
start_service() { start_pod "@jvm.options" "$@"; }   # name port env... ; with the flags the images use
worker_hashes() { # first-port count -> the hashes counted by that many workers on consecutive ports
    local i sum=0
    for i in $(seq 0 $(($2 - 1))); do sum=$(( sum + $(metric $(($1 + i)) dockercoins_worker_hashes_total) )); done
    echo "$sum"
}
metric() { # port name -> value summed over label sets
    { curl -fs "http://127.0.0.1:$1/metrics" || true; } | awk -v m="$2" '$1 == m || index($1, m "{") == 1 { s += $2 } END { printf "%.0f", s }'
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
    before=$(worker_hashes $((BASE + 3)) "$workers")
    sleep "$DURATION"
    after=$(worker_hashes $((BASE + 3)) "$workers")
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

# ---- As shipped: one process per service, like pods, with the images' flags ----
# Each candidate is "name|flags" (see flags_for); each runs with $MAX_RAM too. The first is what the images run.
CANDIDATES=${CANDIDATES:-"shipped: JRE 25, AOT cache|+jre25 @jvm.options +aot
JRE 25, AOT cache, compact object headers|+jre25 @jvm.options -XX:+UseCompactObjectHeaders +aot
JRE 25, AOT cache, the default JIT thresholds|+jre25 @jvm.options -XX:CompileThresholdScaling=1 +aot
JRE 25, AOT cache, compiled eagerly from the trained profiles|+jre25 @jvm.options -XX:+UnlockExperimentalVMOptions -XX:+AOTCompileEagerly +aot
JRE 25, no cache|+jre25 @jvm.options
previous: JRE 17, class archive (CDS)|@jvm.options +cds
JVM defaults (JRE 25)|+jre25"}
# The limit (bench/Limit.java) for these: the flags without any cache.
LIMIT_CANDIDATES=${LIMIT_CANDIDATES:-"JRE 25, @jvm.options|+jre25 @jvm.options
JRE 17, @jvm.options|@jvm.options
JVM defaults (JRE 25)|+jre25"}
MAX_RAM=-XX:MaxRAM=256m                      # what the manifests' 256 MiB memory limit shows the JVM
WARM_WINDOW=${WARM_WINDOW:-60}               # seconds of mining sampled per candidate; steady = the last third
JOIN_WINDOW=${JOIN_WINDOW:-30}               # seconds a new worker, joining warm rng and hasher, is sampled
AOT_TRAIN_S=${AOT_TRAIN_S:-30}               # the training run of the AOT caches, as the Dockerfile's
SCALE_OUT=${SCALE_OUT:-"10 100"}             # worker processes, loops each: the scale-out case
SCALE_OUT_AT=${SCALE_OUT_AT:-"10 20 40"}     # seconds after the workers' launch: the rate over the 5 s before

stop() { kill "$@" 2>/dev/null || true; wait "$@" 2>/dev/null || true; }
make_cds_archives() { # flags: each service's class archive, made by the script the 1.x Dockerfile ran
    local name
    for name in rng hasher webui worker; do
        rm -f "$tmp/cds-$name.jsa"
        mapfile -t args < <(flags_for "${1/+cds/}" "$name")
        env PATH="$(dirname "$(java_for "$1")"):$PATH" PORT=$((BASE + 20)) REDIS_URL=redis://127.0.0.1:1 \
            containers/archive-classes.sh "$tmp/cds-$name.jsa" "${args[@]}" -jar "$PWD/$name/target/$name.jar"
    done
}
make_aot_caches() { # flags: each service's AOT cache, made by the script the Dockerfile runs, from the same run
    mapfile -t args < <(flags_for "${1/+aot/}" none)
    env JAVA="$(java_for "$1")" AOT_TRAIN_PORT=$((BASE + 60)) containers/aot-cache.sh "$redis_bin" "$AOT_TRAIN_S" \
        "$tmp/aot-%s.aot" "$PWD/%s/target/%s.jar" "${args[@]}" > "$tmp/aot-cache.log" 2>&1 \
        || { cat "$tmp/aot-cache.log" >&2; return 1; }
}
hashes_now() { worker_hashes $((BASE + 4)) 1; }
at_ms() { # epoch-ms: sleeps until then
    sleep "$(awk -v due="$1" -v now="$(ms_now)" 'BEGIN { d = (due - now) / 1000; printf "%.3f", (d > 0 ? d : 0) }')"
}

scale_out() { # flags -> "r1/r2/..." hashes/s of $SCALE_OUT worker processes at the default delays, over the 5 s
    local flags=$1 workers loops i all=() start_ms t at=() counts=() out=""   # before each of $SCALE_OUT_AT
    read -r workers loops <<< "$SCALE_OUT"
    start_pod "$flags" rng $((BASE + 1)); all+=("$pid")
    start_pod "$flags" hasher $((BASE + 2)); all+=("$pid")
    for t in 1 2; do wait_ready $((BASE + t)) 20000 > /dev/null; done
    start_ms=$(ms_now)
    for i in $(seq 1 "$workers"); do
        start_pod "$flags" worker $((BASE + 40 + i)) REDIS_URL=redis://127.0.0.1:$((BASE + 9)) \
            RNG_URL=http://127.0.0.1:$((BASE + 1)) HASHER_URL=http://127.0.0.1:$((BASE + 2)) WORKER_CONCURRENCY="$loops"
        all+=("$pid")
    done
    for t in $SCALE_OUT_AT; do
        at_ms $((start_ms + (t - 5) * 1000)); local t0 c0; t0=$(ms_now); c0=$(worker_hashes $((BASE + 41)) "$workers")
        at_ms $((start_ms + t * 1000)); local t1 c1; t1=$(ms_now); c1=$(worker_hashes $((BASE + 41)) "$workers")
        out+="${out:+/}$(awk -v n=$((c1 - c0)) -v ms=$((t1 - t0)) 'BEGIN { printf "%.0f", n * 1000 / ms }')"
    done
    stop "${all[@]}"
    echo "$out"
}

sampled_worker() { # flags seconds ; sets $worker and counts: a worker of 32 loops, every delay 0, against the rng and
    local start t   # hasher on BASE+1 and +2, and its hashes counted each second from its launch
    start=$(ms_now)
    start_pod "$1" worker $((BASE + 4)) REDIS_URL=redis://127.0.0.1:$((BASE + 9)) RNG_URL=http://127.0.0.1:$((BASE + 1)) \
        HASHER_URL=http://127.0.0.1:$((BASE + 2)) WORKER_CONCURRENCY=32 WORKER_DELAY_MS=0
    worker=$pid
    wait_ready $((BASE + 4)) 20000 > /dev/null
    counts=()
    for t in $(seq 1 "$2"); do
        at_ms $((start + t * 1000))
        counts+=("$(hashes_now)")
    done
}

pods() { # label flags -> one table row: start-up, warm-up, steady hashes/s, RSS, scale-out
    local label=$1 flags=$2 name t times=()
    [[ $flags == *+cds* ]] && make_cds_archives "$flags"
    [[ $flags == *+aot* ]] && make_aot_caches "$flags"
    for name in rng hasher webui worker; do   # start-up, one at a time: median of 3
        local runs=()
        for t in 1 2 3; do
            start_pod "$flags" "$name" $((BASE + 20)) REDIS_URL=redis://127.0.0.1:$((BASE + 9)) \
                RNG_URL=http://127.0.0.1:1 HASHER_URL=http://127.0.0.1:1
            runs+=("$(wait_ready $((BASE + 20)) 20000)")
            stop "$pid"
        done
        times+=("$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p)")
    done
    # Idle: the workshop's miner, every service at its default delays (one worker, about 3 hashes/s), for 20 s.
    start_pod "$flags" rng $((BASE + 1)); local rng=$pid
    start_pod "$flags" hasher $((BASE + 2)); local hasher=$pid
    start_pod "$flags" webui $((BASE + 3)) REDIS_URL=redis://127.0.0.1:$((BASE + 9)); local webui=$pid
    local worker_env=(REDIS_URL=redis://127.0.0.1:$((BASE + 9)) RNG_URL=http://127.0.0.1:$((BASE + 1))
        HASHER_URL=http://127.0.0.1:$((BASE + 2)))
    start_pod "$flags" worker $((BASE + 4)) "${worker_env[@]}"; local worker=$pid
    for t in 1 2 3 4; do wait_ready $((BASE + t)) 20000 > /dev/null; done
    sleep 20
    local idle="$(rss_mib $rng)/$(rss_mib $hasher)/$(rss_mib $webui)/$(rss_mib $worker)"
    stop "$worker" "$rng" "$hasher"
    # Load: one worker, 32 loops, every delay 0, sampled each second from its launch.
    start_pod "$flags" rng $((BASE + 1)) RNG_DELAY_MS=0; rng=$pid
    start_pod "$flags" hasher $((BASE + 2)) HASHER_DELAY_MS=0; hasher=$pid
    for t in 1 2; do wait_ready $((BASE + t)) 20000 > /dev/null; done
    local counts; sampled_worker "$flags" "$WARM_WINDOW"; local loaded="${counts[*]}"
    local after="$(rss_mib $rng)/$(rss_mib $hasher)/$(rss_mib $webui)/$(rss_mib $worker)"
    # A new worker joining: the first one stopped, a fresh one launched against the rng and hasher now warm, as
    # `kubectl scale` adds a pod to a running miner.
    stop "$worker"
    sampled_worker "$flags" "$JOIN_WINDOW"; local joined="${counts[*]}"
    stop "$rng" "$hasher" "$webui" "$worker"
    local scaled; scaled=$(scale_out "$flags")
    # Steady: the first worker's rate over the last third; warm-up, of each worker: from its launch until a 3 s
    # average first reaches 90 % of that.
    awk -v label="$label" -v startup="${times[*]}" -v idle="$idle" -v after="$after" -v loaded="$loaded" \
        -v joined="$joined" -v scaled="$scaled" -v linear="$linear" '
        function warmup(counts, steady,    c, k, t) {
            k = split(counts, c, " ")
            for (t = 4; t <= k; t++) if ((c[t] - c[t - 3]) / 3 >= 0.9 * steady) return t " s"
            return "> " k " s"
        }
        BEGIN {
            n = split(loaded, at, " "); from = int(n * 2 / 3); steady = (at[n] - at[from]) / (n - from)
            split(startup, s, " ")
            k = split(scaled, r, "/"); pct = ""
            for (i = 1; i <= k; i++) pct = pct (i > 1 ? " / " : "") sprintf("%.0f %%", 100 * r[i] / linear)
            printf "| %s | %s / %s / %s / %s ms | %s / %s | %.0f | %s MiB | %s MiB | %s (%s) |\n", label, s[1], s[2],
                s[3], s[4], warmup(loaded, steady), warmup(joined, steady), steady, idle, after, scaled, pct
        }'
}

one_loop() { # flags -> hashes/s of one worker, one loop, at the default delays: the scale-out case's unit
    local flags=$1 all=() c0 c1 t0 t1
    start_pod "$flags" rng $((BASE + 1)); all+=("$pid")
    start_pod "$flags" hasher $((BASE + 2)); all+=("$pid")
    start_pod "$flags" worker $((BASE + 4)) REDIS_URL=redis://127.0.0.1:$((BASE + 9)) \
        RNG_URL=http://127.0.0.1:$((BASE + 1)) HASHER_URL=http://127.0.0.1:$((BASE + 2)); all+=("$pid")
    for t in 1 2 4; do wait_ready $((BASE + t)) 20000 > /dev/null; done
    sleep 5
    t0=$(ms_now); c0=$(hashes_now); sleep 20; t1=$(ms_now); c1=$(hashes_now)
    stop "${all[@]}"
    awk -v n=$((c1 - c0)) -v ms=$((t1 - t0)) 'BEGIN { printf "%.2f", n * 1000 / ms }'
}

limit() { # label flags -> loops/s of bench/Limit.java in the same layout: two servers and one client process
    local label=$1 flags=$2 servers java
    mapfile -t args < <(flags_for "$flags" limit)
    java=$(java_for "$flags")
    for port in $((BASE + 1)) $((BASE + 2)); do
        "$java" "${args[@]}" -cp rng/target/rng.jar bench/Limit.java serve "$port" > /dev/null 2>&1 &
        pids+=("$!"); servers+=" $!"
    done
    sleep 5   # the source launcher compiles Limit.java first
    timeout "$WARM_WINDOW" "$java" "${args[@]}" -cp rng/target/rng.jar bench/Limit.java mine \
        $((BASE + 1)) $((BASE + 2)) 32 > "$tmp/limit.txt" 2>&1 || true
    stop $servers
    awk -v label="$label" -v n="$WARM_WINDOW" '{ at[NR] = $1 } END {
        last = NR; from = int(last * 2 / 3); printf "| %s | %.0f |\n", label, (at[last] - at[from]) / (last - from) }' \
        "$tmp/limit.txt"
}

if [ "$what" = all ] || [ "$what" = shipped ]; then
    "$redis_bin" --port $((BASE + 9)) --bind 127.0.0.1 --save "" --appendonly no > "$tmp/redis.log" 2>&1 &
    pids+=("$!")
    sleep 0.5
    echo "nproc $(nproc), load average at the start: $(cut -d' ' -f1-3 /proc/loadavg); JRE 17: $("$JAVA17" -version 2>&1 | head -1); JRE 25: $("$JAVA25" -version 2>&1 | head -1)"
    echo
    echo "| limit: bare Vert.x, 32 loops of GET 32 B + POST 32 B -> 64 B, steady | loops/s |"
    echo "|---|---|"
    while IFS='|' read -r label flags; do
        limit "$label" "$flags $MAX_RAM"
    done <<< "$LIMIT_CANDIDATES"
    read -r workers loops <<< "$SCALE_OUT"
    one=$(one_loop "@jvm.options $MAX_RAM")
    linear=$(awk -v o="$one" -v n=$((workers * loops)) 'BEGIN { printf "%.1f", o * n }')
    echo
    echo "One loop at the default delays: $one hashes/s, so $((workers * loops)) loops make $linear hashes/s if linear."
    echo
    echo "| flags (all with $MAX_RAM) | start-up rng / hasher / webui / worker | warm-up to 90 %: whole pipeline cold / a new worker joining | steady hashes/s, 1 worker x 32 loops, delays 0 | RSS idle, default delays, rng / hasher / webui / worker | RSS after load | $((workers * loops)) loops in $workers worker processes, default delays: hashes/s at $(echo $SCALE_OUT_AT | sed 's| | / |g') s (of linear) |"
    echo "|---|---|---|---|---|---|---|"
    while IFS='|' read -r label flags; do
        pods "$label" "$flags $MAX_RAM"
    done <<< "$CANDIDATES"
    echo
    echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
fi

# ---- Where the CPU goes: async-profiler (Maven Central) on each process at steady state ----
if [ "$what" = profile ]; then
    profiler=$tmp/libasyncProfiler.so
    jar=$m2/tools/profiler/async-profiler/4.1/async-profiler-4.1-$profiler_arch.jar
    [ -f "$jar" ] || mvn -B -q dependency:get -Dartifact=tools.profiler:async-profiler:4.1:jar:$profiler_arch >&2
    unzip -p "$jar" "$profiler_arch/libasyncProfiler.so" > "$profiler"
    "$redis_bin" --port $((BASE + 9)) --bind 127.0.0.1 --save "" --appendonly no > "$tmp/redis.log" 2>&1 &
    pids+=("$!")
    flags="$(head -1 <<< "$CANDIDATES" | cut -d'|' -f2) $MAX_RAM"
    [[ $flags == *+cds* ]] && make_cds_archives "$flags"
    [[ $flags == *+aot* ]] && make_aot_caches "$flags"
    start_pod "$flags" rng $((BASE + 1)) RNG_DELAY_MS=0; rng=$pid
    start_pod "$flags" hasher $((BASE + 2)) HASHER_DELAY_MS=0; hasher=$pid
    start_pod "$flags" worker $((BASE + 4)) REDIS_URL=redis://127.0.0.1:$((BASE + 9)) WORKER_CONCURRENCY=32 \
        WORKER_DELAY_MS=0 RNG_URL=http://127.0.0.1:$((BASE + 1)) HASHER_URL=http://127.0.0.1:$((BASE + 2))
    worker=$pid
    sleep 40   # past the warm-up
    jcmd=$(dirname "$(java_for "$flags")")/jcmd
    for p in $rng $hasher $worker; do "$jcmd" "$p" JVMTI.agent_load "$profiler" '"start,event=cpu,interval=1ms"' > /dev/null; done
    before=$(hashes_now); sleep "$DURATION"; after=$(hashes_now)
    for p in $rng $hasher $worker; do
        "$jcmd" "$p" JVMTI.agent_load "$profiler" "\"stop,file=$tmp/$p.collapsed,collapsed\"" > /dev/null
    done
    echo
    echo "| process ($(( (after - before) / DURATION )) hashes/s) | CPU in ${DURATION} s | where it goes |"
    echo "|---|---|---|"
    for p in rng:$rng hasher:$hasher worker:$worker; do
        awk -v label="${p%%:*}" -f bench/cost-centres.awk "$tmp/${p#*:}.collapsed"
    done
fi

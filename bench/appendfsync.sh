#!/bin/bash
# What Redis's append-only fsync policies cost (components/persistent-redis, BENCHMARKS.md "Redis append-only
# fsync"): one redis-server per policy, its files in a temporary directory on this machine's disk, then
# redis-benchmark's INCR (one small write, as a worker's report is) from 1 and from 20 clients.
# Needs redis-server and redis-benchmark (Debian: redis-server, redis-tools). Port 16379.
#   timeout 300 flock /tmp/dockercoins-heavy.lock bash bench/appendfsync.sh
set -u
work="$(mktemp -d)"
trap 'redis-cli -p 16379 shutdown nosave >/dev/null 2>&1; rm -rf "$work"' EXIT
for policy in none everysec always; do
    rm -rf "$work/data" && mkdir "$work/data"
    if [ "$policy" = none ]; then aof=(--appendonly no); else aof=(--appendonly yes --appendfsync "$policy"); fi
    redis-server --port 16379 --dir "$work/data" --save '' "${aof[@]}" --daemonize yes --logfile "$work/redis.log"
    sleep 0.5
    for clients in 1 20; do
        echo "appendfsync $policy, $clients client(s): $(redis-benchmark -p 16379 -t incr -n 20000 -c "$clients" -q \
            | tr '\r' '\n' | grep -a 'per second' | tail -1)"
    done
    redis-cli -p 16379 shutdown nosave >/dev/null 2>&1
    sleep 0.3
done

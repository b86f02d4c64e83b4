#!/usr/bin/env bash
# The container test: builds the four images from the Dockerfile exactly as compose.yaml does, runs
# compose.yaml, and checks the miner with real containers. Bounded in time; ports 8000-8002 are published on
# every address, as compose.yaml does by default.
#   bash containers/test.sh        (as root where Podman is the engine; CI runs it after mvn verify)
# Engine: containers/engine.sh's rule (Docker with Compose v2 where it answers; otherwise Podman, through
# its Docker-compatible socket, with Debian's docker-compose). Each base image is the real one, pulled;
# else the one already on the machine, used as it is and never replaced; else, with no registry
# reachable, a stand-in built from Debian packages under the exact name the files use. It says which.
set -uo pipefail
cd "$(dirname "$0")/.."
export COMPOSE_PROJECT_NAME=dockercoins-test
WORK="$(mktemp -d)"
. containers/checks.sh
say() { printf '\n=== %s\n' "$*"; }   # this test's headings say the time themselves

# ---- the engine ----
. containers/engine.sh
if docker_with_compose; then
    ENGINE=docker
    compose() { docker compose "$@"; }
else
    ENGINE=podman
    # This machine kind: runc (crun refuses its cgroup layout), no systemd (cgroupfs, file events), and
    # ulimits root may set. Written to our own file, so the machine's Podman settings stay as they are.
    export CONTAINERS_CONF="${WORK}/containers.conf"
    cat > "${CONTAINERS_CONF}" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
    podman system service --time=0 "unix://${WORK}/podman.sock" > "${WORK}/podman-service.log" 2>&1 &
    service_pid=$!
    export DOCKER_HOST="unix://${WORK}/podman.sock"
    for _ in $(seq 50); do [ -S "${WORK}/podman.sock" ] && break; sleep 0.1; done
    if docker-compose version 2>/dev/null | grep -q 'version v\?2'; then compose() { docker-compose "$@"; }
    else compose() { docker-compose --ansi never "$@"; }; fi
fi
engine() { "${ENGINE}" "$@"; }
cleanup() {
    [ -n "${healthchecker:-}" ] && kill "${healthchecker}" 2>/dev/null
    compose --profile monitoring down -v --remove-orphans >/dev/null 2>&1
    engine rm -f dockercoins-hardened dockercoins-plain >/dev/null 2>&1
    [ -n "${service_pid:-}" ] && kill "${service_pid}" 2>/dev/null
    rm -rf "${WORK}"
}
trap cleanup EXIT
say "engine: ${ENGINE} ($(engine --version)), compose: $(compose version 2>/dev/null | head -1)"

# ---- base images: the real ones where they can be pulled, else stand-ins from Debian ----
STAND_IN_LABEL=dockercoins.stand-in
debian_base() { # the root file system the stand-ins are built on, made once with debootstrap
    engine image inspect localhost/dockercoins-stand-in/debian:bookworm >/dev/null 2>&1 && return 0
    loud "no image registry answers: making a Debian bookworm root file system with debootstrap for the stand-ins"
    command -v debootstrap >/dev/null || { echo "containers/test.sh: debootstrap is missing (apt-get install debootstrap)"; exit 1; }
    debootstrap --variant=minbase bookworm "${WORK}/rootfs" http://deb.debian.org/debian > "${WORK}/debootstrap.log" 2>&1 \
        || { tail -20 "${WORK}/debootstrap.log"; exit 1; }
    tar -C "${WORK}/rootfs" -c . | engine import -q - localhost/dockercoins-stand-in/debian:bookworm >/dev/null
    rm -rf "${WORK}/rootfs"
}
base_image() { # image-name Containerfile: says which it used; never replaces an image this test did not build
    local image=$1 file=$2 ctx="${WORK}/stand-in" digest label
    digest=$(sha256sum < "containers/stand-ins/${file}" | cut -c1-12)
    label=$(engine image inspect --format "{{ index .Config.Labels \"${STAND_IN_LABEL}\" }}" "${image}" 2>/dev/null)
    if [ "${label}" = "${digest}" ]; then
        loud "STAND-IN in use for ${image} (built from Debian packages earlier; cached)"
        return 0
    fi
    # The engine's own binary: timeout runs programs, not shell functions.
    if timeout 60 "${ENGINE}" pull -q "${image}" >/dev/null 2>&1; then
        echo "base image ${image}: the real one, pulled"
        return 0
    fi
    if engine image inspect "${image}" >/dev/null 2>&1 && [ -z "${label}" ]; then
        echo "base image ${image}: the one already on this machine (not pullable now; not built by this test, left as it is)"
        return 0
    fi
    loud "${image} cannot be pulled here: building a STAND-IN from Debian packages under that name (${file})"
    debian_base
    rm -rf "${ctx}" && mkdir -p "${ctx}/ca"
    cp /usr/local/share/ca-certificates/*.crt "${ctx}/ca/" 2>/dev/null || true
    if [ "${file}" = Containerfile.jre ]; then
        # The machine's Temurin JDK 25 (a fresh CI machine has it too), as a JRE: every module but the
        # development tools, with the JDK's default class archive, as Temurin builds its JRE images.
        local jdk=${TEMURIN_25:-/usr/lib/jvm/temurin-25-jdk-amd64} modules
        modules=$("${jdk}/bin/java" --list-modules | sed 's/@.*//' | grep -vx 'jdk\.\(compiler\|javadoc\|jshell\|jdeps\|jlink\|jpackage\|jartool\|editpad\|internal\.ed\|internal\.opt\|internal\.le\|jdi\|jdwp\.agent\|hotspot\.agent\|jstatd\|jconsole\|jsobject\|incubator\..*\|graal.*\|internal\.vm\.ci\)' | paste -sd,)
        "${jdk}/bin/jlink" --add-modules "${modules}" --strip-debug --no-man-pages --no-header-files \
            --generate-cds-archive --output "${ctx}/jre" >/dev/null || { echo "containers/test.sh: jlink failed"; exit 1; }
    fi
    engine build -q --label "${STAND_IN_LABEL}=${digest}" -f "containers/stand-ins/${file}" -t "${image}" "${ctx}" >/dev/null
}
# An image of that name made elsewhere (here an empty one, under a name no registry serves) is used, not replaced.
not_ours=localhost/dockercoins-test/not-built-by-this-test:1
tar -cf - -T /dev/null | engine import -q - "${not_ours}" >/dev/null
before=$(engine image inspect --format '{{.Id}}' "${not_ours}")
base_image "${not_ours}" Containerfile.redis
check "a base image this test did not build is used as it is, never replaced by a stand-in" \
    test -n "${before}" -a "$(engine image inspect --format '{{.Id}}' "${not_ours}")" = "${before}"
engine rmi "${not_ours}" >/dev/null 2>&1
base_image docker.io/library/maven:3.9.16-eclipse-temurin-17-noble Containerfile.maven
base_image docker.io/library/eclipse-temurin:25.0.3_9-jre-noble Containerfile.jre
base_image docker.io/library/redis:7.4.11-alpine Containerfile.redis
base_image docker.io/prom/prometheus:v3.5.0 Containerfile.prometheus

# ---- the images, built as compose builds them ----
say "compose build ($(( $(date +%s) - started )) s so far)"
check "compose build builds the four images from the Dockerfile" compose build -q
for service in rng hasher worker webui; do
    image="ghcr.io/dockercoins-vertx/${service}:1.0.0"
    check "${service}: image ${image} exists, runs as 10001 and says APP_VERSION=1.0.0" \
        bash -c "[ \"\$(${ENGINE} image inspect --format '{{.Config.User}} {{range .Config.Env}}{{.}} {{end}}' ${image} | grep -o '^10001:10001\|APP_VERSION=1.0.0\|PORT=80' | sort | tr '\n' ' ')\" = '10001:10001 APP_VERSION=1.0.0 PORT=80 ' ]"
    # The image's own command with -XX:AOTMode=on, where the JVM refuses to start rather than quietly run
    # without its ahead-of-time cache (missing, or made for another JVM, jar or flags).
    entrypoint=$(engine image inspect --format '{{range .Config.Entrypoint}}{{.}} {{end}}' "${image}")
    check "${service}: the image's command names its AOT cache, which loads (-XX:AOTMode=on), and the service gets ready with it" \
        engine run --rm -e PORT=8080 -e JAVA_TOOL_OPTIONS=-XX:AOTMode=on --entrypoint sh "${image}" -c \
            "case '${entrypoint}' in *-XX:AOTCache=/app/${service}.aot*) ;; *) echo 'no AOT cache in: ${entrypoint}'; exit 1 ;; esac; \
            ${entrypoint} > /tmp/log 2>&1 & \
            for i in \$(seq 200); do grep -q ' ready on port ' /tmp/log && exit 0; kill -0 \$! || break; sleep 0.1; done; \
            cat /tmp/log; exit 1"
done

# Podman runs no HEALTHCHECK by itself without systemd: run them, one container at a time (in parallel
# on 2 cores they overran their 2 s timeout), as Docker would every 5 s.
if [ "${ENGINE}" = podman ]; then
    ( while true; do
        for id in $(podman ps -q --filter "label=com.docker.compose.project=${COMPOSE_PROJECT_NAME}"); do
            podman healthcheck run "${id}" >/dev/null 2>&1
        done
        sleep 2
    done ) &
    healthchecker=$!
fi

json() { curl -fsS --max-time 5 "http://127.0.0.1:8000/json"; }
# A top-level number of /json: the arrays (per-worker figures, whose "hashes" are each a worker's own) and
# objects inside it are taken out first, so `field hashes` is the total.
field() { sed -e ':a' -e 's/\[[^][]*\]//g; s/{\([^{}]*\){[^{}]*}/{\1/g; ta' | grep -o "\"$1\":[0-9.]*" | head -1 | cut -d: -f2; }
hashes() { compose exec -T redis redis-cli get hashes | tr -d '\r'; }
healthy() { # service...
    local all=0
    for service in "$@"; do
        for id in $(compose ps -q "${service}"); do
            [ "$(engine inspect --format '{{.State.Health.Status}}' "${id}")" = healthy ] || all=1
        done
    done
    return "${all}"
}
speed() { # hashes/s over a window, from Redis, one decimal; nothing when Redis cannot be read
    local window=$1 before after
    before=$(hashes); sleep "${window}"; after=$(hashes)
    number "${before}" && number "${after}" || return 0
    awk -v d=$(( after - before )) -v w="${window}" 'BEGIN { printf "%.1f", d / w }'
}

# ---- the miner ----
say "compose up ($(( $(date +%s) - started )) s so far)"
check "compose up -d starts the miner" compose up -d
check "every service becomes healthy, in dependency order" wait_for 180 "all healthy" healthy rng hasher redis worker webui
check "/json answers on 127.0.0.1:8000" wait_for 30 "/json" json
first=$(json | field hashes); sleep 4; second=$(json | field hashes)
check "/json's total hashes grow (${first:-?} then ${second:-?})" \
    bash -c "[[ '${first}' =~ ^[0-9]+\$ && '${second}' =~ ^[0-9]+\$ ]] && [ '${second}' -gt '${first}' ]"
check "rng answers HEAD / on 127.0.0.1:8001, as httping asks" curl -fsS -I --max-time 5 http://127.0.0.1:8001/
check "hasher answers on 127.0.0.1:8002" bash -c "[ \"\$(printf hello | curl -fsS --data-binary @- http://127.0.0.1:8002/)\" = 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 ]"
# As the original: published on every address, so a lab VM's page opens at its own address; PUBLISH_ON=127.0.0.1:
# publishes on loopback only. Read from the engine's port bindings (what compose asked for), then tried for real.
published_on() { # service: the host addresses its port 80 is published on, one per line
    engine inspect --format '{{range (index .HostConfig.PortBindings "80/tcp")}}{{.HostIP}}:{{.HostPort}}{{"\n"}}{{end}}' \
        "$(compose ps -q "$1" | head -1)" 2>/dev/null | sed '/^$/d'
}
for service in webui:8000 rng:8001 hasher:8002; do
    bindings=$(published_on "${service%:*}" | tr '\n' ' ')
    check "${service%:*} is published on every address, port ${service#*:} (bindings: ${bindings:-none read})" \
        bash -c "[ -n '${bindings}' ] && printf '%s\n' ${bindings} | grep -qxE '(0\.0\.0\.0)?:${service#*:}' \
            && ! printf '%s\n' ${bindings} | grep -qvxE '(0\.0\.0\.0|::)?:${service#*:}'"
done
address=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -vE '^(127\.|::1$|$)' | grep -v : | head -1)
check "the dashboard's /json answers on this machine's own address (${address:-none found}:8000), as a lab VM's would" \
    bash -c "[ -n '${address}' ] && curl -fsS --max-time 5 -o /dev/null http://${address}:8000/json"
# Compose v2 writes host_ip: lines, v1 short forms: count the loopback ports the variable adds to the default's.
on_loopback() { compose config 2>/dev/null | grep -cE 'host_ip: "?127\.0\.0\.1|127\.0\.0\.1:800[0-2]:80'; }
loopback=$(( $(PUBLISH_ON=127.0.0.1: on_loopback) - $(on_loopback) ))
check "PUBLISH_ON=127.0.0.1: publishes webui, rng and hasher on loopback only (${loopback} of 3 ports moved)" \
    test "${loopback}" = 3

say "scaling ($(( $(date +%s) - started )) s so far)"
sleep 3
one=$(speed 10)
compose up -d --scale worker=5 >/dev/null
wait_for 120 "5 healthy workers" healthy worker >/dev/null
sleep 5
five=$(speed 10)
check "--scale worker=5 mines about 5 times as fast as one worker (${one} -> ${five} hashes/s)" \
    bash -c "$(declare -f number at_least); at_least '${one}' 1 && at_least '${five}' \"\$(awk -v one='${one}' 'BEGIN { print one * 3.5 }')\""

say "the workshop's bottleneck ($(( $(date +%s) - started )) s so far)"
RNG_CONCURRENCY=1 compose up -d --scale worker=10 >/dev/null
wait_for 120 "rng and 10 workers healthy" healthy rng worker >/dev/null
sleep 10
plateau=$(speed 20)
check "RNG_CONCURRENCY=1 with 10 workers stalls near 10 hashes/s, not the 33 of an unlimited rng (${plateau})" \
    between 5 "${plateau}" 12.5
rng_ms=$(curl -s -o /dev/null -I -w '%{time_total}' http://127.0.0.1:8001/ | awk '{ printf "%d", $1 * 1000 }')
hasher_ms=$(curl -s -o /dev/null -I -w '%{time_total}' http://127.0.0.1:8002/ | awk '{ printf "%d", $1 * 1000 }')
check "httping rng is slow (${rng_ms} ms) and httping hasher fast (${hasher_ms} ms)" \
    test "${rng_ms}" -ge 200 -a "${rng_ms}" -gt $(( hasher_ms * 5 ))
compose up -d --scale worker=3 >/dev/null
wait_for 120 "rng healthy again" healthy rng worker >/dev/null

say "monitoring ($(( $(date +%s) - started )) s so far)"
compose --profile monitoring up -d prometheus >/dev/null
workers_up() { # rng, hasher, webui and 3 workers, each found by its DNS name, each scraped and up
    [ "$(curl -fsS --max-time 5 http://127.0.0.1:9090/api/v1/targets 2>/dev/null | grep -o '"health":"up"' | wc -l)" -ge 6 ]
}
check "the monitoring profile's Prometheus scrapes every service and every worker replica (3 workers)" \
    wait_for 90 "6 targets up" workers_up

say "stop ($(( $(date +%s) - started )) s so far)"
worker_ids=$(compose ps -q worker)
check "compose stop worker" compose stop worker
codes=$(for id in ${worker_ids}; do engine inspect --format '{{.State.ExitCode}}' "${id}"; done | sort -u | tr '\n' ' ')
check "every worker exits 0 on SIGTERM (exit codes: ${codes})" test "${codes}" = "0 "
# Each worker's final tally line is what Redis holds for it (worker_hashes, by its id: the container's
# hostname), and the per-worker counts of every worker that ever mined add up to hashes.
for id in ${worker_ids}; do
    line=$(engine logs "${id}" 2>&1 | grep -o 'worker \S* counted [0-9]* hashes in all, [0-9]* of them not in Redis' | tail -1)
    worker=$(echo "${line}" | awk '{ print $2 }'); tally=$(echo "${line}" | awk '{ print $4 }')
    held=$(compose exec -T redis redis-cli hget worker_hashes "${worker:-none}" | tr -d '\r')
    check "worker ${worker:-?}'s final tally is in Redis, to the hash (${line:-no tally line}; Redis: ${held})" \
        test -n "${tally}" -a "${tally}" = "${held}" -a "$(echo "${line}" | awk '{ print $8 }')" = 0
done
sum=$(compose exec -T redis redis-cli hvals worker_hashes | tr -d '\r' | awk '{ s += $1 } END { print s }')
in_redis=$(hashes)
check "the per-worker counts add up to Redis hashes (${sum} = ${in_redis})" \
    bash -c "[[ '${in_redis}' =~ ^[0-9]+\$ ]] && [ '${sum}' = '${in_redis}' ]"

say "sizes and memory ($(( $(date +%s) - started )) s so far)"
for service in rng hasher webui redis; do
    for id in $(compose ps -q "${service}"); do
        pid=$(engine inspect --format '{{.State.Pid}}' "${id}")
        printf 'RSS %-7s %s MiB\n' "${service}" "$(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/${pid}/status" 2>/dev/null)"
    done
done
for service in rng hasher worker webui; do
    printf 'SIZE %-7s %s\n' "${service}" "$(engine image inspect --format '{{.Size}}' "ghcr.io/dockercoins-vertx/${service}:1.0.0" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
done
compose --profile monitoring down -v --remove-orphans >/dev/null 2>&1

# ---- each service as the manifests run it ----
say "the manifests' hardening ($(( $(date +%s) - started )) s so far)"
for service in rng hasher worker webui; do
    engine rm -f dockercoins-hardened >/dev/null 2>&1
    engine run -d --name dockercoins-hardened --read-only --tmpfs /tmp:size=64m --cap-drop ALL \
        --security-opt no-new-privileges --user 10001:10001 --memory 256m \
        --sysctl net.ipv4.ip_unprivileged_port_start=0 -e REDIS_URL=redis://127.0.0.1:1 \
        "ghcr.io/dockercoins-vertx/${service}:1.0.0" >/dev/null
    ready() { engine exec dockercoins-hardened curl -fsS -o /dev/null --max-time 2 http://127.0.0.1/readyz; }
    check "${service}: read-only root (writable /tmp), no capabilities, user 10001, 256m: ready on port 80" \
        wait_for 60 "${service} ready" ready
    pid=$(engine inspect --format '{{.State.Pid}}' dockercoins-hardened)
    printf 'RSS %-7s %s MiB idle, hardened\n' "${service}" "$(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/${pid}/status")"
done
engine rm -f dockercoins-hardened >/dev/null 2>&1

# ---- each service as `kubectl create deployment`, `docker run` and `podman run` make it ----
say "no securityContext, no sysctl ($(( $(date +%s) - started )) s so far)"
for service in rng hasher worker webui; do
    engine rm -f dockercoins-plain >/dev/null 2>&1
    engine run -d --name dockercoins-plain -e REDIS_URL=redis://127.0.0.1:1 \
        "ghcr.io/dockercoins-vertx/${service}:1.0.0" >/dev/null
    ready() { engine exec dockercoins-plain curl -fsS -o /dev/null --max-time 2 http://127.0.0.1/readyz; }
    first=$(engine exec dockercoins-plain cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null)
    check "${service}: plain run, first unprivileged port ${first:-?} (the image's file capability): ready on port 80" \
        wait_for 60 "${service} ready" ready
    uid=$(engine exec dockercoins-plain awk '/^Uid:/ { print $2 }' /proc/1/status 2>/dev/null)
    check "${service}: plain run, the JVM listening on 80 runs as user 10001 (${uid:-?})" test "${uid}" = 10001
    if [ "${ENGINE}" = podman ]; then
        check "${service}: plain podman run leaves the sysctl at its default, so the check above means something (${first:-?})" \
            test "${first:-0}" -gt 80
    fi
done
engine rm -f dockercoins-plain >/dev/null 2>&1

echo
echo "containers: $(( $(date +%s) - started )) s"
echo "${passed} passed, ${failed} failed"
[ "${failed}" -eq 0 ]

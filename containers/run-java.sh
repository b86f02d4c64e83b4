#!/bin/sh
# run-java JAVA-ARGUMENTS...: the services' command in the images. Runs the JVM so that it can listen on port 80
# as the non-root user on every runtime, with or without the sysctl net.ipv4.ip_unprivileged_port_start=0.
#
# Docker and containerd 2 set that sysctl, and our manifests and compose.yaml do; a pod made with `kubectl create
# deployment`, `podman run`, containerd 1.7 and CRI-O leave it at 1024, where a non-root user needs the capability
# CAP_NET_BIND_SERVICE. So the image holds a copy of the java launcher with that file capability, java-port-80
# (the Dockerfile makes it), used only when it is needed and can work:
# - PORT is below the sysctl's first unprivileged port (else plain java: nothing to gain);
# - the bounding set still holds the capability: under `capabilities: drop: [ALL]` or `--cap-drop ALL` the kernel
#   refuses to run a file whose capabilities it cannot grant (EPERM);
# - no_new_privs is off: under `allowPrivilegeEscalation: false` file capabilities do not apply, and the sysctl
#   is what our manifests set instead.
# Then exec: the JVM is PID 1 and gets SIGTERM.
set -eu
first_unprivileged=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024)
bounding=$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)
no_new_privs=$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' /proc/self/status)
port=${PORT:-8080}
case $port in
    '' | *[!0-9]*) port=65535 ;;  # not a number: the JVM says so, in one line
esac
# CAP_NET_BIND_SERVICE is capability 10.
if [ "$(id -u)" != 0 ] && [ "$port" -lt "$first_unprivileged" ] && [ "${no_new_privs:-0}" = 0 ] \
    && [ $((0x${bounding:-0} & 0x400)) != 0 ]; then
    exec java-port-80 "$@"
fi
exec java "$@"

#!/usr/bin/env bash
# The cluster test: a real one-node Kubernetes on this machine, and the workshop's kubectl story on it.
#   bash cluster/test.sh                  (as root; CI runs it after the container test)
#   bash cluster/test.sh scale rollout    (bring-up, apply, then only the named checks)
# Checks, in this order: apply speed scale graceful-stop restart bottleneck rollout daemonset logs dry-run,
# then issue 27's components in namespaces of their own: config persistent-redis audit canary quota.
#
# What it runs: Kubernetes 1.20 built from Debian's source package `kubernetes` (no registry ships the
# server binaries; built once, kept in ~/.cache/dockercoins-ci/kubernetes-<Debian version>/), Debian's
# etcd-server, containerd, runc and containernetworking-plugins, and dnsmasq for the cluster DNS. The images
# are the ones containers/test.sh builds in Podman's store, moved into containerd; nothing is pulled.
# Everything listens on loopback or on the pod bridge this run makes; nothing is sent anywhere else.
# Teardown (whatever happens, and at the start for a run that was killed): processes by PID, containers,
# mounts, cgroups, iptables chains, sysctls written back, the bridge, the folders; then it checks that the
# machine is as it was.
#
# A deliberate break, for trying that the test catches it (test-only, named in the output):
#   DOCKERCOINS_CLUSTER_BREAK=probe-port|selector|sigterm bash cluster/test.sh ...
# DOCKERCOINS_CLUSTER_LOGS=<dir> keeps every component's and followed pod's log there;
# DOCKERCOINS_CLUSTER_HOLD=1 keeps the cluster up after the checks until ${RUN}/hold is removed.
set -uo pipefail
{ # Read whole before it runs: editing this file during a run does not change that run.
cd "$(dirname "$0")/.."
REPO="$(pwd)"
CACHE="${HOME}/.cache/dockercoins-ci"
RUN=/var/tmp/dockercoins-cluster     # a fixed place, so a run that was killed is cleaned up by the next
PKI="${RUN}/pki"
LOGS="${RUN}/logs"
SOCK="${RUN}/containerd/containerd.sock"
BRIDGE=dc-cni0
POD_CIDR=10.244.0.0/24
BRIDGE_IP=10.244.0.1                 # the pods' gateway, and where dnsmasq answers
SERVICE_CIDR=10.96.0.0/24
NODE=localhost                       # a name that resolves to 127.0.0.1: the API server reaches the kubelet there
API_PORT=16443
ETCD_PORT=23790
ALL_CHECKS="apply speed scale graceful-stop restart bottleneck rollout daemonset logs dry-run config persistent-redis audit canary quota"
SYSCTLS="kernel.panic kernel.panic_on_oops vm.overcommit_memory vm.panic_on_oom kernel.keys.root_maxkeys
    kernel.keys.root_maxbytes net.ipv4.conf.all.route_localnet net.ipv4.ip_forward net.ipv6.conf.all.forwarding
    net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.netfilter.nf_conntrack_max
    net.netfilter.nf_conntrack_tcp_timeout_established net.netfilter.nf_conntrack_tcp_timeout_close_wait"
# Folders the kubelet, containerd and CNI make outside ${RUN}: removed if they were not there before.
MACHINE_DIRS="/var/lib/kubelet /var/log/pods /var/log/containers /var/lib/cni /run/containerd /var/lib/dockershim
    /etc/kubernetes"
. containers/checks.sh

wanted=" ${*:-${ALL_CHECKS}} "
for name in ${wanted}; do
    case " ${ALL_CHECKS} " in *" ${name} "*) ;; *) echo "cluster/test.sh: unknown check '${name}' (checks: ${ALL_CHECKS})"; exit 2 ;; esac
done
wants() { case "${wanted}" in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

BREAK="${DOCKERCOINS_CLUSTER_BREAK:-}"
case "${BREAK}" in
    ''|probe-port|selector|sigterm) ;;
    *) echo "cluster/test.sh: DOCKERCOINS_CLUSTER_BREAK='${BREAK}' is not one of probe-port, selector, sigterm"; exit 2 ;;
esac

# kubectl and helm: the pinned ones .ci/run installs (a 1.34 kubectl talks to the 1.20 server; it warns
# about the skew, which is what a learner with a current kubectl sees on an old cluster).
PATH="${CACHE}/kubectl-1.34.5:${CACHE}/helm-4.1.4:${PATH}"
for tool in kubectl helm etcd containerd ctr runc dnsmasq openssl iptables ip podman conntrack gcc curl; do
    command -v "${tool}" >/dev/null || { echo "cluster/test.sh: ${tool} is missing (.ci/run installs it)"; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "cluster/test.sh: run it as root (it starts a kubelet)"; exit 1; }
kc() { kubectl --kubeconfig "${PKI}/admin.kubeconfig" --request-timeout=30s "$@" 2> >(grep -v 'version difference\|^Warning: .*deprecated' >&2); }

# ---------------------------------------------------------------------------------------------------------
# The machine as it was, and putting it back
# ---------------------------------------------------------------------------------------------------------
ours() { # pid: is it a process this run started (its command line names ${RUN} or our socket)?
    [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' < "/proc/$1/cmdline" | grep -q "${RUN}"
}
stop_pid() { # name: SIGTERM, 10 s, then SIGKILL; only if the PID is still the process we started
    local file="${RUN}/pids/$1" pid
    [ -f "${file}" ] || return 0
    pid=$(cat "${file}")
    if [ -d "/proc/${pid}" ]; then
        kill "${pid}" 2>/dev/null
        for _ in $(seq 100); do [ -d "/proc/${pid}" ] || break; sleep 0.1; done
        [ -d "/proc/${pid}" ] && kill -9 "${pid}" 2>/dev/null
    fi
    rm -f "${file}"
}
chains() { # every chain of iptables and ip6tables, as "<family> <table> <chain>"
    local family table
    for family in iptables ip6tables; do
        for table in filter nat mangle raw; do
            "${family}-save" -t "${table}" 2>/dev/null | sed -n "s/^:\([^ ]*\) .*/${family} ${table} \1/p"
        done
    done | sort
}
machine_state() { # what this test may change, in a form to compare
    local name dir
    for name in ${SYSCTLS}; do echo "sysctl ${name}=$(sysctl -n "${name}" 2>/dev/null)"; done
    chains | sed 's/^/chain /'
    for dir in ${MACHINE_DIRS}; do [ -e "${dir}" ] && echo "dir ${dir}"; done
    ls -d /sys/fs/cgroup/*/kubepods 2>/dev/null | sed 's/^/cgroup /'
    ls /run/netns 2>/dev/null | sed 's/^/netns /'
    awk '{ print $2 }' /proc/mounts | grep -E '^(/var/lib/kubelet|/run/containerd|/run/netns|/var/run/netns)' | sed 's/^/mount /'
    ip -br link 2>/dev/null | awk '{ sub(/@.*/, "", $1); print "link " $1 }'
    for pid in /proc/[0-9]*; do ours "${pid#/proc/}" && echo "process $(tr '\0' ' ' < "${pid}/cmdline" | cut -c1-60)"; done
}
teardown() {
    [ -f "${RUN}/before.state" ] || return 0
    say "teardown"
    local t0; t0=$(date +%s)
    # Pods first, through the kubelet, so that it stops their sandboxes (CNI DEL, network namespaces, mounts).
    if [ -f "${RUN}/pids/kubelet" ] && kc get --raw /readyz >/dev/null 2>&1; then
        kc delete deployments,daemonsets,replicasets,services,configmaps,secrets,networkpolicies --all --wait=false >/dev/null 2>&1
        kc delete services,deployments,daemonsets,statefulsets,jobs --all-namespaces -l app.kubernetes.io/part-of=dockercoins --wait=false >/dev/null 2>&1
        kc delete pods --all --grace-period=1 --timeout=60s >/dev/null 2>&1
    fi
    for name in dns-feeder dnsmasq kube-proxy kubelet kube-scheduler kube-controller-manager; do stop_pid "${name}"; done
    # What is left of the containers (a sandbox the kubelet had not removed yet, or after a crash).
    if [ -S "${SOCK}" ]; then
        for task in $(ctr -a "${SOCK}" -n k8s.io tasks ls -q 2>/dev/null); do
            ctr -a "${SOCK}" -n k8s.io tasks kill -s SIGKILL "${task}" >/dev/null 2>&1
            sleep 0.2
            ctr -a "${SOCK}" -n k8s.io tasks delete -f "${task}" >/dev/null 2>&1
        done
    fi
    stop_pid containerd
    # containerd's shims outlive it; they are ours when their command line names our socket.
    for pid in /proc/[0-9]*; do pid=${pid#/proc/}; ours "${pid}" && kill -9 "${pid}" 2>/dev/null; done
    # Anything still in the pods' cgroups was started by our kubelet.
    local procs
    procs=$(cat /sys/fs/cgroup/pids/kubepods/cgroup.procs /sys/fs/cgroup/pids/kubepods/*/cgroup.procs \
        /sys/fs/cgroup/pids/kubepods/*/*/cgroup.procs /sys/fs/cgroup/pids/kubepods/*/*/*/cgroup.procs 2>/dev/null)
    [ -n "${procs}" ] && kill -9 ${procs} 2>/dev/null
    stop_pid kube-apiserver
    stop_pid etcd
    sleep 0.5
    # Mounts: the kubelet's (volumes), containerd's (root file systems, /dev/shm), CNI's network namespaces.
    awk '{ print $2 }' /proc/mounts | grep -E "^(/var/lib/kubelet|/run/containerd|/run/netns/cni-|/var/run/netns/cni-|${RUN})" \
        | sort -r | while read -r mountpoint; do umount -l "${mountpoint}" 2>/dev/null; done
    for netns in /run/netns/cni-*; do
        [ -e "${netns}" ] && ! grep -q "^netns ${netns##*/}$" "${RUN}/before.state" && rm -f "${netns}"
    done
    # cgroups the kubelet made (cgroupfs driver: kubepods under every controller), deepest first.
    for dir in /sys/fs/cgroup/*/kubepods; do
        [ -d "${dir}" ] && ! grep -q "^cgroup ${dir}$" "${RUN}/before.state" && find "${dir}" -depth -type d -exec rmdir {} + 2>/dev/null
    done
    # iptables and ip6tables: the chains the kubelet and kube-proxy made (KUBE-*), and the jumps to them.
    local family table chain
    chains | grep -vxFf <(sed -n 's/^chain //p' "${RUN}/before.state") | while read -r family table chain; do
        "${family}-save" -t "${table}" | grep -E "^-A .* -(j|g) ${chain}( |$)" | while read -r rule; do
            eval "${family} -w -t ${table} -D ${rule#-A }" 2>/dev/null
        done
        "${family}" -w -t "${table}" -F "${chain}" 2>/dev/null
    done
    chains | grep -vxFf <(sed -n 's/^chain //p' "${RUN}/before.state") | while read -r family table chain; do
        "${family}" -w -t "${table}" -X "${chain}" 2>/dev/null
    done
    # sysctls: every one the kubelet and kube-proxy may write, back to what it was.
    local setting name value
    sed -n 's/^sysctl //p' "${RUN}/before.state" | while IFS= read -r setting; do
        name=${setting%%=*}; value=${setting#*=}
        [ -n "${value}" ] && [ "$(sysctl -n "${name}" 2>/dev/null)" != "${value}" ] && sysctl -q -w "${name}=${value}" >/dev/null
    done
    ip link del "${BRIDGE}" 2>/dev/null
    for dir in ${MACHINE_DIRS}; do
        [ -e "${dir}" ] && ! grep -q "^dir ${dir}$" "${RUN}/before.state" && rm -rf "${dir}"
    done
    if [ -n "${DOCKERCOINS_CLUSTER_LOGS:-}" ]; then
        mkdir -p "${DOCKERCOINS_CLUSTER_LOGS}" && cp -r "${LOGS}/." "${DOCKERCOINS_CLUSTER_LOGS}/"
        echo "logs kept in ${DOCKERCOINS_CLUSTER_LOGS}"
    fi
    TEARDOWN_BEFORE=$(cat "${RUN}/before.state")
    rm -rf "${RUN}"
    echo "teardown: $(( $(date +%s) - t0 )) s"
}
finish() { # exit code of the script
    [ "$1" != 0 ] && [ -f "${RUN}/before.state" ] && fail "the run stopped before its end (exit $1)"
    TEARDOWN_BEFORE=
    teardown
    if [ -n "${TEARDOWN_BEFORE}" ]; then
        local after; after=$(machine_state)
        if [ "${TEARDOWN_BEFORE}" = "${after}" ]; then
            pass "teardown: the machine is as before (sysctls, iptables chains, folders, cgroups, mounts, links, processes)"
        else
            fail "teardown: the machine differs from before the run:"
            diff <(printf '%s\n' "${TEARDOWN_BEFORE}") <(printf '%s\n' "${after}") | grep '^[<>]'
        fi
    fi
    echo
    echo "cluster: $(( $(date +%s) - started )) s"
    echo "${passed} passed, ${failed} failed"
    [ "${failed}" -eq 0 ]
}
trap 'exit 143' TERM INT
trap 'finish $?; exit $?' EXIT

# A run that was killed left its state in ${RUN}: put the machine back first.
if [ -f "${RUN}/before.state" ]; then
    loud "a previous run left ${RUN}: tearing it down first"
    teardown
fi
rm -rf "${RUN}"
mkdir -p "${RUN}" "${PKI}" "${LOGS}" "${RUN}/pids"
chmod 0755 "${RUN}"
machine_state > "${RUN}/before.state"

# ---------------------------------------------------------------------------------------------------------
# The binaries: built from Debian's source package once, cached by its version
# ---------------------------------------------------------------------------------------------------------
say "Kubernetes binaries"
BINARIES="kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy"
if ! apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Version:'; then
    # The source package needs deb-src lines (Debian's images have only deb lines).
    echo "adding deb-src lines for bookworm and bookworm-security (/etc/apt/sources.list.d/dockercoins-ci-src.sources)"
    cat > /etc/apt/sources.list.d/dockercoins-ci-src.sources <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    apt-get update -qq
fi
KUBE_VERSION=$(apt-cache showsrc kubernetes | awk '/^Version:/ { print $2 }' | sort -V | tail -1)
BIN="${CACHE}/kubernetes-${KUBE_VERSION}"
if ls "${BIN}"/{kube-apiserver,kube-controller-manager,kube-scheduler,kubelet,kube-proxy,pause} >/dev/null 2>&1; then
    echo "cached: ${BIN}"
else
    loud "building Kubernetes from Debian's source package kubernetes ${KUBE_VERSION} (once; about 20-30 min on 2 cores)"
    build_started=$(date +%s)
    build="${CACHE}/kubernetes-build"
    rm -rf "${build}" && mkdir -p "${build}"
    (cd "${build}" && apt-get source -qq "kubernetes=${KUBE_VERSION}" > apt-source.log 2>&1) \
        || { tail -20 "${build}/apt-source.log"; exit 1; }
    tree=$(find "${build}" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -1)
    mkdir -p "${tree}/.go/src/k8s.io" && ln -sfn ../../.. "${tree}/.go/src/k8s.io/kubernetes"
    # Offline: everything is in the tree's vendor/.
    (cd "${tree}" && GOPATH="${tree}/.go" CGO_ENABLED=0 GOFLAGS=-mod=vendor GOPROXY=off \
        nice -n 10 make WHAT="cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler cmd/kubelet cmd/kube-proxy" \
        > "${build}/build.log" 2>&1) || { tail -30 "${build}/build.log"; exit 1; }
    mkdir -p "${BIN}.new"
    for binary in ${BINARIES}; do cp "${tree}/_output/local/bin/linux/amd64/${binary}" "${BIN}.new/"; done
    # The pod sandbox's pause process, from the same tree (no registry serves the pause image here).
    gcc -Os -static -o "${BIN}.new/pause" "${tree}/build/pause/linux/pause.c"
    rm -rf "${BIN}" && mv "${BIN}.new" "${BIN}"
    rm -rf "${build}"
    echo "built in $(( $(date +%s) - build_started )) s: ${BIN}"
fi
"${BIN}/kube-apiserver" --version

# ---------------------------------------------------------------------------------------------------------
# Bring-up
# ---------------------------------------------------------------------------------------------------------
say "certificates"
bring_up_started=$(date +%s)
(
    cd "${PKI}"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=dockercoins-ci-ca 2>/dev/null
    sign() { # name subject extensions
        openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -subj "$2" 2>/dev/null \
            | openssl x509 -req -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out "$1.crt" -extfile <(printf '%s\n' "$3") 2>/dev/null
    }
    sign apiserver /CN=kube-apiserver "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage=serverAuth"
    # One client identity in system:masters for kubectl and every component: a throw-away cluster on loopback.
    sign admin "/O=system:masters/CN=dockercoins-ci-admin" "extendedKeyUsage=clientAuth"
    openssl genrsa -out sa.key 2048 2>/dev/null && openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    cat > admin.kubeconfig <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: dockercoins-ci
    cluster: {server: "https://127.0.0.1:${API_PORT}", certificate-authority: "${PKI}/ca.crt"}
users:
  - name: admin
    user: {client-certificate: "${PKI}/admin.crt", client-key: "${PKI}/admin.key"}
contexts:
  - name: dockercoins-ci
    context: {cluster: dockercoins-ci, user: admin, namespace: default}
current-context: dockercoins-ci
EOF
)
check "certificates: CA, API server, admin, service-account keys" test -s "${PKI}/sa.pub" -a -s "${PKI}/admin.crt" -a -s "${PKI}/apiserver.crt"

start() { # name command... (in the background, its PID kept for the teardown)
    local name=$1; shift
    "$@" > "${LOGS}/${name}.log" 2>&1 &
    echo $! > "${RUN}/pids/${name}"
    disown    # ended by the teardown, by PID; no job notices
}
api_ready() { kc get --raw /readyz; }

say "etcd, API server, controller-manager, scheduler"
start etcd etcd --name dockercoins-ci --data-dir "${RUN}/etcd" \
    --listen-client-urls "http://127.0.0.1:${ETCD_PORT}" --advertise-client-urls "http://127.0.0.1:${ETCD_PORT}" \
    --listen-peer-urls http://127.0.0.1:23800 --initial-advertise-peer-urls http://127.0.0.1:23800 \
    --initial-cluster dockercoins-ci=http://127.0.0.1:23800 --listen-metrics-urls http://127.0.0.1:23810
start kube-apiserver "${BIN}/kube-apiserver" --etcd-servers "http://127.0.0.1:${ETCD_PORT}" \
    --bind-address 127.0.0.1 --secure-port "${API_PORT}" --insecure-port 0 \
    --advertise-address 127.0.0.1 --endpoint-reconciler-type none \
    --service-cluster-ip-range "${SERVICE_CIDR}" --authorization-mode Node,RBAC \
    --client-ca-file "${PKI}/ca.crt" --tls-cert-file "${PKI}/apiserver.crt" --tls-private-key-file "${PKI}/apiserver.key" \
    --kubelet-client-certificate "${PKI}/admin.crt" --kubelet-client-key "${PKI}/admin.key" \
    --kubelet-preferred-address-types Hostname \
    --service-account-key-file "${PKI}/sa.pub" --service-account-signing-key-file "${PKI}/sa.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local --api-audiences https://kubernetes.default.svc.cluster.local
check "the API server answers /readyz on 127.0.0.1:${API_PORT}" wait_for 90 "API server ready" api_ready
start kube-controller-manager "${BIN}/kube-controller-manager" --kubeconfig "${PKI}/admin.kubeconfig" \
    --bind-address 127.0.0.1 --port 0 --leader-elect=false \
    --service-account-private-key-file "${PKI}/sa.key" --root-ca-file "${PKI}/ca.crt" \
    --service-cluster-ip-range "${SERVICE_CIDR}" --cluster-cidr "${POD_CIDR}"
start kube-scheduler "${BIN}/kube-scheduler" --kubeconfig "${PKI}/admin.kubeconfig" \
    --bind-address 127.0.0.1 --port 0 --leader-elect=false

say "containerd, images, kubelet, kube-proxy, cluster DNS"
mkdir -p "${RUN}/containerd" "${RUN}/cni"
# The pods' bridge, made before the kubelet so that dnsmasq can listen on its address from the start;
# CNI's bridge plugin takes it as it is.
ip link add "${BRIDGE}" type bridge && ip addr add "${BRIDGE_IP}/24" dev "${BRIDGE}" && ip link set "${BRIDGE}" up
cat > "${RUN}/cni/10-dockercoins-ci.conflist" <<EOF
{"cniVersion": "0.4.0", "name": "dockercoins-ci", "plugins": [
  {"type": "bridge", "bridge": "${BRIDGE}", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "dataDir": "${RUN}/cni-ipam", "routes": [{"dst": "0.0.0.0/0"}],
            "ranges": [[{"subnet": "${POD_CIDR}", "gateway": "${BRIDGE_IP}"}]]}}]}
EOF
# restrict_oom_score_adj: this sandbox lacks CAP_SYS_RESOURCE, and runc cannot give a container a negative
# oom_score_adj ("can't get final child's PID from pipe: EOF" for every pod otherwise).
cat > "${RUN}/containerd/config.toml" <<EOF
version = 2
root = "${RUN}/containerd/root"
state = "${RUN}/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "${SOCK}"
[ttrpc]
  address = "${SOCK}.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "${RUN}/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/dockercoins-ci/pause:3.2"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${RUN}/cni"
EOF
start containerd containerd --config "${RUN}/containerd/config.toml"
check "containerd answers on its own socket" wait_for 30 "containerd" ctr -a "${SOCK}" version

images_started=$(date +%s)
IMAGES="ghcr.io/dockercoins-vertx/rng:1.0.0 ghcr.io/dockercoins-vertx/hasher:1.0.0 ghcr.io/dockercoins-vertx/worker:1.0.0
    ghcr.io/dockercoins-vertx/webui:1.0.0 docker.io/library/redis:7.4.11-alpine"
for image in ${IMAGES}; do
    podman image exists "${image}" \
        || { echo "cluster/test.sh: ${image} is not in Podman's store: run bash containers/test.sh first (it builds the images)"; exit 1; }
done
# A stand-in Redis (containers/test.sh builds one where no registry answers) must be of today's Containerfile.
stand_in=$(podman image inspect --format '{{ index .Config.Labels "dockercoins.stand-in" }}' docker.io/library/redis:7.4.11-alpine)
if [ -n "${stand_in}" ] && [ "${stand_in}" != "$(sha256sum < containers/stand-ins/Containerfile.redis | cut -c1-12)" ]; then
    echo "cluster/test.sh: the Redis stand-in in Podman's store is not of containers/stand-ins/Containerfile.redis: run bash containers/test.sh first"
    exit 1
fi
[ -n "${stand_in}" ] && loud "STAND-IN in use for redis:7.4.11-alpine (Debian's Redis, built by containers/test.sh)"
mkdir -p "${RUN}/pause-root" && cp "${BIN}/pause" "${RUN}/pause-root/pause"
tar -C "${RUN}/pause-root" -c pause | podman import -q --change 'ENTRYPOINT ["/pause"]' - localhost/dockercoins-ci/pause:3.2 >/dev/null
podman save -q -m -o "${RUN}/images.tar" localhost/dockercoins-ci/pause:3.2 ${IMAGES}
podman rmi -f localhost/dockercoins-ci/pause:3.2 >/dev/null 2>&1
check "the images (ours, the Redis stand-in and the pause image) imported into containerd, nothing pulled" \
    ctr -a "${SOCK}" -n k8s.io images import "${RUN}/images.tar"
rm -f "${RUN}/images.tar"
echo "images: $(( $(date +%s) - images_started )) s"

mkdir -p "${RUN}/kubelet"
cat > "${RUN}/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: "${PKI}/ca.crt"}
authorization: {mode: AlwaysAllow}
cgroupDriver: cgroupfs
failSwapOn: false
clusterDNS: ["${BRIDGE_IP}"]
clusterDomain: cluster.local
# The manifests' pods set it (Pod Security's safe set since 1.22; 1.20 calls it unsafe).
allowedUnsafeSysctls: ["net.ipv4.ip_unprivileged_port_start"]
# A shared CI machine: evict nothing for a disk or memory that other jobs fill.
evictionHard: {memory.available: "50Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
EOF
start kubelet "${BIN}/kubelet" --config "${RUN}/kubelet/config.yaml" --kubeconfig "${PKI}/admin.kubeconfig" \
    --container-runtime remote --container-runtime-endpoint "unix://${SOCK}" \
    --hostname-override "${NODE}" --cert-dir "${RUN}/kubelet/pki"
start kube-proxy "${BIN}/kube-proxy" --kubeconfig "${PKI}/admin.kubeconfig" --proxy-mode iptables \
    --hostname-override "${NODE}" --cluster-cidr "${POD_CIDR}" --nodeport-addresses 127.0.0.0/8 \
    --metrics-bind-address 127.0.0.1:10249 --healthz-bind-address 127.0.0.1:10256 \
    --conntrack-max-per-core 0 --conntrack-tcp-timeout-established 0 --conntrack-tcp-timeout-close-wait 0

# Cluster DNS: dnsmasq (Debian's dnsmasq-base) answers on the bridge from a hosts directory that a small loop
# fills with "<ClusterIP> <service>.<namespace>.svc.cluster.local" from the API's Services. dnsmasq because
# Debian has no CoreDNS and dnsmasq is a real, small DNS server that re-reads a hosts directory by itself
# when a file changes (bind9 would need zone files and reloads); the pods' resolv.conf (the kubelet's
# clusterDNS and search path) makes `rng`, `hasher` and `redis` resolve exactly as on any cluster.
mkdir -p "${RUN}/dns" && chmod 0755 "${RUN}/dns"
start dnsmasq dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --no-negcache \
    --bind-interfaces --listen-address "${BRIDGE_IP}" --hostsdir "${RUN}/dns" --local /cluster.local/ \
    --pid-file="${RUN}/dnsmasq.pid" --log-facility=- --user=root
feed_dns() {
    while true; do
        kc get services --all-namespaces -o \
            jsonpath='{range .items[*]}{.spec.clusterIP} {.metadata.name}.{.metadata.namespace}.svc.cluster.local{"\n"}{end}' \
            2>/dev/null | grep -v '^None ' > "${RUN}/dns.next" \
            && ! cmp -s "${RUN}/dns.next" "${RUN}/dns/services" && mv "${RUN}/dns.next" "${RUN}/dns/services"
        sleep 1
    done
}
feed_dns > "${LOGS}/dns-feeder.log" 2>&1 &
echo $! > "${RUN}/pids/dns-feeder"
disown

node_ready() { [ "$(kc get node "${NODE}" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]; }
check "node ${NODE} Ready" wait_for 120 "node Ready" node_ready
check "the default ServiceAccount exists (the controller-manager runs)" wait_for 60 "default ServiceAccount" kc get serviceaccount default
echo "bring-up: $(( $(date +%s) - bring_up_started )) s (images included)"
if [ "${failed}" -gt 0 ]; then
    for name in kube-apiserver kubelet containerd; do echo "--- ${name}.log"; tail -15 "${LOGS}/${name}.log"; done
    exit 1
fi

# ---------------------------------------------------------------------------------------------------------
# Helpers for the checks
# ---------------------------------------------------------------------------------------------------------
NODE_PORT=
json() { curl -fsS --max-time 5 "http://127.0.0.1:${NODE_PORT}/json"; }
field() { grep -o "\"$1\":[0-9.]*" | head -1 | cut -d: -f2; }   # the first: the workers' list has its own
hashes() { json | field hashes; }
versions() { json | grep -o '"version":"[^"]*"' | sed 's/"version":"\(.*\)"/\1/' | sort -u | tr '\n' ' '; }
active_workers() { json | grep -o '"id":"[^"]*"' | wc -l; }
speed() { # hashes/s from /json over a window, one decimal
    local window=$1 before after
    before=$(hashes); sleep "${window}"; after=$(hashes)
    awk -v d=$(( ${after:-0} - ${before:-0} )) -v w="${window}" 'BEGIN { printf "%.1f", d / w }'
}
redis_cli() { kc exec deploy/redis -- redis-cli "$@" | tr -d '\r'; }
worker_pods() { kc get pods -l app=worker --field-selector=status.phase=Running -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}'; }
follow_logs() { # pod...: stream each pod's log to ${LOGS}/<pod>.log until its container stops
    local pod
    for pod in "$@"; do kc logs -f --request-timeout=0 "${pod}" > "${LOGS}/${pod}.log" 2>&1 & disown; done
}
rollout() { # deployment [namespace]: rollout status within 120 s; on failure, what the pod's events say
    local ns=${2:-default}
    if kc -n "${ns}" rollout status "deploy/$1" --timeout=120s >/dev/null; then return 0; fi
    echo "deploy/$1 did not roll out in namespace ${ns}; its pods' events:"
    kc -n "${ns}" get events --field-selector involvedObject.kind=Pod -o \
        jsonpath='{range .items[*]}{.involvedObject.name}: {.reason}: {.message}{"\n"}{end}' | grep "^$1-" | sort | uniq | tail -8
    return 1
}
scale_workers() { # n: scale, roll out, and wait until the dashboard shows n active workers
    kc scale deploy/worker --replicas="$1" >/dev/null && rollout worker \
        && wait_for 60 "$1 active workers on the dashboard" bash -c "[ \"\$(curl -fsS --max-time 5 http://127.0.0.1:${NODE_PORT}/json | grep -o '\"id\":\"[^\"]*\"' | wc -l)\" = $1 ]"
}
final_tallies_match() { # pod...: each stopped worker's last log line about its tally equals worker_hashes in Redis
    local pod line tally held ok=0
    for pod in "$@"; do
        line=$(grep -o 'worker \S* counted [0-9]* hashes in all, [0-9]* of them not in Redis' "${LOGS}/${pod}.log" | tail -1)
        tally=$(echo "${line}" | awk '{ print $4 }')
        held=$(redis_cli hget worker_hashes "${pod}")
        if [ -n "${line}" ] && [ "${tally}" = "${held}" ] && [ "$(echo "${line}" | awk '{ print $8 }')" = 0 ]; then
            echo "  ${pod}: ${line}; Redis worker_hashes: ${held}"
        else
            echo "  ${pod}: final tally '${line:-none in its log: it did not stop on SIGTERM}'; Redis worker_hashes: ${held:-none}; its log ends:"
            tail -3 "${LOGS}/${pod}.log" | sed 's/^/    /'
            ok=1
        fi
    done
    return "${ok}"
}
errors_total() { # failed loops of every running worker, from each pod's /metrics on its pod address
    local ip sum=0 n
    for ip in $(kc get pods -l app=worker -o jsonpath='{range .items[*]}{.status.podIP}{" "}{end}'); do
        n=$(curl -fsS --max-time 5 "http://${ip}/metrics" | awk '/^dockercoins_worker_errors_total/ { s += $2 } END { printf "%d", s }')
        sum=$(( sum + ${n:-0} ))
    done
    echo "${sum}"
}

# ---------------------------------------------------------------------------------------------------------
# apply: the one-file manifest, as the workshop does
# ---------------------------------------------------------------------------------------------------------
say "apply"
manifest="${REPO}/dockercoins.yaml"
if [ -n "${BREAK}" ]; then
    mkdir -p "${RUN}/break" && cp "${REPO}/dockercoins.yaml" "${RUN}/break/"
    case "${BREAK}" in
        probe-port) what="rng's readinessProbe on port 81, where nothing listens"
            target="{kind: Deployment, name: rng}"
            op='{"op": "replace", "path": "/spec/template/spec/containers/0/readinessProbe/httpGet/port", "value": 81}' ;;
        selector) what="Service hasher selects app=hasherr (a typo)"
            target="{kind: Service, name: hasher}"
            op='{"op": "replace", "path": "/spec/selector/app", "value": "hasherr"}' ;;
        sigterm) what="the worker runs under a shell (PID 1) that ignores SIGTERM and never passes it on"
            target="{kind: Deployment, name: worker}"
            op='{"op": "add", "path": "/spec/template/spec/containers/0/command", "value": ["sh", "-c", "trap \"\" TERM; java @/app/jvm.options -XX:AOTCache=/app/worker.aot -jar /app/worker.jar & wait"]}' ;;
    esac
    cat > "${RUN}/break/kustomization.yaml" <<EOF
resources: [dockercoins.yaml]
patches:
  - target: ${target}
    patch: |-
      [${op}]
EOF
    kubectl kustomize "${RUN}/break" > "${RUN}/break/broken.yaml" || exit 1
    manifest="${RUN}/break/broken.yaml"
    loud "TEST-ONLY BREAK (DOCKERCOINS_CLUSTER_BREAK=${BREAK}): ${what}"
fi
apply_manifest() { kc apply -f "${manifest}" >/dev/null; }
check "kubectl apply -f dockercoins.yaml" apply_manifest
for deployment in redis rng hasher worker webui; do
    check "kubectl rollout status deploy/${deployment}" rollout "${deployment}"
done
all_ready() { [ -z "$(kc get pods -o jsonpath='{range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -v ' True$')" ]; }
check "every pod Ready through its own probes" wait_for 60 "every pod Ready" all_ready
for service in rng hasher worker webui; do
    pod=$(kc get pods -l "app=${service}" -o jsonpath='{.items[0].metadata.name}')
    seen=$(kc exec "${pod}" -- sh -c 'echo "uid=$(id -u) caps=$(sed -n "s/^CapEff:\t//p" /proc/1/status) root=$(touch /x 2>/dev/null && echo writable || echo read-only) port80=$(curl -fsS -o /dev/null -w %{http_code} http://127.0.0.1:80/readyz)"' 2>&1)
    check "${service}: answers on port 80 as user 10001, no capabilities, read-only root (${seen})" \
        test "${seen}" = "uid=10001 caps=0000000000000000 root=read-only port80=200"
done
for service in redis rng hasher webui; do
    addresses=$(kc get endpoints "${service}" -o jsonpath='{.subsets[*].addresses[*].ip}' 2>/dev/null)
    check "Service ${service} has endpoints (${addresses:-none: its selector matches no Ready pod})" test -n "${addresses}"
done
resolved=$(kc exec deploy/webui -- sh -c 'for name in rng hasher redis; do getent hosts $name | awk "{ printf \"%s=%s \", \"$name\", \$1 }"; done' 2>&1)
expected=$(for name in rng hasher redis; do printf '%s=%s ' "${name}" "$(kc get svc "${name}" -o jsonpath='{.spec.clusterIP}')"; done)
check "cluster DNS: rng, hasher and redis resolve inside a pod to their ClusterIPs (${resolved})" test "${resolved}" = "${expected}"
NODE_PORT=$(kc get svc webui -o jsonpath='{.spec.ports[0].nodePort}')
check "the dashboard's /json answers through the webui's NodePort (127.0.0.1:${NODE_PORT})" wait_for 30 "/json" json

# ---------------------------------------------------------------------------------------------------------
if wants speed; then
    say "speed: one worker"
    scale_workers 1 >/dev/null
    first=$(hashes); sleep 2; second=$(hashes)
    check "/json's hashes grow (${first:-?} then ${second:-?})" test "${second:-0}" -gt "${first:-0}"
    one=$(speed 10)
    check "one worker mines about 3 hashes/s (${one})" between 2.4 "${one}" 4.0
fi

# ---------------------------------------------------------------------------------------------------------
if wants scale; then
    say "kubectl scale deploy/worker --replicas=5, then back to 1"
    check "one worker on the dashboard" scale_workers 1
    sleep 3
    one=$(speed 10)
    check "kubectl scale deploy/worker --replicas=5: 5 workers on the dashboard" scale_workers 5
    pods=$(worker_pods)
    follow_logs ${pods}
    sleep 3
    five=$(speed 10)
    check "5 workers mine at least 4 times as fast as one (${one} -> ${five} hashes/s)" \
        at_least "${five}" "$(awk -v one="${one}" 'BEGIN { print one * 4 }')"
    echo "SCALE 1 worker ${one} hashes/s, 5 workers ${five} hashes/s (/json speed: $(json | field speed))"
    kc scale deploy/worker --replicas=1 >/dev/null
    gone() { [ "$(kc get pods -l app=worker -o name | wc -l)" = 1 ]; }
    t0=$(date +%s)
    check "back to 1: the 4 stopped workers are gone" wait_for 120 "4 workers gone" gone
    echo "scale-down: $(( $(date +%s) - t0 )) s until the pods were gone"
    stopped=$(comm -23 <(echo "${pods}" | sort) <(kc get pods -l app=worker -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' | sort))
    sleep 1
    check "each stopped worker's final tally (its log) equals its worker_hashes in Redis" final_tallies_match ${stopped}
fi

# ---------------------------------------------------------------------------------------------------------
if wants graceful-stop; then
    say "graceful stop: kubectl delete pod"
    scale_workers 1 >/dev/null
    pod=$(worker_pods | head -1)
    follow_logs "${pod}"
    sleep 3
    t0=$(date +%s)
    kc delete pod "${pod}" --wait=true --timeout=60s >/dev/null
    took=$(( $(date +%s) - t0 ))
    sleep 1
    # The worker's own word that it stopped on SIGTERM: the time until the pod is gone from the API is the
    # kubelet's (1.20 took from 4 to 55 s here after a worker that stopped in milliseconds).
    stopped_in=$(grep -o 'worker stopped in [0-9]* ms' "${LOGS}/${pod}.log" | tail -1)
    check "kubectl delete pod ${pod}: the worker stopped on SIGTERM (${stopped_in:-no 'worker stopped' line in its log}; pod gone after ${took} s)" \
        test -n "${stopped_in}"
    check "the deleted worker lost no counted hash: its final tally equals its worker_hashes" final_tallies_match "${pod}"
fi

# ---------------------------------------------------------------------------------------------------------
if wants restart; then
    say "rolling restart of rng and hasher under load"
    scale_workers 3 >/dev/null
    sleep 3
    before=$(errors_total); hashes_before=$(hashes)
    kc rollout restart deploy/rng deploy/hasher >/dev/null
    rollout rng >/dev/null; rollout hasher >/dev/null
    # The old pods' preStop and drain: wait until they are gone.
    old_gone() { [ "$(kc get pods -l 'app in (rng,hasher)' -o name | wc -l)" = 2 ]; }
    wait_for 60 "old rng and hasher pods gone" old_gone
    sleep 2
    after=$(errors_total); hashes_after=$(hashes)
    check "kubectl rollout restart deploy/rng deploy/hasher: no failed loop in the workers' metrics (errors ${before} -> ${after}), mining went on (${hashes_before} -> ${hashes_after} hashes)" \
        test "${after}" = "${before}" -a "${hashes_after:-0}" -gt "${hashes_before:-0}"
fi

# ---------------------------------------------------------------------------------------------------------
if wants bottleneck; then
    say "the workshop's bottleneck: RNG_CONCURRENCY=1, 10 workers"
    kc set env deploy/rng RNG_CONCURRENCY=1 >/dev/null
    check "kubectl set env deploy/rng RNG_CONCURRENCY=1 rolls out" rollout rng
    check "10 workers on the dashboard" scale_workers 10
    sleep 10
    plateau=$(speed 20)
    check "10 workers stall near 10 hashes/s, not the 33 of an unlimited rng (${plateau})" between 6 "${plateau}" 12.5
    rng_ip=$(kc get svc rng -o jsonpath='{.spec.clusterIP}'); hasher_ip=$(kc get svc hasher -o jsonpath='{.spec.clusterIP}')
    rng_ms=$(curl -s -o /dev/null -I --max-time 10 -w '%{time_total}' "http://${rng_ip}/" | awk '{ printf "%d", $1 * 1000 }')
    hasher_ms=$(curl -s -o /dev/null -I --max-time 10 -w '%{time_total}' "http://${hasher_ip}/" | awk '{ printf "%d", $1 * 1000 }')
    check "HEAD / on rng's ClusterIP is slow (${rng_ms} ms), on hasher's fast (${hasher_ms} ms)" \
        test "${rng_ms}" -ge 200 -a "${rng_ms}" -gt $(( hasher_ms * 5 ))
    echo "BOTTLENECK 10 workers, RNG_CONCURRENCY=1: ${plateau} hashes/s; HEAD / rng ${rng_ms} ms, hasher ${hasher_ms} ms"
    kc set env deploy/rng RNG_CONCURRENCY- >/dev/null
    rollout rng >/dev/null
    scale_workers 1 >/dev/null
fi

# ---------------------------------------------------------------------------------------------------------
if wants rollout; then
    say "rollout: kubectl set env deploy/worker APP_VERSION=v0.2, then rollout undo"
    scale_workers 3 >/dev/null
    kc set env deploy/worker APP_VERSION=v0.2 >/dev/null
    kc rollout status deploy/worker --timeout=180s > "${LOGS}/rollout.log" 2>&1 &
    status_pid=$!
    both=no; backwards=no; last=0; snapshots=0
    while kill -0 "${status_pid}" 2>/dev/null || [ "${snapshots}" -lt 3 ]; do
        now=$(json); snapshots=$((snapshots + 1))
        [ "$(echo "${now}" | grep -o '"version":"[^"]*"' | sort -u | tr '\n' ' ')" = '"version":"1.0.0" "version":"v0.2" ' ] && both=yes
        h=$(echo "${now}" | field hashes); [ -n "${h}" ] && { [ "${h}" -lt "${last}" ] && backwards=yes; last=${h}; }
        sleep 1
    done
    wait "${status_pid}"; status=$?
    check "kubectl rollout status deploy/worker after set env APP_VERSION=v0.2" test "${status}" = 0
    check "/json showed both versions, 1.0.0 and v0.2, during the rollout (${snapshots} snapshots)" test "${both}" = yes
    only() { [ "$(versions)" = "$1 " ]; }
    wait_for 30 "only v0.2" only v0.2
    check "then only v0.2 ($(versions))" only v0.2
    check "the total hashes never went backwards during the rollout (last ${last})" test "${backwards}" = no
    check "kubectl rollout undo deploy/worker" kc rollout undo deploy/worker
    rollout worker >/dev/null
    wait_for 60 "only 1.0.0" only 1.0.0
    check "after the undo, only 1.0.0 again ($(versions))" only 1.0.0
    scale_workers 1 >/dev/null
fi

# ---------------------------------------------------------------------------------------------------------
if wants daemonset; then
    say "the DaemonSet chapter, the workshop's way"
    # As the workshop: a Deployment's YAML from kubectl create, its kind changed, applied without validation
    # (the fields a DaemonSet lacks are dropped). No securityContext, no sysctl: port 80 as the image's user.
    kc create deployment rng --image=ghcr.io/dockercoins-vertx/rng:1.0.0 --dry-run=client -o yaml \
        | sed 's/^kind: Deployment/kind: DaemonSet/' > "${RUN}/rng-daemonset.yaml"
    check "kubectl apply -f rng.yml --validate=false (kind: DaemonSet)" kc apply -f "${RUN}/rng-daemonset.yaml" --validate=false
    if ! kc rollout status ds/rng --timeout=90s >/dev/null 2>&1; then
        ds_pod=$(kc get pods -l app=rng -o jsonpath='{range .items[?(@.metadata.ownerReferences[0].kind=="DaemonSet")]}{.metadata.name}{end}')
        fail "the DaemonSet's pod (no securityContext, no sysctl) becomes Ready: can the image listen on port 80 as 10001 by itself? Its log: $(kc logs "${ds_pod}" --tail=3 2>&1 | tr '\n' ' ')"
    else
        pass "the DaemonSet's pod (no securityContext, no sysctl) becomes Ready"
        ds_pod=$(kc get pods -l app=rng -o jsonpath='{range .items[?(@.metadata.ownerReferences[0].kind=="DaemonSet")]}{.metadata.name}{end}')
        ds_ip=$(kc get pod "${ds_pod}" -o jsonpath='{.status.podIP}')
        in_endpoints() { kc get endpoints rng -o jsonpath='{.subsets[*].addresses[*].ip}' | grep -qw "${ds_ip}"; }
        check "its pod (${ds_ip}) is an endpoint of Service rng" wait_for 30 "DaemonSet pod in rng's endpoints" in_endpoints
        # A worker picks an rng pod per connection and renews its connections every 3 to 5 s: each renewal has an
        # even chance of reaching the new pod, so it gets traffic within seconds, not at once.
        # Not logs ds/rng: the Deployment's pods match too.
        ds_served() { kc logs "${ds_pod}" | grep -c 'GET /32'; }
        ds_has_traffic() { [ "$(ds_served)" -gt 0 ]; }
        wait_for 60 "the DaemonSet's pod gets a GET /32" ds_has_traffic || true
        check "it gets the workers' traffic ($(ds_served) GET /32 in its access log)" ds_has_traffic
    fi
    kc delete daemonset rng --wait=true --timeout=60s >/dev/null
fi

# ---------------------------------------------------------------------------------------------------------
if wants logs; then
    say "kubectl logs deploy/worker"
    lines=$(kc logs deploy/worker --tail=200)
    check "kubectl logs deploy/worker shows the original's lines ($(echo "${lines}" | grep -m1 -o '[0-9]* units of work done, updating hash counter'))" \
        grep -q 'units of work done, updating hash counter' <<< "${lines}"
fi

# ---------------------------------------------------------------------------------------------------------
if wants dry-run; then
    say "kubectl apply --dry-run=server: every overlay, each component on the base, and the chart"
    # A 1.20 API server lacks some kinds (CRDs such as the Prometheus Operator's PodMonitor, and APIs newer
    # than 1.20: policy/v1, autoscaling/v2, batch/v1 CronJob). Those objects are named and left to the
    # renderers' checks (deploy-checks); so are fields newer than 1.20 (a Job's podFailurePolicy, 1.26+), which
    # kubectl's validation refuses against this server's schema and the server itself drops: the objects are
    # then sent again with --validate=false and the fields named. Any other refusal fails.
    dry_run() { # description, rendered manifests on stdin
        local what=$1 input out missing newer refused
        input=$(cat)
        out=$(echo "${input}" | kc apply --dry-run=server -f - 2>&1)
        newer=$(echo "${out}" | sed -n 's/.*unknown field "\([^"]*\)" in \([A-Za-z0-9_.]*\).*/\2.\1/p' | sort -u | tr '\n' ',' | sed 's/,$//; s/,/, /g')
        [ -n "${newer}" ] && out=$(echo "${input}" | kc apply --dry-run=server --validate=false -f - 2>&1)
        missing=$(echo "${out}" | sed -n 's/.*no matches for kind "\([^"]*\)" in version "\([^"]*\)".*/\2 \1/p' | sort -u | tr '\n' ',' | sed 's/,$//; s/,/, /g')
        refused=$(echo "${out}" | grep -v 'created (server dry run)\|configured (server dry run)\|unchanged (server dry run)\|no matches for kind\|ensure CRDs are installed first\|^Warning:' )
        if [ -n "${refused}" ]; then
            fail "${what}: refused by the API server:"; echo "${refused}" | sed 's/^/    /'
        else
            pass "${what}: accepted by the API server ($(echo "${out}" | grep -c 'server dry run') objects)"
        fi
        [ -n "${missing}" ] && echo "    LEFT TO THE RENDERER CHECKS (not served by this 1.20 API server: a CRD or a newer API): ${missing}"
        [ -n "${newer}" ] && echo "    LEFT TO THE RENDERER CHECKS (fields newer than this 1.20 API server, which drops them; sent with --validate=false): ${newer}"
        return 0
    }
    mkdir -p "${RUN}/components"
    for overlay in "${REPO}"/manifests/overlays/*/ "${REPO}/manifests/"; do
        kubectl kustomize "${overlay}" > "${RUN}/rendered.yaml" 2> "${RUN}/render.log" \
            || { fail "kubectl kustomize ${overlay#"${REPO}"/}: $(head -3 "${RUN}/render.log")"; continue; }
        dry_run "kubectl apply -k ${overlay#"${REPO}"/} --dry-run=server" < "${RUN}/rendered.yaml"
    done
    for component in "${REPO}"/manifests/components/*/; do
        name=$(basename "${component}")
        dir="${RUN}/components/${name}"
        mkdir -p "${dir}"
        printf 'resources: [%s]\ncomponents: [%s]\n' "$(realpath --relative-to="${dir}" "${REPO}/manifests/base")" \
            "$(realpath --relative-to="${dir}" "${component}")" > "${dir}/kustomization.yaml"
        kubectl kustomize "${dir}" > "${RUN}/rendered.yaml" 2> "${RUN}/render.log" \
            || { fail "kubectl kustomize of the base with component ${name}: $(head -3 "${RUN}/render.log")"; continue; }
        dry_run "the base with component ${name}, --dry-run=server" < "${RUN}/rendered.yaml"
    done
    helm template dockercoins "${REPO}/charts/dockercoins" > "${RUN}/rendered.yaml" 2> "${RUN}/render.log" \
        || fail "helm template charts/dockercoins: $(head -3 "${RUN}/render.log")"
    dry_run "helm template charts/dockercoins | kubectl apply --dry-run=server -f -" < "${RUN}/rendered.yaml"
fi

# ---------------------------------------------------------------------------------------------------------
# The course's other concepts (manifests/components/, issue 27), each in a namespace of its own, so that the
# default namespace's DockerCoins is left as the checks above made it. config, persistent-redis, audit and
# canary share dc-concepts: one miner, brought up once, from the base and the config and persistent-redis
# components (those of them that are wanted); quota has dc-quota, with the workshop overlay.
# ---------------------------------------------------------------------------------------------------------
CONCEPTS=dc-concepts
QUOTA=dc-quota
DEFAULT_NODE_PORT=${NODE_PORT}
NS=
concept_namespaces=
kn() { kc -n "${NS}" "$@"; }
relative() { realpath --relative-to="$1" "$2"; }    # kustomize reaches the repo's manifests by relative paths
concepts_redis=deploy/redis
nredis() { kn exec "${concepts_redis}" -- redis-cli "$@" | tr -d '\r'; }
new_namespace() { # name: made, and remembered for the deletion at the end
    kc create namespace "$1" >/dev/null && concept_namespaces="${concept_namespaces} $1"
}
apply_k() { kc apply -k "$1" >/dev/null; }
kustomization_in() { # folder namespace: its kustomization.yaml, "namespace: <namespace>" and then stdin
    mkdir -p "$1" && { echo "namespace: $2"; cat; } > "$1/kustomization.yaml"
}
concepts_up() { # the miner in ${CONCEPTS}, once; then NS and NODE_PORT (json, speed, versions) are its own
    NS=${CONCEPTS}
    if [ ! -f "${RUN}/concepts/kustomization.yaml" ]; then
        say "namespace ${CONCEPTS}: the base with the components to check"
        local dir="${RUN}/concepts" components="" names="" deployment ok=0
        mkdir -p "${dir}"
        if wants config; then
            # A copy, so that its worker.env can be edited as a learner edits theirs.
            cp -r "${REPO}/manifests/components/config" "${dir}/config" && components=config && names=config
        fi
        if wants persistent-redis; then
            components="${components:+${components}, }$(relative "${dir}" "${REPO}/manifests/components/persistent-redis")"
            names="${names:+${names}, }persistent-redis"
            # What the claim data-redis-0 binds: 1 GiB on a folder of this run (the teardown removes it). hostPath
            # ignores the pod's fsGroup, so the folder is open to Redis's user 999.
            mkdir -p "${RUN}/redis-volume" && chmod 0777 "${RUN}/redis-volume"
            kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: PersistentVolume
metadata: {name: dockercoins-ci-redis}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: "${RUN}/redis-volume", type: Directory}
EOF
            concepts_redis=pod/redis-0
        fi
        printf 'resources: [%s]\ncomponents: [%s]\n' "$(relative "${dir}" "${REPO}/manifests/base")" "${components}" \
            | kustomization_in "${dir}" "${CONCEPTS}"
        new_namespace "${CONCEPTS}"
        check "kubectl apply -k: the base with components [${names}] in namespace ${CONCEPTS}" apply_k "${dir}"
        for deployment in rng hasher worker webui; do rollout "${deployment}" "${CONCEPTS}" || ok=1; done
        if [ "${concepts_redis}" = pod/redis-0 ]; then
            kn rollout status statefulset/redis --timeout=120s >/dev/null || ok=1
        else
            rollout redis "${CONCEPTS}" || ok=1
        fi
        check "every pod of ${CONCEPTS} rolled out" test "${ok}" = 0
    fi
    NODE_PORT=$(kn get svc webui -o jsonpath='{.spec.ports[0].nodePort}')
}
worker_ref() { kn get deploy worker -o jsonpath='{.spec.template.spec.containers[0].envFrom[0].configMapRef.name}'; }
one_active() { [ "$(active_workers)" = 1 ]; }

# ---------------------------------------------------------------------------------------------------------
if wants config; then
    concepts_up
    say "config: WORKER_DELAY_MS=1000 in the config component's worker.env, kubectl apply -k"
    kn scale deploy/worker --replicas=1 >/dev/null; rollout worker "${NS}" >/dev/null
    wait_for 60 "one active worker" one_active
    ref_before=$(worker_ref)
    others() { kn get pods -l 'app in (rng,hasher,webui,redis)' -o jsonpath='{range .items[*]}{.metadata.name}{" "}{end}'; }
    others_before=$(others)
    check "the worker's settings come from a generated ConfigMap (${ref_before:-none})" \
        grep -q '^worker-config-[a-z0-9]\{10\}$' <<< "${ref_before}"
    fast=$(speed 15)
    cp "${RUN}/concepts/config/worker.env" "${RUN}/worker.env.as-shipped"
    sed -i 's/^WORKER_DELAY_MS=.*/WORKER_DELAY_MS=1000/' "${RUN}/concepts/config/worker.env"
    t0=$(date +%s)
    apply_k "${RUN}/concepts" && rollout worker "${NS}"; status=$?
    check "kubectl apply -k with WORKER_DELAY_MS=1000: kubectl rollout status deploy/worker ($(( $(date +%s) - t0 )) s)" test "${status}" = 0
    ref_after=$(worker_ref)
    check "the worker refers to a new ConfigMap (${ref_before} -> ${ref_after})" \
        test -n "${ref_after}" -a "${ref_after}" != "${ref_before}"
    # The old worker stops on SIGTERM and sends its last report within a few seconds.
    sleep 5
    slow=$(speed 15)
    check "rng, hasher, webui and redis kept their pods (${others_before})" test "$(others)" = "${others_before}"
    check "one worker: ${fast} hashes/s, then ${slow} with WORKER_DELAY_MS=1000 (about 3.3, then 0.8: under half)" \
        awk -v fast="${fast}" -v slow="${slow}" 'BEGIN { exit !(fast >= 2.4 && fast <= 4.0 && slow > 0.3 && slow < fast / 2) }'
    echo "CONFIG one worker ${fast} hashes/s at WORKER_DELAY_MS=100, ${slow} at 1000"
    cp "${RUN}/worker.env.as-shipped" "${RUN}/concepts/config/worker.env"
    apply_k "${RUN}/concepts"
    check "worker.env as shipped again: the first ConfigMap again ($(worker_ref)), its name being its content's hash" \
        test "$(worker_ref)" = "${ref_before}"
fi

# ---------------------------------------------------------------------------------------------------------
if wants persistent-redis; then
    concepts_up
    say "persistent-redis: kubectl delete pod redis-0, and the counts come back"
    claim=$(kn get pvc data-redis-0 -o jsonpath='{.status.phase} {.spec.volumeName}')
    check "the claim data-redis-0 is Bound to the run's PersistentVolume (${claim:-no claim})" test "${claim}" = "Bound dockercoins-ci-redis"
    policy="$(nredis config get appendonly | tail -1) $(nredis config get appendfsync | tail -1)"
    check "redis-0: appendonly yes, appendfsync always (${policy})" test "${policy}" = "yes always"
    kn scale deploy/rng --replicas=1 >/dev/null
    kn scale deploy/worker --replicas=2 >/dev/null
    rollout rng "${NS}" >/dev/null; rollout worker "${NS}" >/dev/null
    sleep 10
    # No snapshot on shutdown: what comes back can only come from the append-only file.
    nredis config set save "" >/dev/null
    counts() { echo "hashes=$(nredis get hashes) wallet=$(nredis hlen wallet) $(nredis hgetall worker_hashes | paste -d= - - | sort | tr '\n' ' ')"; }
    before=$(counts)
    uid=$(kn get pod redis-0 -o jsonpath='{.metadata.uid}')
    t0=$(date +%s)
    kn delete pod redis-0 --wait=true --timeout=120s >/dev/null
    deleted=$(( $(date +%s) - t0 ))
    new_redis_ready() {
        local now; now=$(kn get pod redis-0 -o jsonpath='{.metadata.uid} {.status.conditions[?(@.type=="Ready")].status}')
        [ "${now#* }" = True ] && [ "${now% *}" != "${uid}" ]
    }
    check "kubectl delete pod redis-0: a new redis-0 on the same claim is Ready (old one gone after ${deleted} s)" \
        wait_for 120 "a new redis-0 Ready" new_redis_ready
    echo "redis-0 outage: $(( $(date +%s) - t0 )) s from the delete to the new pod Ready"
    after=$(counts)
    not_less() { # "key=value ..." before, after: every value of before is in after, at least as large
        local pair key
        for pair in $1; do
            key=${pair%%=*}
            at_least "$(tr ' ' '\n' <<< "$2" | sed -n "s/^${key}=//p")" "${pair#*=}" || return 1
        done
    }
    echo "  before: ${before}"; echo "  after:  ${after}"
    check "hashes, the wallet and every worker_hashes came back at least as they were" not_less "${before}" "${after}"
    # Mining stops with rng; then every worker's own count must be the one Redis holds: no report lost. rng serves
    # on through its preStop sleep and drain, so the tallies are compared only once its pods are gone: a match
    # while loops still complete can be undone by the next loop (seen: counted 89, unreported 2, held 90).
    kn scale deploy/rng --replicas=0 >/dev/null
    no_rng_pod() { [ -z "$(kn get pods -l app=rng -o name)" ]; }
    wait_for 90 "rng's pods gone" no_rng_pod
    tallies() { # each Running worker: hashes_total and unreported from its /metrics, and HGET worker_hashes
        local pod ip metrics counted unreported held ok=0
        for pod in $(kn get pods -l app=worker --field-selector=status.phase=Running -o jsonpath='{.items[*].metadata.name}'); do
            ip=$(kn get pod "${pod}" -o jsonpath='{.status.podIP}')
            metrics=$(curl -fsS --max-time 5 "http://${ip}/metrics")
            counted=$(awk '/^dockercoins_worker_hashes_total/ { s += $2 } END { printf "%d", s }' <<< "${metrics}")
            unreported=$(awk '/^dockercoins_worker_unreported_hashes/ { s += $2 } END { printf "%d", s }' <<< "${metrics}")
            held=$(nredis hget worker_hashes "${pod}")
            echo "  ${pod}: counted ${counted}, unreported ${unreported}, worker_hashes ${held}"
            [ -n "${metrics}" ] && [ "${counted}" = "${held}" ] && [ "${unreported}" = 0 ] || ok=1
        done
        return "${ok}"
    }
    wait_for 60 "every worker's tally in Redis" tallies
    check "rng scaled to 0: each worker's hashes_total equals its worker_hashes, none unreported (no report lost to the outage)" tallies
    total=$(nredis get hashes)
    sum=$(nredis hvals worker_hashes | awk '{ s += $1 } END { printf "%d", s }')
    check "the sum of worker_hashes equals hashes (${sum} = ${total})" test "${sum}" = "${total}" -a -n "${total}"
    kn scale deploy/rng --replicas=1 >/dev/null
fi

# ---------------------------------------------------------------------------------------------------------
if wants audit; then
    concepts_up
    say "audit: the wallet audit Job against the miner's Redis"
    kn scale deploy/rng --replicas=1 >/dev/null
    has_coins() { [ "$(nredis hlen wallet)" -gt 0 ]; }
    check "the miner's wallet has coins to audit" wait_for 90 "coins in the wallet" has_coins
    dir="${RUN}/audit"
    # The component's CronJob is batch/v1, served from 1.21 on: the Job alone (the CronJob is rendered and
    # checked by deploy-checks).
    kustomization_in "${dir}" "${CONCEPTS}" <<EOF
components: [$(relative "${dir}" "${REPO}/manifests/components/audit")]
patches:
  - patch: |-
      \$patch: delete
      apiVersion: batch/v1
      kind: CronJob
      metadata: {name: audit}
EOF
    kubectl kustomize "${dir}" > "${dir}/job.yaml"
    echo "NOT ON 1.20: CronJob batch/v1 (Kubernetes 1.21+): the component's Job applied alone; its CronJob is left to the renderer checks"
    apply_job() { # the Job; where the server has no podFailurePolicy, say so and apply without validation
        local out
        if out=$(kn apply -f "${dir}/job.yaml" 2>&1); then return 0; fi
        if grep -q podFailurePolicy <<< "${out}"; then
            echo "NOT ON 1.20: Job podFailurePolicy (Kubernetes 1.26+): kubectl's validation refuses it ($(grep -o 'unknown field "[^"]*"' <<< "${out}" | head -1));"
            echo "  applied with --validate=false instead: the API server drops the field, so a bad coin (exit 1) is retried up to backoffLimit"
            kn apply --validate=false -f "${dir}/job.yaml" >/dev/null
        else
            echo "${out}"; return 1
        fi
    }
    check "kubectl apply the audit Job" apply_job
    [ -z "$(kn get job audit -o jsonpath='{.spec.podFailurePolicy}' 2>/dev/null)" ] \
        && echo "NOT ON 1.20: Job podFailurePolicy (Kubernetes 1.26+): the API server dropped it (kubectl get job audit shows none)"
    job_state() { kn get job audit -o jsonpath='{.status.conditions[?(@.status=="True")].type}'; }
    complete() { [ "$(job_state)" = Complete ]; }
    t0=$(date +%s)
    check "job/audit completes" wait_for 180 "job/audit Complete" complete
    log=$(kn logs job/audit 2>&1)
    coins=$(sed -n 's/^audit: \([0-9]*\) coins in the wallet at redis:\/\/redis:6379, every one good$/\1/p' <<< "${log}")
    check "kubectl logs job/audit: '$(tail -1 <<< "${log}")' ($(( $(date +%s) - t0 )) s)" test "${coins:-0}" -gt 0
    nredis hset wallet 0forged xyz >/dev/null
    kn delete job audit --wait=true --timeout=60s >/dev/null
    apply_job > /dev/null
    # The deleted Job's pods may still be terminating, under the same job-name label: this Job's own are
    # picked by its uid.
    job_uid=$(kn get job audit -o jsonpath='{.metadata.uid}')
    first_pod() { kn get pods -l "controller-uid=${job_uid}" --sort-by=.metadata.creationTimestamp -o jsonpath='{.items[0].metadata.name}'; }
    exit_code() { kn get pod "$(first_pod)" -o jsonpath='{.status.containerStatuses[0].state.terminated.exitCode}'; }
    ended() { [ -n "$(exit_code)" ]; }
    wait_for 120 "the first audit pod ended" ended
    code=$(exit_code)
    bad=$(kn logs "$(first_pod)" 2>&1 | grep -m1 'bad coin')
    check "with a forged coin (hset wallet 0forged xyz), the audit's pod exits 1 naming it (exit ${code:-none}: ${bad:-no 'bad coin' line})" \
        test "${code}" = 1 -a -n "$(grep 'bad coin 0forged' <<< "${bad}")"
    if [ -n "$(kn get job audit -o jsonpath='{.spec.podFailurePolicy}')" ]; then
        failed_job() { [ "$(job_state)" = Failed ]; }
        check "job/audit fails at once (podFailurePolicy FailJob on exit 1)" wait_for 60 "job/audit Failed" failed_job
    else
        echo "NOT ON 1.20: without podFailurePolicy the Job retries up to backoffLimit (2) before it is Failed: the first pod's exit code and log checked instead of condition Failed"
    fi
    kn delete job audit --wait=false >/dev/null
    nredis hdel wallet 0forged >/dev/null
fi

# ---------------------------------------------------------------------------------------------------------
if wants canary; then
    concepts_up
    say "canary: worker-canary beside the stable worker"
    kn scale deploy/rng --replicas=1 >/dev/null
    kn scale deploy/worker --replicas=1 >/dev/null
    rollout rng "${NS}" >/dev/null; rollout worker "${NS}" >/dev/null
    dir="${RUN}/canary"
    echo "components: [$(relative "${dir}" "${REPO}/manifests/components/canary")]" | kustomization_in "${dir}" "${CONCEPTS}"
    apply_k "${dir}" && rollout worker-canary "${NS}"; status=$?
    check "kubectl apply -k with components/canary: deploy/worker-canary rolls out" test "${status}" = 0
    by_version() { json | grep -o '"version":"[^"]*","workers":[0-9]*' | tr '\n' ' '; }
    both() { [ "$(by_version)" = '"version":"1.0.0","workers":1 "version":"1.0.0-canary","workers":1 ' ]; }
    wait_for 60 "both versions in /json" both
    check "/json's versions: 1.0.0 with 1 worker, 1.0.0-canary with 1 ($(by_version))" both
    sleep 10
    echo "CANARY $(json | grep -o '"versions":\[[^]]*\]')"
    kn delete deploy worker-canary --wait=false >/dev/null
    t0=$(date +%s)
    stable_only() { [ "$(versions)" = "1.0.0 " ]; }
    check "kubectl delete deploy worker-canary: 1.0.0-canary leaves .versions" wait_for 90 "only 1.0.0" stable_only
    echo "canary gone from /json $(( $(date +%s) - t0 )) s after the delete"
fi
if [[ "${concept_namespaces}" == *" ${CONCEPTS}"* ]]; then
    # Its pods stop while the quota check runs; the deletion is waited for at the end.
    kc delete namespace "${CONCEPTS}" --wait=false >/dev/null
fi

# ---------------------------------------------------------------------------------------------------------
if wants quota; then
    say "quota: the workshop overlay's ResourceQuota and LimitRange, 10 workers, then 50"
    NS=${QUOTA}
    dir="${RUN}/quota"
    # Prometheus's and Grafana's images are not on this node, and nothing is pulled: their pods wait
    # (ErrImageNeverPull) and count in the quota as they do on a class's cluster.
    kustomization_in "${dir}" "${NS}" <<EOF
resources: [$(relative "${dir}" "${REPO}/manifests/overlays/workshop")]
patches:
  - target: {kind: Deployment, name: "prometheus|grafana"}
    patch: |-
      - op: add
        path: /spec/template/spec/containers/0/imagePullPolicy
        value: Never
EOF
    echo "prometheus and grafana: imagePullPolicy Never (images not on this node; nothing is pulled): their pods wait and count in the quota"
    new_namespace "${NS}"
    check "kubectl apply -k manifests/overlays/workshop in namespace ${NS}" apply_k "${dir}"
    rollout worker "${NS}" >/dev/null
    kn scale deploy/worker --replicas=10 >/dev/null
    t0=$(date +%s)
    rollout worker "${NS}"
    ready=$(kn get deploy worker -o jsonpath='{.status.readyReplicas}')
    check "kubectl scale deploy/worker --replicas=10: rollout status, ${ready:-0} ready ($(( $(date +%s) - t0 )) s)" test "${ready}" = 10
    kn scale deploy/worker --replicas=50 >/dev/null
    refused() { kn get events --field-selector reason=FailedCreate -o jsonpath='{range .items[*]}{.message}{"\n"}{end}' | grep 'exceeded quota: workshop' | tail -1; }
    # 22: what namespace-limits.yaml's arithmetic gives (8 GiB of limits, 2.5 for the rest, 256 MiB a worker).
    at_quota() { [ "$(kn get deploy worker -o jsonpath='{.status.replicas}')" = 22 ] && [ -n "$(refused)" ]; }
    wait_for 60 "22 workers and a FailedCreate" at_quota
    sleep 5    # and no more after that
    replicas=$(kn get deploy worker -o jsonpath='{.status.replicas}')
    used=$(kn get resourcequota workshop -o jsonpath='{.status.used.limits\.memory}')
    check "kubectl scale deploy/worker --replicas=50: it stops at 22 (${replicas}), quota limits.memory used ${used}" \
        test "${replicas}" = 22 -a "${used}" = 8Gi
    message=$(refused)
    check "the FailedCreate event: ${message:-none}" grep -q 'exceeded quota: workshop.*limited: limits.memory=8Gi' <<< "${message}"
    kn scale deploy/worker --replicas=0 >/dev/null
    kc delete namespace "${NS}" --wait=false >/dev/null
fi
if [ -n "${concept_namespaces}" ]; then
    say "the concepts' namespaces deleted"
    NODE_PORT=${DEFAULT_NODE_PORT}
    namespaces_gone() { local all; all=$(kc get namespaces -o name) && ! grep -q "namespace/\(${CONCEPTS}\|${QUOTA}\)$" <<< "${all}"; }
    t0=$(date +%s)
    wait_for 180 "the concepts' namespaces gone" namespaces_gone; status=$?
    check "kubectl delete namespace${concept_namespaces}: gone ($(( $(date +%s) - t0 )) s more)" test "${status}" = 0
    kc delete persistentvolume dockercoins-ci-redis --ignore-not-found --wait=false >/dev/null
    echo "NOT ON 1.20, left to the renderer checks and the dry-run above: components/autoscaling (autoscaling/v2, 1.23+),"
    echo "  components/disruption-budgets (policy/v1, 1.21+); components/ingress is accepted by the API server (dry-run), with no"
    echo "  ingress controller here to serve it"
fi

# ---------------------------------------------------------------------------------------------------------
if [ -n "${DOCKERCOINS_CLUSTER_HOLD:-}" ]; then
    # For looking around: kubectl --kubeconfig ${PKI}/admin.kubeconfig ...; the lock stays held meanwhile.
    touch "${RUN}/hold"
    loud "holding the cluster up until ${RUN}/hold is removed"
    while [ -e "${RUN}/hold" ]; do sleep 2; done
fi
say "kubectl delete -f dockercoins.yaml"
t0=$(date +%s)
check "kubectl delete -f dockercoins.yaml deletes what it made" \
    kc delete -f "${manifest}" --wait=true --timeout=60s
no_pods() { [ -z "$(kc get pods -o name)" ]; }
wait_for 90 "no pods left" no_pods >/dev/null
echo "delete: $(( $(date +%s) - t0 )) s, pods left for the teardown: $(kc get pods -o name | wc -l)"
exit
}

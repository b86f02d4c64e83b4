package dockercoins.deploy;

import io.fabric8.kubernetes.api.model.*;
import io.fabric8.kubernetes.api.model.networking.v1.*;
import org.junit.jupiter.api.Test;

import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/** components/network-policies: only the arrows of the diagram are open, whatever else runs in the cluster. */
class NetworkPoliciesTest {

    private static final String NAMESPACE = "dockercoins";

    /** A party to a connection: a pod (labels, namespace, ports) or something outside the cluster. */
    private record Endpoint(String name, String namespace, Map<String, String> labels, PodTemplateSpec pod) { }

    private static final Endpoint BROWSER = new Endpoint("a browser (NodePort)", null, Map.of(), null);
    private static final Endpoint INTERNET = new Endpoint("the internet", null, Map.of(), null);
    private static final Endpoint DNS = new Endpoint("kube-dns", "kube-system", Map.of("k8s-app", "kube-dns"), null);
    private static final Endpoint OPERATOR_PROMETHEUS = new Endpoint("prometheus-operator's Prometheus", "monitoring",
        Map.of("app.kubernetes.io/name", "prometheus", "prometheus", "k8s"), null);
    private static final Endpoint OTHER_POD = new Endpoint("a pod of another app", "default", Map.of("app", "other"),
        null);

    private static Endpoint pod(Rendering rendering, String deployment) {
        PodTemplateSpec pod = rendering.pod(deployment);
        return new Endpoint(deployment, NAMESPACE, pod.getMetadata().getLabels(), pod);
    }

    @Test
    void onlyTheArrowsOfTheDiagramAreOpenBehindADefaultDenyOfEveryPod() {
        for (Rendering rendering : Rendering.with("network-policies")) {
            Matrix matrix = new Matrix(rendering.all(NetworkPolicy.class));
            Endpoint rng = pod(rendering, "rng"), hasher = pod(rendering, "hasher"), worker = pod(rendering, "worker");
            Endpoint webui = pod(rendering, "webui"), redis = pod(rendering, "redis");
            int http = Contract.PORT, redisPort = Contract.REDIS_PORT;
            // The diagram.
            matrix.open(BROWSER, webui, http);
            matrix.open(worker, rng, http);
            matrix.open(worker, hasher, http);
            matrix.open(worker, redis, redisPort);
            matrix.open(webui, redis, redisPort);
            if (rendering.components().contains("canary")) {
                Endpoint canary = pod(rendering, "worker-canary");
                List.of(rng, hasher).forEach(to -> matrix.open(canary, to, http));
                matrix.open(canary, redis, redisPort);
                matrix.closed(canary, webui, http);
            }
            if (rendering.components().contains("audit")) {
                Endpoint audit = new Endpoint("audit", NAMESPACE, Map.of("app", "audit"), null);
                matrix.open(audit, redis, redisPort);
                matrix.closedOnBothSides(audit, rng, http);
            }
            for (Endpoint any : List.of(rng, hasher, worker, webui, redis)) {
                assertTrue(matrix.allowed(any, DNS, 53, "UDP") && matrix.allowed(any, DNS, 53, "TCP"),
                    any.name());
                assertFalse(matrix.allowed(any, INTERNET, 443, "TCP"), any.name() + " -> the internet");
            }
            // Prometheus, ours or prometheus-operator's, reaches every metrics port.
            boolean monitoring = rendering.components().contains("monitoring");
            for (Endpoint app : List.of(rng, hasher, worker, webui)) {
                matrix.open(OPERATOR_PROMETHEUS, app, http);
                if (monitoring) {
                    matrix.open(pod(rendering, "prometheus"), app, http);
                }
            }
            // Everything else is closed.
            List.of(rng, hasher, worker, redis).forEach(inside -> List.of(BROWSER, OTHER_POD)
                .forEach(outsider -> matrix.closed(outsider, inside, Contract.containerPort(inside.name()))));
            // Between our own pods, each side closes these on its own (egress of one, ingress of the other).
            matrix.closedOnBothSides(webui, rng, http);
            matrix.closedOnBothSides(webui, hasher, http);
            matrix.closedOnBothSides(rng, redis, redisPort);
            matrix.closedOnBothSides(hasher, redis, redisPort);
            matrix.closedOnBothSides(rng, hasher, http);
            matrix.closedOnBothSides(worker, rng, redisPort);
            matrix.closedOnBothSides(redis, worker, http);
            matrix.closed(worker, webui, http);  // webui's port is open to anyone; the worker's egress is not
            if (monitoring) {
                Endpoint prometheus = pod(rendering, "prometheus"), grafana = pod(rendering, "grafana");
                matrix.open(BROWSER, prometheus, 9090);
                matrix.open(BROWSER, grafana, 3000);
                matrix.open(grafana, prometheus, 9090);
                matrix.open(prometheus, INTERNET, 443);  // the Kubernetes API, at an address no policy can name
                matrix.closedOnBothSides(grafana, redis, redisPort);
                matrix.closed(grafana, INTERNET, 443);
                matrix.closed(prometheus, redis, redisPort);
            }
        }
        // No rule opens a port that no pod it protects listens on (it would hide a mistake).
        for (Rendering rendering : Rendering.with("network-policies")) {
            NetworkPolicySpec deny = rendering.get(NetworkPolicy.class, "default-deny").getSpec();
            assertEquals(List.of("Ingress", "Egress"), deny.getPolicyTypes());
            assertTrue(deny.getIngress().isEmpty() && deny.getEgress().isEmpty(), "default-deny allows nothing");
            assertEquals(rendering.pods().size(), rendering.podsSelectedBy(deny.getPodSelector()).size(),
                rendering + ": default-deny covers every pod");
            for (NetworkPolicy policy : rendering.all(NetworkPolicy.class)) {
                List<PodTemplateSpec> pods = rendering.podsSelectedBy(policy.getSpec().getPodSelector());
                policy.getSpec().getIngress().stream().flatMap(rule -> rule.getPorts().stream()).forEach(port ->
                    pods.forEach(pod -> assertTrue(Rendering.resolve(port.getPort(), pod).isPresent(), rendering + ": "
                        + policy.getMetadata().getName() + " opens port " + port.getPort() + " of "
                        + pod.getMetadata().getLabels().get("app") + ", which does not listen there")));
            }
        }
    }

    /** NetworkPolicy semantics: a connection passes when the sender's egress and the receiver's ingress allow it. */
    private record Matrix(List<NetworkPolicy> policies) {

        void open(Endpoint from, Endpoint to, int port) {
            assertTrue(allowed(from, to, port, "TCP"), from.name() + " -> " + to.name() + ":" + port + " must be open");
        }

        void closed(Endpoint from, Endpoint to, int port) {
            assertFalse(allowed(from, to, port, "TCP"), from.name() + " -> " + to.name() + ":" + port + " is open");
        }

        void closedOnBothSides(Endpoint from, Endpoint to, int port) {
            String flow = from.name() + " -> " + to.name() + ":" + port;
            assertFalse(allows(true, from, to, port, "TCP"), flow + ": " + from.name() + "'s egress");
            assertFalse(allows(false, from, to, port, "TCP"), flow + ": " + to.name() + "'s ingress");
        }

        boolean allowed(Endpoint from, Endpoint to, int port, String protocol) {
            return allows(true, from, to, port, protocol) && allows(false, from, to, port, protocol);
        }

        /** A pod no policy of that direction selects is open; else one rule must name the peer and the port. */
        private boolean allows(boolean egress, Endpoint from, Endpoint to, int port, String protocol) {
            Endpoint side = egress ? from : to;
            Endpoint peer = egress ? to : from;
            if (!NAMESPACE.equals(side.namespace())) {
                return true;  // these policies do not govern pods elsewhere
            }
            List<NetworkPolicySpec> selecting = policies.stream().map(NetworkPolicy::getSpec).filter(p -> p
                .getPolicyTypes().contains(egress ? "Egress" : "Ingress")
                && Rendering.matches(p.getPodSelector(), side.labels())).toList();
            return selecting.isEmpty() || selecting.stream().anyMatch(p -> egress
                ? p.getEgress().stream().anyMatch(r -> rule(r.getTo(), r.getPorts(), peer, to, port, protocol))
                : p.getIngress().stream().anyMatch(r -> rule(r.getFrom(), r.getPorts(), peer, to, port, protocol)));
        }

        /** An empty peer list means everyone; an empty port list, every port. */
        private static boolean rule(List<NetworkPolicyPeer> peers, List<NetworkPolicyPort> ports, Endpoint peer,
                                    Endpoint to, int port, String protocol) {
            boolean peerOk = peers.isEmpty() || peer.namespace() != null && peers.stream().anyMatch(p -> {
                assertNull(p.getIpBlock(), "ipBlock peers are not evaluated here; extend the test");
                LabelSelector namespaces = p.getNamespaceSelector();
                return (namespaces == null ? NAMESPACE.equals(peer.namespace()) : Rendering.matches(namespaces,
                    Map.of("kubernetes.io/metadata.name", peer.namespace())))
                    && (p.getPodSelector() == null || Rendering.matches(p.getPodSelector(), peer.labels()));
            });
            return peerOk && (ports.isEmpty() || ports.stream().anyMatch(allowed ->
                Objects.requireNonNullElse(allowed.getProtocol(), "TCP").equals(protocol) && (allowed.getPort() == null
                    || (to.pod() == null ? Objects.equals(allowed.getPort().getIntVal(), port)
                    : Rendering.resolve(allowed.getPort(), to.pod()).map(p -> p.getContainerPort() == port)
                    .orElse(false)))));
        }
    }
}

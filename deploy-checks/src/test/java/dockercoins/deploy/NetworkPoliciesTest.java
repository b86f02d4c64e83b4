package dockercoins.deploy;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The network-policies component, evaluated as Kubernetes evaluates NetworkPolicy: a connection
 * flows when the source's egress and the destination's ingress both allow it (a pod no policy of
 * that direction selects is open in that direction).
 */
class NetworkPoliciesTest {

    private static final String NAMESPACE = "dockercoins";

    /** A party to a connection: a pod (labels, namespace, ports) or something outside the cluster. */
    private record Endpoint(String name, String namespace, Map<String, String> labels, PodTemplateSpec pod) {
        boolean inCluster() {
            return namespace != null;
        }
    }

    private static Endpoint pod(Rendering rendering, String deployment) {
        Deployment d = rendering.deployment(deployment);
        return new Endpoint(deployment, NAMESPACE, d.getSpec().getTemplate().getMetadata().getLabels(), d.getSpec().getTemplate());
    }

    private static final Endpoint BROWSER = new Endpoint("a browser (NodePort)", null, Map.of(), null);
    private static final Endpoint INTERNET = new Endpoint("the internet", null, Map.of(), null);
    private static final Endpoint KUBE_DNS = new Endpoint("kube-dns", "kube-system", Map.of("k8s-app", "kube-dns"), null);
    private static final Endpoint OPERATOR_PROMETHEUS = new Endpoint("prometheus-operator's Prometheus", "monitoring",
        Map.of("app.kubernetes.io/name", "prometheus", "prometheus", "k8s"), null);
    private static final Endpoint OTHER_POD = new Endpoint("a pod of another app", "default", Map.of("app", "other"), null);

    @Test
    void onlyTheArrowsOfTheDiagramAreOpen() {
        for (Rendering rendering : Rendering.with("network-policies")) {
            List<NetworkPolicy> policies = rendering.all(NetworkPolicy.class);
            Endpoint rng = pod(rendering, "rng");
            Endpoint hasher = pod(rendering, "hasher");
            Endpoint worker = pod(rendering, "worker");
            Endpoint webui = pod(rendering, "webui");
            Endpoint redis = pod(rendering, "redis");
            int http = Contract.PORT;
            int redisPort = Contract.REDIS_PORT;

            // The diagram.
            assertAllowed(policies, BROWSER, webui, http, "TCP");
            assertAllowed(policies, worker, rng, http, "TCP");
            assertAllowed(policies, worker, hasher, http, "TCP");
            assertAllowed(policies, worker, redis, redisPort, "TCP");
            assertAllowed(policies, webui, redis, redisPort, "TCP");
            for (Endpoint any : List.of(rng, hasher, worker, webui, redis)) {
                assertAllowed(policies, any, KUBE_DNS, 53, "UDP");
                assertAllowed(policies, any, KUBE_DNS, 53, "TCP");
            }
            // Prometheus, ours or prometheus-operator's, reaches every metrics port.
            for (Endpoint app : List.of(rng, hasher, worker, webui)) {
                assertAllowed(policies, OPERATOR_PROMETHEUS, app, http, "TCP");
                rendering.find(Deployment.class, "prometheus").ifPresent(p -> assertAllowed(policies, pod(rendering, "prometheus"), app, http, "TCP"));
            }
            // Everything else is closed.
            for (Endpoint outsider : List.of(BROWSER, OTHER_POD)) {
                for (Endpoint inside : List.of(rng, hasher, worker, redis)) {
                    assertDenied(policies, outsider, inside, Contract.containerPort(inside.name()), "TCP");
                }
            }
            // Between our own pods, each side closes these on its own (egress of one, ingress of the other).
            assertClosedOnBothSides(policies, webui, rng, http, "TCP");
            assertClosedOnBothSides(policies, webui, hasher, http, "TCP");
            assertClosedOnBothSides(policies, rng, redis, redisPort, "TCP");
            assertClosedOnBothSides(policies, hasher, redis, redisPort, "TCP");
            assertClosedOnBothSides(policies, rng, hasher, http, "TCP");
            assertClosedOnBothSides(policies, worker, rng, redisPort, "TCP");
            assertClosedOnBothSides(policies, redis, worker, http, "TCP");
            assertDenied(policies, worker, webui, http, "TCP");  // webui's port is open to anyone; the worker's egress is not
            for (Endpoint app : List.of(rng, hasher, worker, webui, redis)) {
                assertDenied(policies, app, INTERNET, 443, "TCP");
            }
            if (rendering.components().contains("monitoring")) {
                Endpoint prometheus = pod(rendering, "prometheus");
                Endpoint grafana = pod(rendering, "grafana");
                assertAllowed(policies, BROWSER, prometheus, 9090, "TCP");
                assertAllowed(policies, BROWSER, grafana, 3000, "TCP");
                assertAllowed(policies, grafana, prometheus, 9090, "TCP");
                assertAllowed(policies, prometheus, INTERNET, 443, "TCP");  // the Kubernetes API, at an address no policy can name
                assertClosedOnBothSides(policies, grafana, redis, redisPort, "TCP");
                assertDenied(policies, grafana, INTERNET, 443, "TCP");
                assertDenied(policies, prometheus, redis, redisPort, "TCP");
            }
        }
    }

    /** No rule opens a port that no pod it protects listens on (they would hide a mistake). */
    @Test
    void everyIngressPortIsAPortOfThePodsItProtects() {
        for (Rendering rendering : Rendering.with("network-policies")) {
            for (NetworkPolicy policy : rendering.all(NetworkPolicy.class)) {
                List<PodTemplateSpec> protectedPods = rendering.podsSelectedBy(policy.getSpec().getPodSelector());
                if (policy.getSpec().getIngress() == null) {
                    continue;
                }
                for (var rule : policy.getSpec().getIngress()) {
                    for (NetworkPolicyPort port : rule.getPorts()) {
                        for (PodTemplateSpec pod : protectedPods) {
                            String app = pod.getMetadata().getLabels().get("app");
                            assertTrue(Rendering.resolve(port.getPort(), pod).isPresent(),
                                rendering + ": policy " + policy.getMetadata().getName() + " opens port " + port.getPort() + " of " + app + ", which does not listen there");
                        }
                    }
                }
            }
        }
    }

    // ---- NetworkPolicy semantics ----

    private static void assertAllowed(List<NetworkPolicy> policies, Endpoint from, Endpoint to, int port, String protocol) {
        assertTrue(allowed(policies, from, to, port, protocol), from.name() + " -> " + to.name() + ":" + port + "/" + protocol + " must be open");
    }

    private static void assertDenied(List<NetworkPolicy> policies, Endpoint from, Endpoint to, int port, String protocol) {
        assertFalse(allowed(policies, from, to, port, protocol), from.name() + " -> " + to.name() + ":" + port + "/" + protocol + " must be closed");
    }

    private static void assertClosedOnBothSides(List<NetworkPolicy> policies, Endpoint from, Endpoint to, int port, String protocol) {
        String flow = from.name() + " -> " + to.name() + ":" + port + "/" + protocol;
        assertFalse(egressAllowed(policies, from, to, port, protocol), flow + " must be closed by " + from.name() + "'s egress");
        assertFalse(ingressAllowed(policies, from, to, port, protocol), flow + " must be closed by " + to.name() + "'s ingress");
    }

    private static boolean allowed(List<NetworkPolicy> policies, Endpoint from, Endpoint to, int port, String protocol) {
        return egressAllowed(policies, from, to, port, protocol) && ingressAllowed(policies, from, to, port, protocol);
    }

    private static boolean egressAllowed(List<NetworkPolicy> policies, Endpoint from, Endpoint to, int port, String protocol) {
        return sideAllows(policies, from, "Egress", to, to, port, protocol);
    }

    private static boolean ingressAllowed(List<NetworkPolicy> policies, Endpoint from, Endpoint to, int port, String protocol) {
        return sideAllows(policies, to, "Ingress", from, to, port, protocol);
    }

    /** A rule of either direction: the peers it names and the ports it opens. */
    private record Rule(List<NetworkPolicyPeer> peers, List<NetworkPolicyPort> ports) {
    }

    /**
     * Whether one side of a connection lets it through: a pod no policy of that direction selects
     * is open; otherwise one rule of one selecting policy must name the peer and the port.
     */
    private static boolean sideAllows(List<NetworkPolicy> policies, Endpoint side, String direction, Endpoint peer,
                                      Endpoint destination, int port, String protocol) {
        if (!NAMESPACE.equals(side.namespace())) {
            return true;  // these policies do not govern pods elsewhere
        }
        List<NetworkPolicy> selecting = selecting(policies, side, direction);
        if (selecting.isEmpty()) {
            return true;
        }
        for (NetworkPolicy policy : selecting) {
            List<Rule> rules = direction.equals("Egress")
                ? policy.getSpec().getEgress().stream().map(r -> new Rule(r.getTo(), r.getPorts())).toList()
                : policy.getSpec().getIngress().stream().map(r -> new Rule(r.getFrom(), r.getPorts())).toList();
            for (Rule rule : rules) {
                if (peersMatch(rule.peers(), peer) && portsMatch(rule.ports(), destination, port, protocol)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static List<NetworkPolicy> selecting(List<NetworkPolicy> policies, Endpoint pod, String direction) {
        List<NetworkPolicy> selecting = new ArrayList<>();
        for (NetworkPolicy policy : policies) {
            List<String> types = policy.getSpec().getPolicyTypes();
            assertFalse(types.isEmpty(), policy.getMetadata().getName() + " states its policyTypes");
            if (types.contains(direction) && selects(policy.getSpec().getPodSelector(), pod.labels())) {
                selecting.add(policy);
            }
        }
        return selecting;
    }

    /** An empty peer list means everyone; a peer is a pod selector, maybe across namespaces. */
    private static boolean peersMatch(List<NetworkPolicyPeer> peers, Endpoint endpoint) {
        if (peers == null || peers.isEmpty()) {
            return true;
        }
        for (NetworkPolicyPeer peer : peers) {
            assertTrue(peer.getIpBlock() == null, "ipBlock peers are not evaluated here; extend the test");
            if (!endpoint.inCluster()) {
                continue;
            }
            boolean namespaceOk = peer.getNamespaceSelector() == null
                ? NAMESPACE.equals(endpoint.namespace())
                : selects(peer.getNamespaceSelector(), Map.of("kubernetes.io/metadata.name", endpoint.namespace()));
            boolean podOk = peer.getPodSelector() == null || selects(peer.getPodSelector(), endpoint.labels());
            if (namespaceOk && podOk) {
                return true;
            }
        }
        return false;
    }

    private static boolean portsMatch(List<NetworkPolicyPort> ports, Endpoint to, int port, String protocol) {
        if (ports == null || ports.isEmpty()) {
            return true;
        }
        for (NetworkPolicyPort allowed : ports) {
            if (!Objects.requireNonNullElse(allowed.getProtocol(), "TCP").equals(protocol)) {
                continue;
            }
            IntOrString value = allowed.getPort();
            if (value == null) {
                return true;
            }
            if (value.getIntVal() != null && value.getIntVal() == port) {
                return true;
            }
            if (value.getStrVal() != null && to.pod() != null) {
                ContainerPort named = Rendering.resolve(value, to.pod()).orElse(null);
                if (named != null && named.getContainerPort() == port) {
                    return true;
                }
            }
        }
        return false;
    }

    /** An empty selector ({}) selects everything. */
    private static boolean selects(LabelSelector selector, Map<String, String> labels) {
        return selector != null && Rendering.matches(selector, labels);
    }

    @Test
    void anEmptySelectorSelectsEveryPodAndTheDefaultDenyCoversBothDirections() {
        for (Rendering rendering : Rendering.with("network-policies")) {
            NetworkPolicy deny = rendering.get(NetworkPolicy.class, "default-deny");
            assertEquals(List.of("Ingress", "Egress"), deny.getSpec().getPolicyTypes());
            assertTrue(deny.getSpec().getIngress().isEmpty() && deny.getSpec().getEgress().isEmpty(), "default-deny allows nothing");
            for (Deployment deployment : rendering.all(Deployment.class)) {
                assertTrue(selects(deny.getSpec().getPodSelector(), deployment.getSpec().getTemplate().getMetadata().getLabels()),
                    "default-deny covers " + deployment.getMetadata().getName());
            }
        }
    }
}

package dockercoins.worker;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP load balancer as kube-proxy is one: it picks a backend once per connection, in turn, and never moves
 * a connection that is open. Backends can be added while it runs, as pods are by {@code kubectl scale}, and
 * removed, as a pod leaves the Service's endpoints.
 */
final class RoundRobinProxy implements AutoCloseable {

    private final List<Integer> backendPorts = new CopyOnWriteArrayList<>();
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final NetClient client;
    private final NetServer server;

    RoundRobinProxy(Vertx vertx, int firstBackendPort) throws Exception {
        backendPorts.add(firstBackendPort);
        client = vertx.createNetClient();
        server = vertx.createNetServer().connectHandler(this::forward);
        server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    }

    int port() {
        return server.actualPort();
    }

    /** Connections accepted so far. */
    int connections() {
        return connections.get();
    }

    void addBackend(int port) {
        backendPorts.add(port);
    }

    /** As a pod leaves a Service's endpoints: no new connection goes to it; the open ones stay, as with kube-proxy. */
    void removeBackend(int port) {
        backendPorts.remove(Integer.valueOf(port));
    }

    private void forward(NetSocket inbound) {
        inbound.pause();  // until the backend is connected: nothing the client sends may be lost
        connections.incrementAndGet();
        int backend = backendPorts.get(Math.floorMod(next.getAndIncrement(), backendPorts.size()));
        client.connect(backend, "127.0.0.1").onComplete(connected -> {
            if (connected.failed()) {
                inbound.close();
                return;
            }
            NetSocket outbound = connected.result();
            inbound.pipeTo(outbound);
            outbound.pipeTo(inbound);
        });
    }

    @Override
    public void close() throws TimeoutException {
        server.close().await(10, TimeUnit.SECONDS);
        client.close().await(10, TimeUnit.SECONDS);
    }
}

package dockercoins.shared;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.MetricsDomain;

import java.util.stream.DoubleStream;

/**
 * The metrics: one Prometheus registry per service, served on GET /metrics, holding Vert.x's HTTP server and client
 * metrics (latency histograms with buckets around the 100 ms delay), JVM and process metrics, and the service's own.
 */
public final class ServiceMetrics implements AutoCloseable {

    /** Bucket bounds (seconds) around the 100 ms simulated work, so p50/p99 are readable at workshop delays. */
    private static final double[] LATENCY_BUCKETS_SECONDS = {
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.105, 0.11, 0.125, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5,
        0.75, 1, 2.5, 5, 10
    };

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gcMetrics = new JvmGcMetrics();

    public ServiceMetrics() {
        registry.config()
            // Both break Prometheus naming rules (promtool: unit abbreviation, "_count" on a gauge).
            .meterFilter(MeterFilter.denyNameStartsWith("process.cpu.time"))
            .meterFilter(MeterFilter.denyNameStartsWith("system.cpu.count"))
            .meterFilter(latencyHistograms());
        new JvmMemoryMetrics().bindTo(registry);
        gcMetrics.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Vert.x options that report HTTP server and client metrics into this registry. */
    VertxOptions vertxOptions() {
        return new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
            .setEnabled(true)
            // Only what dashboards use: HTTP server and client. Event-bus and pool metrics are noise here.
            .addDisabledMetricsCategory(MetricsDomain.EVENT_BUS)
            .addDisabledMetricsCategory(MetricsDomain.NAMED_POOLS)
            .addDisabledMetricsCategory(MetricsDomain.VERTICLES));
    }

    MicrometerMetricsFactory vertxMetricsFactory() {
        return new MicrometerMetricsFactory(registry);
    }

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    /** GET /metrics. */
    void serve(RoutingContext rc) {
        rc.response()
            .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
            .end(scrape());
    }

    @Override
    public void close() {
        gcMetrics.close();
        registry.close();
    }

    private static MeterFilter latencyHistograms() {
        return new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (id.getType() != Meter.Type.TIMER) {
                    return config;
                }
                double[] nanos = DoubleStream.of(LATENCY_BUCKETS_SECONDS).map(seconds -> seconds * 1e9).toArray();
                return DistributionStatisticConfig.builder()
                    .serviceLevelObjectives(nanos)
                    .build()
                    .merge(config);
            }
        };
    }
}

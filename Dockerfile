# One Dockerfile for the four services: one Maven build, then one small runtime stage per service.
#   docker build --target rng --build-arg VERSION=1.0.0 -t ghcr.io/dockercoins-vertx/rng:1.0.0 .
# compose.yaml builds all four this way (the build stage is shared, so Maven runs once), and so does
# the release workflow (.github/workflows/images.yml).

# ---- build: every service jar, with the dependencies cached in their own layer ----
FROM maven:3.9.16-eclipse-temurin-17-noble AS build
WORKDIR /src
# Only the poms first: the dependency layer below is rebuilt only when a pom changes.
# Maven reads every module of the parent pom, so every module's pom is needed here.
COPY pom.xml ./
COPY shared/pom.xml shared/
COPY local-redis/pom.xml local-redis/
COPY rng/pom.xml rng/
COPY hasher/pom.xml hasher/
COPY worker/pom.xml worker/
COPY webui/pom.xml webui/
COPY launcher/pom.xml launcher/
COPY deploy-checks/pom.xml deploy-checks/
# Building the modules while they are still empty downloads every dependency and plugin the real
# build needs (dependency:go-offline cannot resolve the modules' own artifacts, and misses plugins' own).
RUN mvn -B -q -pl rng,hasher,worker,webui -am package -DskipTests
# Then the sources (.dockerignore lets in only the poms and src/main), built offline.
COPY . .
RUN mvn -B -q -o -pl rng,hasher,worker,webui -am package -DskipTests
# A builder that ignores .dockerignore's exceptions builds empty modules into jars without classes,
# and Maven does not mind: refuse any jar that lacks the main class its manifest names.
RUN for service in rng hasher worker webui; do \
        jar="$service/target/$service.jar"; \
        main=$(cd /tmp && jar xf "/src/$jar" META-INF/MANIFEST.MF && sed -n 's/^Main-Class: *//p' META-INF/MANIFEST.MF | tr -d '\r'); \
        jar tf "$jar" | grep -qx "$(echo "$main" | tr . /).class" \
            || { echo "$jar lacks its main class '$main': were its sources left out of the build context?" >&2; exit 1; }; \
    done
# The redis-server binary that embedded-redis ships (the tests' Redis, so already in the local Maven repository),
# for the training run below.
RUN case "$(uname -m)" in x86_64) arch=linux-amd64 ;; aarch64) arch=linux-arm64 ;; \
        *) echo "no redis-server in embedded-redis for $(uname -m)" >&2; exit 1 ;; esac \
    && jar=$(ls /root/.m2/repository/com/github/codemonstur/embedded-redis/*/embedded-redis-*.jar | tail -1) \
    && entry=$(jar tf "$jar" | grep -x "redis-server-.*-$arch" | head -1) \
    && cd /tmp && jar xf "$jar" "$entry" && mv "$entry" /src/redis-server && chmod 0755 /src/redis-server

# ---- runtime: what every service image has in common ----
FROM eclipse-temurin:25.0.3_9-jre-noble AS runtime
# Set by compose.yaml (TAG) and the release workflow; the worker reports it on the dashboard (APP_VERSION),
# so a rolling update shows old and new workers side by side.
ARG VERSION=1.0.0
ARG REVISION=unknown
ARG SOURCE=https://github.com/dockercoins-vertx/dockercoins-vertx
LABEL org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.vendor="DockerCoins on Vert.x" \
      org.opencontainers.image.base.name="docker.io/library/eclipse-temurin:25.0.3_9-jre-noble"
WORKDIR /app
# The flags every service runs with, read by `java @/app/jvm.options`.
COPY jvm.options /app/jvm.options
# Makes the services' ahead-of-time caches in the training stage below.
COPY containers/aot-cache.sh /usr/local/bin/aot-cache
# Port 80, as the original's images: http://rng/32 inside a compose network or a cluster, as a non-root user on
# every runtime. Where net.ipv4.ip_unprivileged_port_start=0 (Docker, containerd 2, compose.yaml, our manifests)
# that needs nothing; elsewhere (`kubectl create deployment` on containerd 1.7 or CRI-O, `podman run`) run-java
# starts a copy of the java launcher that has the file capability cap_net_bind_service. Such a file runs in
# secure mode, where ld.so ignores the launcher's $ORIGIN: the JDK's lib folder is made known to ld.so instead.
COPY containers/run-java.sh /usr/local/bin/run-java
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends libcap2-bin >/dev/null \
    && rm -rf /var/lib/apt/lists/* \
    && java_home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")") \
    && cp "$java_home/bin/java" "$java_home/bin/java-port-80" \
    && setcap cap_net_bind_service=+ep "$java_home/bin/java-port-80" \
    && ln -s "$java_home/bin/java-port-80" /usr/local/bin/java-port-80 \
    && echo "$java_home/lib" > /etc/ld.so.conf.d/java-port-80.conf \
    && ldconfig
ENV PORT=80 \
    APP_VERSION=${VERSION}
EXPOSE 80

# ---- training: the whole miner at full speed (redis-server, the four services, every delay 0) for 30 s, each
# service started exactly as its ENTRYPOINT below starts it (the same JVM, flags and jar path), then stopped
# with SIGTERM: each JVM writes its ahead-of-time cache on the way out (containers/aot-cache.sh). Started
# with it, a service is ready sooner and compiles its hot path from the trained profiles at once. ----
FROM runtime AS training
COPY --from=build /src/redis-server /usr/local/bin/redis-server
COPY --from=build /src/rng/target/rng.jar /src/hasher/target/hasher.jar /src/worker/target/worker.jar \
    /src/webui/target/webui.jar /app/
RUN ["aot-cache", "/usr/local/bin/redis-server", "30", "/app/%s.aot", "/app/%s.jar", "@/app/jvm.options"]

# ---- one stage per service: the jar and its cache, both from the training stage (the cache is only valid for
# that very jar file) and root-owned, so read-only to the service; the user and the command; run-java execs the
# JVM, which is PID 1 and gets SIGTERM. The user is numeric, so that Kubernetes' runAsNonRoot can check it. ----
FROM runtime AS rng
LABEL org.opencontainers.image.title="dockercoins-rng" \
      org.opencontainers.image.description="DockerCoins rng: serves random bytes"
COPY --from=training /app/rng.jar /app/rng.aot /app/
USER 10001:10001
ENTRYPOINT ["run-java", "@/app/jvm.options", "-XX:AOTCache=/app/rng.aot", "-jar", "/app/rng.jar"]

FROM runtime AS hasher
LABEL org.opencontainers.image.title="dockercoins-hasher" \
      org.opencontainers.image.description="DockerCoins hasher: SHA-256 of what it is POSTed"
COPY --from=training /app/hasher.jar /app/hasher.aot /app/
USER 10001:10001
ENTRYPOINT ["run-java", "@/app/jvm.options", "-XX:AOTCache=/app/hasher.aot", "-jar", "/app/hasher.jar"]

FROM runtime AS worker
LABEL org.opencontainers.image.title="dockercoins-worker" \
      org.opencontainers.image.description="DockerCoins worker: mines coins with rng and hasher, counts them in Redis"
COPY --from=training /app/worker.jar /app/worker.aot /app/
USER 10001:10001
ENTRYPOINT ["run-java", "@/app/jvm.options", "-XX:AOTCache=/app/worker.aot", "-jar", "/app/worker.jar"]

FROM runtime AS webui
LABEL org.opencontainers.image.title="dockercoins-webui" \
      org.opencontainers.image.description="DockerCoins webui: the hashing speed, in a browser"
COPY --from=training /app/webui.jar /app/webui.aot /app/
USER 10001:10001
ENTRYPOINT ["run-java", "@/app/jvm.options", "-XX:AOTCache=/app/webui.aot", "-jar", "/app/webui.jar"]

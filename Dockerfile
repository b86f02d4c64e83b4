# One Dockerfile for the four services: one Maven build, then one small runtime stage per service.
#   docker build --target rng -t dockercoins-vertx/rng:1.0.0 .
# compose.yaml builds all four this way (the build stage is shared, so Maven runs once).

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

# ---- runtime: what every service image has in common ----
FROM eclipse-temurin:17.0.20_8-jre-noble AS runtime
ARG VERSION=1.0.0
LABEL org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.vendor="DockerCoins on Vert.x" \
      org.opencontainers.image.base.name="docker.io/library/eclipse-temurin:17.0.20_8-jre-noble"
WORKDIR /app
# The flags every service runs with, read by `java @/app/jvm.options`.
COPY jvm.options /app/jvm.options
# Numeric, so Kubernetes' runAsNonRoot can check it; the files above stay root-owned and read-only to it.
USER 10001:10001
EXPOSE 8080

# ---- one stage per service: the jar and the command; the JVM is PID 1 and gets SIGTERM ----
FROM runtime AS rng
LABEL org.opencontainers.image.title="dockercoins-rng" \
      org.opencontainers.image.description="DockerCoins rng: serves random bytes"
COPY --from=build /src/rng/target/rng.jar /app/rng.jar
ENTRYPOINT ["java", "@/app/jvm.options", "-jar", "/app/rng.jar"]

FROM runtime AS hasher
LABEL org.opencontainers.image.title="dockercoins-hasher" \
      org.opencontainers.image.description="DockerCoins hasher: SHA-256 of what it is POSTed"
COPY --from=build /src/hasher/target/hasher.jar /app/hasher.jar
ENTRYPOINT ["java", "@/app/jvm.options", "-jar", "/app/hasher.jar"]

FROM runtime AS worker
LABEL org.opencontainers.image.title="dockercoins-worker" \
      org.opencontainers.image.description="DockerCoins worker: mines coins with rng and hasher, counts them in Redis"
COPY --from=build /src/worker/target/worker.jar /app/worker.jar
ENTRYPOINT ["java", "@/app/jvm.options", "-jar", "/app/worker.jar"]

FROM runtime AS webui
LABEL org.opencontainers.image.title="dockercoins-webui" \
      org.opencontainers.image.description="DockerCoins webui: the hashing speed, in a browser"
COPY --from=build /src/webui/target/webui.jar /app/webui.jar
ENTRYPOINT ["java", "@/app/jvm.options", "-jar", "/app/webui.jar"]
